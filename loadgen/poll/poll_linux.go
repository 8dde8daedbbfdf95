//go:build linux

// Package poll holds the epoll primitives of gowrk's event-loop engines
// (HTTP/1.1's loop, HTTP/2's h2c loop): waits with a nanosecond timeout,
// a waker, and read(2)/write(2) on non-blocking sockets without the Go
// runtime's syscall bookkeeping. Each loop is used by one goroutine; only
// Waker.Wake may be called from another.
package poll

import (
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// TimerSlack bounds how often a loop wakes for due requests: at most once
// per TimerSlack, so that at 50,000 requests/s a wake sends a few requests
// rather than one. It is the most a timer adds to a request's send lag.
const TimerSlack = 100 * time.Microsecond

// Wait waits for events for at most d (d < 0: forever) with epoll_pwait2's
// nanosecond timeout, or, with coarse (kernels before 5.11), epoll_wait's
// milliseconds rounded up.
func Wait(epfd int, events []unix.EpollEvent, d time.Duration, coarse bool) (int, error) {
	if !coarse {
		var ts *unix.Timespec
		if d >= 0 {
			t := unix.NsecToTimespec(int64(d))
			ts = &t
		}
		n, _, errno := unix.Syscall6(unix.SYS_EPOLL_PWAIT2, uintptr(epfd), uintptr(unsafe.Pointer(&events[0])), uintptr(len(events)),
			uintptr(unsafe.Pointer(ts)), 0, 0)
		if errno == 0 {
			return int(n), nil
		}
		return 0, errno
	}
	ms := -1
	if d >= 0 {
		ms = int((d + time.Millisecond - 1) / time.Millisecond)
	}
	return unix.EpollWait(epfd, events, ms)
}

// Coarse reports whether the kernel lacks epoll_pwait2 (Linux 5.11), so
// that Wait must use epoll_wait's milliseconds.
func Coarse() bool {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return true
	}
	defer unix.Close(epfd)
	ev := make([]unix.EpollEvent, 1)
	var ts unix.Timespec
	_, _, errno := unix.Syscall6(unix.SYS_EPOLL_PWAIT2, uintptr(epfd), uintptr(unsafe.Pointer(&ev[0])), 1, uintptr(unsafe.Pointer(&ts)), 0, 0)
	return errno == unix.ENOSYS
}

// Read and Write are read(2) and write(2) on a non-blocking socket
// without the runtime's entersyscall/exitsyscall: they never block, and
// the pair was 3% of the HTTP/1.1 loop's CPU time in the profile.
func Read(fd int, p []byte) (int, error) {
	n, _, errno := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
	if errno != 0 {
		return -1, errno
	}
	return int(n), nil
}

func Write(fd int, p []byte) (int, error) {
	n, _, errno := unix.RawSyscall(unix.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
	if errno != 0 {
		return -1, errno
	}
	return int(n), nil
}

// Poller is an epoll set with an eventfd in it (event data 0) that Wake
// sets from any goroutine, to interrupt a Wait.
type Poller struct {
	Fd     int // the epoll descriptor
	wakeFd int
}

// New opens a Poller.
func New() (*Poller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	wfd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(epfd)
		return nil, err
	}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, wfd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: 0}); err != nil {
		unix.Close(wfd)
		unix.Close(epfd)
		return nil, err
	}
	return &Poller{Fd: epfd, wakeFd: wfd}, nil
}

// Wake interrupts the poller's Wait (event data 0); safe from any goroutine.
func (p *Poller) Wake() {
	one := [8]byte{1}
	unix.Write(p.wakeFd, one[:])
}

// Drain clears the wake-ups Wake set.
func (p *Poller) Drain() {
	var b [8]byte
	unix.Read(p.wakeFd, b[:])
}

// Close closes the epoll set and the eventfd.
func (p *Poller) Close() {
	unix.Close(p.wakeFd)
	unix.Close(p.Fd)
}
