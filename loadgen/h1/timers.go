//go:build linux

package h1

import "container/heap"

// timerHeap orders a loop's connections by their timer (timerAt, an offset
// from the start of the run): the next due send or redial is at the top.
// A connection has at most one timer; heapIdx is its place (-1: none).
type timerHeap []*lconn

func (h timerHeap) Len() int           { return len(h) }
func (h timerHeap) Less(i, j int) bool { return h[i].timerAt < h[j].timerAt }
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].heapIdx, h[j].heapIdx = i, j
}
func (h *timerHeap) Push(x any) {
	c := x.(*lconn)
	c.heapIdx = len(*h)
	*h = append(*h, c)
}
func (h *timerHeap) Pop() any {
	old := *h
	c := old[len(old)-1]
	*h = old[:len(old)-1]
	c.heapIdx = -1
	return c
}

// pop removes and returns the connection with the earliest timer.
func (h *timerHeap) pop() *lconn { return heap.Pop(h).(*lconn) }
