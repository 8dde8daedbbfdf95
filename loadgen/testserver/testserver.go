// Package testserver is a loopback HTTP/1.1 server for gowrk's tests. It is
// raw TCP so that every byte it sends is known and so that it can misbehave
// on purpose: delay, stall, close, reset, never answer. It counts what it
// serves, which is the truth the tests compare gowrk's figures with.
package testserver

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Behaviour says how the server answers request n (counting from 1, over
// all connections) on a connection.
type Behaviour struct {
	// Delay is slept before answering (a known service time).
	Delay time.Duration
	// Status is the status code; 200 if zero. StatusFor overrides it.
	Status    int
	StatusFor func(n int64) int
	// Body is the response body; "ok" if nil.
	Body []byte
	// Chunked sends the body with chunked encoding.
	Chunked bool
	// CloseAfter answers with "Connection: close" and closes.
	CloseAfter bool
	// Reset closes the connection with a TCP reset instead of answering.
	Reset bool
	// ResetOnAccept resets every connection as soon as it is accepted,
	// before reading anything (under TLS: before the handshake).
	ResetOnAccept bool
	// Never reads requests but never answers.
	Never bool
	// Raw, when set, is written verbatim as the response (malformed
	// responses); CutAfter > 0 writes only that many bytes of the response,
	// then closes (a response cut short); Linger0 closes with a reset.
	Raw      []byte
	CutAfter int
	Linger0  bool
	// Drip writes the response one byte every Drip.
	Drip time.Duration
	// NoRead accepts connections but never reads from them.
	NoRead bool
	// LargeBody, when > 0, sends a body of that many bytes, written from a
	// small reused buffer (no memory cost on the server side).
	LargeBody int64
	// IdleClose closes a keep-alive connection that has carried a request
	// and then sat idle for this long, as uvicorn does after 5 s.
	IdleClose time.Duration
	// StallAt/StallFor: requests that arrive in [StallAt, StallAt+StallFor)
	// after Start are not answered before StallAt+StallFor, as if the
	// process were suspended.
	StallAt, StallFor time.Duration
}

// Server is a running test server. Close it when done.
type Server struct {
	listener
	b     Behaviour
	start time.Time
	// Requests counts requests read (complete request heads); Responses
	// counts responses written in full.
	Requests, Responses atomic.Int64
	// BytesIn and BytesOut count the bytes of requests read and responses written.
	BytesIn, BytesOut atomic.Int64
	mu                sync.Mutex
	service           []time.Duration // measured time from request read to response written
}

// Start starts a server on 127.0.0.1 with behaviour b.
func Start(b Behaviour) (*Server, error) { return StartTLS(b, nil) }

// StartTLS starts a server on 127.0.0.1 with behaviour b, over TLS with
// cfg when cfg is not nil (nil: cleartext, as Start).
func StartTLS(b Behaviour, cfg *tls.Config) (*Server, error) {
	s := &Server{b: b, start: time.Now()}
	s.tlsConf = cfg
	if err := s.listen("127.0.0.1:0", s.serve); err != nil {
		return nil, err
	}
	return s, nil
}

// ServiceTimes returns the measured service times, sorted.
func (s *Server) ServiceTimes() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.service)
	slices.Sort(out)
	return out
}

func (s *Server) serve(c net.Conn) {
	if s.b.ResetOnAccept {
		resetOnClose(c)
		return
	}
	if s.b.NoRead {
		for !s.closed.Load() {
			time.Sleep(20 * time.Millisecond) // let the client's bytes pile up
		}
		return
	}
	br := bufio.NewReader(c)
	for served := 0; ; served++ {
		if s.b.IdleClose > 0 && served > 0 {
			c.SetReadDeadline(time.Now().Add(s.b.IdleClose))
		}
		head, n, err := readRequest(br)
		if err != nil {
			return
		}
		c.SetReadDeadline(time.Time{})
		got := time.Now()
		num := s.Requests.Add(1)
		s.BytesIn.Add(int64(n))
		if s.b.Never {
			continue
		}
		if s.b.Reset {
			resetOnClose(c)
			return
		}
		s.wait(got)
		resp := s.response(num, head)
		if s.b.Linger0 || s.b.CutAfter > 0 {
			if s.b.Linger0 {
				resetOnClose(c)
			}
			c.Write(resp[:min(s.b.CutAfter, len(resp))])
			return
		}
		if err := s.write(c, resp); err != nil {
			return
		}
		if s.b.LargeBody > 0 {
			if err := writeZeros(c, s.b.LargeBody); err != nil {
				return
			}
			s.BytesOut.Add(s.b.LargeBody)
		}
		s.Responses.Add(1)
		s.BytesOut.Add(int64(len(resp)))
		s.mu.Lock()
		s.service = append(s.service, time.Since(got))
		s.mu.Unlock()
		if s.b.CloseAfter {
			return
		}
	}
}

// write sends resp, byte by byte under Drip.
func (s *Server) write(c net.Conn, resp []byte) error {
	if s.b.Drip == 0 {
		_, err := c.Write(resp)
		return err
	}
	for i := range resp {
		if _, err := c.Write(resp[i : i+1]); err != nil {
			return err
		}
		time.Sleep(s.b.Drip)
	}
	return nil
}

func writeZeros(w io.Writer, n int64) error {
	buf := make([]byte, 64<<10)
	for n > 0 {
		k, err := w.Write(buf[:min(int64(len(buf)), n)])
		if err != nil {
			return err
		}
		n -= int64(k)
	}
	return nil
}

// wait applies the delay and the stall.
func (s *Server) wait(got time.Time) {
	if s.b.StallFor > 0 {
		from, to := s.start.Add(s.b.StallAt), s.start.Add(s.b.StallAt+s.b.StallFor)
		if !got.Before(from) && got.Before(to) {
			time.Sleep(time.Until(to))
		}
	}
	if s.b.Delay > 0 {
		time.Sleep(s.b.Delay)
	}
}

var errNotHTTP = errors.New("not an HTTP/1.x request")

// requestHead is what the server keeps of a request.
type requestHead struct {
	method string
	header textproto.MIMEHeader
}

// readRequest reads one request and its body; n is its size in bytes. A
// first line that is not an HTTP/1.x request line (a TLS ClientHello,
// whose random bytes can hold a blank line) is read to the end of the
// connection and never answered, as a server that waits for a request.
func readRequest(br *bufio.Reader) (requestHead, int, error) {
	line, err := br.ReadString('\n')
	if err != nil {
		return requestHead{}, 0, err
	}
	if f := strings.Fields(line); len(f) != 3 || !strings.HasPrefix(f[2], "HTTP/1.") {
		io.Copy(io.Discard, br)
		return requestHead{}, 0, errNotHTTP
	}
	n := len(line)
	var h requestHead
	h.method, _, _ = strings.Cut(line, " ")
	var raw bytes.Buffer
	for {
		l, err := br.ReadString('\n')
		if err != nil {
			return h, 0, err
		}
		n += len(l)
		raw.WriteString(l)
		if l == "\r\n" || l == "\n" {
			break
		}
	}
	h.header, _ = textproto.NewReader(bufio.NewReader(&raw)).ReadMIMEHeader()
	if cl, _ := strconv.Atoi(h.header.Get("Content-Length")); cl > 0 {
		m, err := io.CopyN(io.Discard, br, int64(cl))
		n += int(m)
		if err != nil {
			return h, 0, err
		}
	}
	return h, n, nil
}

func (s *Server) response(num int64, head requestHead) []byte {
	status := s.b.Status
	if s.b.StatusFor != nil {
		status = s.b.StatusFor(num)
	}
	if status == 0 {
		status = 200
	}
	if s.b.Raw != nil {
		return s.b.Raw
	}
	body := s.b.Body
	if body == nil {
		body = []byte("ok")
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "HTTP/1.1 %d Status\r\nContent-Type: text/plain\r\n", status)
	if s.b.CloseAfter {
		b.WriteString("Connection: close\r\n")
	}
	if s.b.Chunked {
		b.WriteString("Transfer-Encoding: chunked\r\n\r\n")
		if head.method != "HEAD" {
			for i := 0; i < len(body); i += 3 {
				chunk := body[i:min(i+3, len(body))]
				fmt.Fprintf(&b, "%x;ext=1\r\n%s\r\n", len(chunk), chunk)
			}
			b.WriteString("0\r\nX-Trailer: 1\r\n\r\n")
		}
		return b.Bytes()
	}
	if s.b.LargeBody > 0 {
		fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n", s.b.LargeBody)
		return b.Bytes()
	}
	fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n", len(body))
	if head.method != "HEAD" {
		b.Write(body)
	}
	return b.Bytes()
}
