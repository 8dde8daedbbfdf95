package serve

import (
	"io"
	"net/http"
	"sync"
	"testing"
	"time"
)

// TestPoolBusy: 8 requests at once on 2 workers of 20 ms each hold a
// worker for at least 20 ms each (a sleep never ends early), so the
// pool's capacity by its own count, Workers x Held / Busy, is at most
// 100/s; a request holds a worker for at most its service time (queue
// wait included), so Busy is never above their sum.
func TestPoolBusy(t *testing.T) {
	d, err := ParseDelay("20ms")
	if err != nil {
		t.Fatal(err)
	}
	s, err := Start(Config{Addr: "127.0.0.1:0", Workers: 2, Delay: d})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			resp, err := http.Get("http://" + s.Addr() + "/")
			if err != nil {
				t.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		})
	}
	wg.Wait()
	st := s.Stats()
	capacity := 2 * float64(st.Held) / st.Busy.Seconds()
	sumService := time.Duration(st.Mean*float64(st.Responses)) * time.Microsecond
	if st.Held != 8 || st.Responses != 8 || st.Busy < 8*20*time.Millisecond || capacity > 100 || st.Busy > sumService+time.Millisecond {
		t.Errorf("held %d, responses %d, busy %s (capacity %.1f/s), service times %s in all", st.Held, st.Responses, st.Busy, capacity, sumService)
	}
}
