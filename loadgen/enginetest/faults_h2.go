package enginetest

import (
	"time"

	"github.com/gowrk/gowrk/loadgen/testserver"
)

var h2Faults = []Fault{
	{Name: "h2: every stream answered", Proto: HTTP2, Class: None, Server: h2(testserver.H2Behaviour{})},
	{Name: "h2: GOAWAY mid-run", Proto: HTTP2, Class: None, Server: h2(testserver.H2Behaviour{GoAwayAfter: 50})},
	{Name: "h2: GOAWAY after every stream", Proto: HTTP2, Class: None, Server: h2(testserver.H2Behaviour{GoAwayAfter: 1})},
	{Name: "h2: RST_STREAM on every 3rd stream", Proto: HTTP2, Class: Reset, Server: h2(testserver.H2Behaviour{ResetEvery: 3})},
	{Name: "h2: RST_STREAM on every stream", Proto: HTTP2, Class: Reset, Msg: "RST_STREAM INTERNAL_ERROR", Server: h2(testserver.H2Behaviour{ResetEvery: 1})},
	{Name: "h2: MAX_CONCURRENT_STREAMS 1 below the streams asked", Proto: HTTP2, Class: None, Server: h2(testserver.H2Behaviour{MaxStreams: 1})},
	{Name: "h2: every stream answered after the timeout", Proto: HTTP2, Class: TimeoutClass, Server: h2(testserver.H2Behaviour{Delay: 500 * time.Millisecond})},
	{Name: "h2: every 5th stream never answered", Proto: HTTP2, Class: TimeoutClass, Server: h2(testserver.H2Behaviour{Stall: 5})},
	{Name: "h2: connection reset mid-stream", Proto: HTTP2, Class: Read, Also: Write,
		Lost: "streams written into the connection the server resets are never read", Server: h2(testserver.H2Behaviour{DropAfter: 20})},
	{Name: "h2: header blocks split into CONTINUATION frames", Proto: HTTP2, Class: None, Server: h2(testserver.H2Behaviour{Continuation: true})},
	{Name: "h2: padded HEADERS and DATA", Proto: HTTP2, Class: None, Server: h2(testserver.H2Behaviour{Padded: 200})},
	{Name: "h2: PING before every response", Proto: HTTP2, Class: None, Server: h2(testserver.H2Behaviour{Ping: true})},
	{Name: "h2: 103 before every response", Proto: HTTP2, Class: None, Server: h2(testserver.H2Behaviour{Informational: true})},
	{Name: "h2: 128 KiB bodies in many DATA frames", Proto: HTTP2, Class: None, Server: h2(testserver.H2Behaviour{Body: 128 << 10})},
	{Name: "h2: header table of 256 bytes", Proto: HTTP2, Class: None, Server: h2(testserver.H2Behaviour{TableSize: 256})},
	{Name: "h2: PUSH_PROMISE though push is disabled", Proto: HTTP2, Class: Protocol, Server: h2(testserver.H2Behaviour{Push: true})},
	{Name: "h2: server never sends SETTINGS", Proto: HTTP2, Class: Refused, Msg: "no SETTINGS frame within", TLSClass: Connect, Server: h2(testserver.H2Behaviour{NoSettings: true})},

	// Hostile servers: each bounded in time and memory, one class.
	{Name: "h2: endless CONTINUATION frames", Proto: HTTP2, Class: Protocol, Msg: "header block larger than 64 KiB", Lost: "the server floods one stream and never reads the streams sent beside it", Server: h2(testserver.H2Behaviour{ContinuationFlood: true})},
	{Name: "h2: HPACK bomb (20 KB that decode to 64 MB)", Proto: HTTP2, Class: Protocol, Msg: "decode to more than 64 KiB", Server: h2(testserver.H2Behaviour{HPACKBomb: true})},
	{Name: "h2: endless PING flood", Proto: HTTP2, Class: Protocol, Msg: "more than 1000 PING or SETTINGS frames", Lost: "the server floods one stream and never reads the streams sent beside it", Server: h2(testserver.H2Behaviour{PingFlood: 1 << 20})},
	{Name: "h2: endless SETTINGS flood", Proto: HTTP2, Class: Protocol, Msg: "more than 1000 PING or SETTINGS frames", Lost: "the server floods one stream and never reads the streams sent beside it", Server: h2(testserver.H2Behaviour{SettingsFlood: 1 << 20})},
	{Name: "h2: 500 PINGs before every response", Proto: HTTP2, Class: None, Server: h2(testserver.H2Behaviour{PingFlood: 500})},
	{Name: "h2: SETTINGS_MAX_CONCURRENT_STREAMS 0", Proto: HTTP2, Class: Refused, Msg: "SETTINGS_MAX_CONCURRENT_STREAMS=0", Server: h2(testserver.H2Behaviour{ZeroStreams: true})},
	{Name: "h2: SETTINGS_MAX_CONCURRENT_STREAMS lowered to 0 mid-run", Proto: HTTP2, Class: Connect, Server: h2(testserver.H2Behaviour{ZeroAfter: 10})},
	{Name: "h2: GOAWAY(0) on every new connection", Proto: HTTP2, Class: Connect, Msg: "the server sent GOAWAY (NO_ERROR) on a new connection before taking any request", Server: h2(testserver.H2Behaviour{GoAwayFirst: true})},
	{Name: "h2: WINDOW_UPDATE past 2^31-1 on the connection", Proto: HTTP2, Class: Protocol, Msg: "took a send window past 2^31-1", Server: h2(testserver.H2Behaviour{WindowOverflow: 1})},
	{Name: "h2: WINDOW_UPDATE past 2^31-1 on a stream", Proto: HTTP2, Class: Protocol, Msg: "stream's send window past 2^31-1", Server: h2(testserver.H2Behaviour{WindowOverflow: 2})},
}
