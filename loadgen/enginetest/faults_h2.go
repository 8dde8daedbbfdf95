package enginetest

import (
	"time"

	"github.com/gowrk/gowrk/loadgen/testserver"
)

var h2Faults = []Fault{
	{Name: "h2: every stream answered", Proto: HTTP2, Class: None, Server: h2(testserver.H2Behaviour{})},
	{Name: "h2: GOAWAY mid-run", Proto: HTTP2, Class: None,
		Known: "h2c,h2: issue 21: streams above the GOAWAY's last stream are counted as sent, though the server never processed them", Server: h2(testserver.H2Behaviour{GoAwayAfter: 50})},
	{Name: "h2: GOAWAY after every stream", Proto: HTTP2, Class: None,
		Known: "h2c,h2: issue 21: streams above the GOAWAY's last stream are counted as sent, though the server never processed them", Server: h2(testserver.H2Behaviour{GoAwayAfter: 1})},
	{Name: "h2: RST_STREAM on every 3rd stream", Proto: HTTP2, Class: Reset,
		Known: "h2c,h2: issue 21: a read or write cut by the stop counts as a read or write error (i/o timeout), not in flight at the stop", Server: h2(testserver.H2Behaviour{ResetEvery: 3})},
	{Name: "h2: RST_STREAM on every stream", Proto: HTTP2, Class: Reset, Server: h2(testserver.H2Behaviour{ResetEvery: 1})},
	{Name: "h2: MAX_CONCURRENT_STREAMS 1 below the streams asked", Proto: HTTP2, Class: None,
		Known: "h2c,h2: issue 21: a read or write cut by the stop counts as a read or write error (i/o timeout), not in flight at the stop", Server: h2(testserver.H2Behaviour{MaxStreams: 1})},
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
	{Name: "h2: server never sends SETTINGS", Proto: HTTP2, Class: Refused, TLSClass: Connect, Server: h2(testserver.H2Behaviour{NoSettings: true})},

	// ---- HTTP/2 hostile servers: rows to add here ----
	// Each needs a raw-server behaviour that another change is adding to
	// testserver.H2Behaviour (and the engine's defence in loadgen/h2):
	//   - CONTINUATION flood: HEADERS then endless CONTINUATION frames (protocol, heap bounded);
	//   - HPACK bomb: a header block that decodes far past its wire size (protocol);
	//   - PING flood and SETTINGS flood (protocol, answered streams not stalled);
	//   - SETTINGS_MAX_CONCURRENT_STREAMS 0 (refused or connect, bounded);
	//   - GOAWAY(0) on every new connection (goaway, redials backed off);
	//   - DATA past the stream window, WINDOW_UPDATE past 2^31-1 (protocol: FLOW_CONTROL_ERROR);
	// ---- end of the HTTP/2 hostile rows ----
}
