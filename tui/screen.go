package tui

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/gowrk/gowrk/loadgen"
	"golang.org/x/term"
)

// Screen draws a View full-screen on the terminal (/dev/tty, so that
// stdout keeps only the report) and reads its keys: q or Ctrl-C (raw mode
// turns Ctrl-C into a key) calls stop. Close gives the terminal back as it
// found it. Update and Close may be called from different goroutines.
type Screen struct {
	mu     sync.Mutex
	tty    *os.File
	old    *term.State
	view   *View
	closed bool
	keys   chan struct{} // closed when the key reader ends
}

// ErrNoTerminal is Open's error when there is no terminal to draw on.
var ErrNoTerminal = errors.New("no terminal to draw on (it needs one: run it from a terminal, or drop --tui)")

// Open takes the terminal over: raw mode, the alternate screen, no cursor.
func Open(view *View, stop func()) (*Screen, error) {
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return nil, ErrNoTerminal
	}
	var old *term.State
	err = withFd(tty, func(fd int) error {
		if !term.IsTerminal(fd) {
			return ErrNoTerminal
		}
		var err error
		old, err = term.MakeRaw(fd)
		return err
	})
	if err != nil {
		tty.Close()
		return nil, ErrNoTerminal
	}
	s := &Screen{tty: tty, old: old, view: view, keys: make(chan struct{})}
	fmt.Fprint(tty, "\x1b[?1049h\x1b[?25l") // alternate screen, hide the cursor
	go s.readKeys(stop)
	s.draw()
	return s, nil
}

// readKeys calls stop on q, Q or Ctrl-C; it ends when the terminal is
// closed or its read deadline passes.
func (s *Screen) readKeys(stop func()) {
	defer close(s.keys)
	buf := make([]byte, 64)
	for {
		n, err := s.tty.Read(buf)
		for _, b := range buf[:n] {
			if b == 'q' || b == 'Q' || b == 3 {
				stop()
			}
		}
		if err != nil {
			return
		}
	}
}

// Update shows the next interval.
func (s *Screen) Update(iv loadgen.Interval) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.view.Add(iv)
	s.drawLocked()
}

func (s *Screen) draw() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drawLocked()
}

func (s *Screen) drawLocked() {
	if s.closed {
		return
	}
	var w, h int
	err := withFd(s.tty, func(fd int) (err error) { w, h, err = term.GetSize(fd); return err })
	if err != nil || w <= 0 || h <= 0 {
		w, h = 80, 24
	}
	var b strings.Builder
	b.WriteString("\x1b[H") // home; each line clears its rest, then the screen below
	for _, l := range s.view.Lines(w, h) {
		b.WriteString(l)
		b.WriteString("\x1b[K\r\n")
	}
	b.WriteString("\x1b[J")
	s.tty.WriteString(b.String())
}

// Close leaves the alternate screen, shows the cursor and restores the
// terminal's mode; the key reader is stopped (it waits at most a moment).
func (s *Screen) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.mu.Unlock()
	fmt.Fprint(s.tty, "\x1b[?25h\x1b[?1049l")
	withFd(s.tty, func(fd int) error { return term.Restore(fd, s.old) })
	if s.tty.SetReadDeadline(time.Now()) == nil {
		<-s.keys
	}
	s.tty.Close()
}

// withFd runs f on tty's descriptor without tty.Fd, which would put the
// file in blocking mode and so disable the read deadline Close relies on.
func withFd(tty *os.File, f func(fd int) error) error {
	rc, err := tty.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = f(int(fd)) }); err != nil {
		return err
	}
	return ferr
}
