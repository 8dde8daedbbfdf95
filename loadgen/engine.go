package loadgen

import (
	"context"
	"errors"
	"time"
)

// An Engine runs the load of one protocol against one Target: it is a
// ConnEngine (one blocking Conn at a time, run on the goroutine adapter) or
// a ThreadEngine (whole threads). Run takes either.
type Engine interface {
	// Info says what the engine's connections negotiate, as far as the
	// engine knows it; a ConnEngine's connections may say more (Informer).
	Info() ConnInfo
}

// A ConnEngine opens connections of one protocol to one Target. It is safe
// for concurrent use by all workers.
type ConnEngine interface {
	Engine
	// Dial opens one connection. A failure is counted as a connect error,
	// unless it is a *FatalError, which ends the run before it starts (the
	// first connection is dialled before any other).
	Dial(ctx context.Context) (Conn, error)
}

// A FirstDialer is a ThreadEngine whose run begins, as the adapter's does,
// with one blocking dial before any load: a *FatalError from DialFirst (an
// untrusted certificate, a server that does not speak the protocol) ends
// the run before it starts; any other error counts as the run's first
// failed dial. The connection it returns is handed to thread 0 as
// Thread.First, so the server sees no extra connection.
type FirstDialer interface {
	ThreadEngine
	DialFirst(ctx context.Context) (any, error)
}

// A Conn is one client connection, used by one worker goroutine at a time.
type Conn interface {
	// Do sends the target request and reads the whole response, giving up at
	// deadline. It fills res. An error means the connection is unusable; it
	// should be a *ClassError naming the phase (read or write) that failed.
	// Do must not allocate in the steady state.
	Do(deadline time.Time, res *Response) error
	// Close releases the connection. It is safe to call more than once.
	Close() error
	// Interrupt makes a Do in progress (or the next one) return promptly. It
	// may be called from any goroutine, concurrently with Do.
	Interrupt()
}

// An AddrDialer is a ConnEngine that can dial another address than the
// target's (a script's thread.addr), with everything else the same.
type AddrDialer interface {
	DialAddr(ctx context.Context, addr string) (Conn, error)
}

// A ScriptConn is a Conn that can send a script's request (Hooks) in
// place of the target's, one at a time.
type ScriptConn interface {
	Conn
	// DoScript is Do for req, one whole HTTP/1.1 request. With keep, the
	// response's header block (status line included) and body are kept,
	// for Kept, until the next exchange.
	DoScript(req []byte, keep bool, deadline time.Time, res *Response) error
	Kept() (header, body []byte)
}

// ErrStale is returned by Conn.Do when a reused keep-alive connection
// turned out to be closed by the server while it was idle: the request met
// end-of-file or a reset before the first byte of its response. The worker
// sends it again on a new connection (once, idempotent methods only), as
// browsers and Go's http.Transport do (Slot.Stale).
var ErrStale = errors.New("the server had closed the idle keep-alive connection")

// An UnansweredError is Conn.Do's error when the server ended the
// connection (a reset, a close) before any byte of the response came, in
// the write or the read: the seam decides what that means, by whether the
// connection had carried a response (Slot.Unanswered). Written says the
// request had been written whole before the end.
type UnansweredError struct {
	Err     error
	Written bool
}

func (e *UnansweredError) Error() string { return e.Err.Error() }
func (e *UnansweredError) Unwrap() error { return e.Err }

// ConnInfo describes what a connection negotiated.
type ConnInfo struct {
	// Protocol is the protocol spoken: "http/1.1", "h2", "h2c" or "h3".
	Protocol string `json:"protocol"`
	// TLSVersion and CipherSuite are empty without TLS.
	TLSVersion  string `json:"tls_version,omitempty"`
	CipherSuite string `json:"tls_cipher_suite,omitempty"`
	// MaxStreams is the server's SETTINGS_MAX_CONCURRENT_STREAMS under
	// HTTP/2; 0 when unknown or unlimited.
	MaxStreams uint32 `json:"max_streams,omitempty"`
	// QUIC is what QUIC adds under HTTP/3; nil otherwise.
	QUIC *QUICInfo `json:"quic,omitempty"`
}

// An Informer is a Conn that can say what it negotiated.
type Informer interface {
	Info() ConnInfo
}

// Response is what a Conn reports about one exchange.
type Response struct {
	// Status is the HTTP status code.
	Status int
	// BytesIn and BytesOut count what crossed the connection for this
	// exchange, on the wire (headers included; TLS records for https).
	BytesIn, BytesOut int64
	// Close says the server asked to close the connection; the worker redials.
	Close bool
	// First is when the first byte of the response came (read once per
	// exchange, on the read that brought it); zero when unknown.
	First time.Time
}

// ErrorClass is the wrk taxonomy of a failed request.
type ErrorClass uint8

// The error classes. Connect errors happen before a request is sent; the
// others end a request that was sent. GoAway, Reset and Protocol are
// HTTP/2's: the server's GOAWAY ended the stream, the server reset the stream
// (RST_STREAM, refused stream included), or either side found a protocol error.
const (
	ClassConnect ErrorClass = iota + 1
	ClassRead
	ClassWrite
	ClassTimeout
	ClassGoAway
	ClassReset
	ClassProtocol
	// ClassPorts is a dial that failed for want of an ephemeral port.
	ClassPorts
	// ClassIdleClosed is a non-idempotent request (POST, PATCH) sent on a
	// keep-alive connection the server had closed while idle: it is not
	// sent again on its own, so it counts here.
	ClassIdleClosed
)

var classNames = [...]string{"", "connect", "read", "write", "timeout", "goaway", "reset", "protocol", "ports", "idle_closed"}

func (c ErrorClass) String() string {
	if int(c) < len(classNames) {
		return classNames[c]
	}
	return "unknown"
}

// ClassError is an error of a known class, returned by Conn.Do.
type ClassError struct {
	Class ErrorClass
	Err   error
}

func (e *ClassError) Error() string { return e.Class.String() + ": " + e.Err.Error() }
func (e *ClassError) Unwrap() error { return e.Err }

// FatalError marks a failure that no retry can fix. From Dial (an untrusted
// certificate, a server without the protocol) Run returns it instead of
// starting the load; from Conn.Do (a response in another protocol: TLS, or
// HTTP/2 frames to an HTTP/1.1 request) the request counts as a read error
// and the run stops early with the error as its reason (Result.Fatal).
//
// Err states the facts (the host, the names, the alert); Fix is what the
// user must change, as a value: package report words it with the command
// line's flags, so that loadgen names none.
type FatalError struct {
	Err error
	Fix Fix
	// Name is the host name FixSNI suggests (one the certificate covers).
	Name string
}

func (e *FatalError) Error() string { return e.Err.Error() }
func (e *FatalError) Unwrap() error { return e.Err }

// Fix is the remedy for a FatalError, for package report to word.
type Fix uint8

// The remedies.
const (
	// FixNone: the facts are all there is to say.
	FixNone Fix = iota
	// FixHTTP2: the server speaks only HTTP/2; ask for HTTP/2.
	FixHTTP2
	// FixDropHTTP2: the server refused HTTP/2 over TLS; use HTTP/1.1.
	FixDropHTTP2
	// FixTryHTTP1: the server refused HTTP/2 over TLS, and may speak HTTP/1.1.
	FixTryHTTP1
	// FixDropH2C: the server does not speak HTTP/2 over cleartext; use
	// HTTP/1.1, or HTTP/2 over TLS (https://).
	FixDropH2C
	// FixHTTPS: the port speaks TLS; use an https:// URL.
	FixHTTPS
	// FixHTTP: the port speaks plain HTTP; use an http:// URL.
	FixHTTP
	// FixTLSMin: the server speaks no TLS version as new as --tls-min
	// asks; lower it.
	FixTLSMin
	// FixTrust: the certificate is not trusted; skip verification, or
	// trust its issuer.
	FixTrust
	// FixInsecure: the certificate names no host; skip verification.
	FixInsecure
	// FixSNI: the certificate is for other names, one of them plain
	// (FatalError.Name): ask for it by SNI, or skip verification.
	FixSNI
	// FixSNICovered: the certificate is for wildcard names only: ask for a
	// name one covers by SNI, or skip verification.
	FixSNICovered
	// FixAddress: the certificate is for addresses only: use one in the
	// URL, or skip verification.
	FixAddress
	// FixClientCert: the server requires a client certificate; present one.
	FixClientCert
	// FixCheckClientCert: the server refused the client certificate presented.
	FixCheckClientCert
	// FixEnableHTTP3: the server has no HTTP/3 there; enable it on the
	// server, or load it over TCP instead.
	FixEnableHTTP3
	// FixDropHTTP3: the server refused HTTP/3 in ALPN; load it over TCP.
	FixDropHTTP3
	// FixSNIName: no server name was sent (the URL names an address); send
	// the one its certificate is for.
	FixSNIName
	// FixProxyCredentials: the proxy asked for credentials; give them in
	// the proxy's URL.
	FixProxyCredentials
)
