package bedrocktest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"strings"
	"testing"
	"time"
)

// h2BadPaths are :path values that url.ParseRequestURI refuses, so that net/http's HTTP/2
// server never hands the request to a handler.
var h2BadPaths = []string{"/%zz", "/model/x%zz/converse", "/model/" + claude + "%2/invoke", "/model/%/converse-stream"}

// newH2Server starts a server for HTTP/2 with prior knowledge (h2c), or over TLS.
func newH2Server(useTLS bool, cfg Config) *Server {
	if useTLS {
		return NewTLSServer(cfg)
	}
	return NewServer(cfg)
}

// TestHTTP2MalformedPath checks that an HTTP/2 request whose :path net/http cannot parse
// gets the 400 ValidationException that HTTP/1.1 gets, instead of a reset stream, with or
// without a body, and that the connection then serves valid requests, one with a response
// larger than the client's initial flow-control window among them.
func TestHTTP2MalformedPath(t *testing.T) {
	for _, tls := range []bool{false, true} {
		name := "h2c"
		if tls {
			name = "h2 over TLS"
		}
		t.Run(name, func(t *testing.T) { testHTTP2MalformedPath(t, tls) })
	}
}

func testHTTP2MalformedPath(t *testing.T, useTLS bool) {
	srv, client := newH2Server(useTLS, Config{}), h2cClient()
	defer srv.Close()
	if useTLS {
		client = srv.Client()
	}
	// Go's client retries a stream reset with PROTOCOL_ERROR: without the answer, the
	// test fails at this deadline instead of retrying for as long as the test may run.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	newConns := 0
	trace := &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) {
		if !i.Reused {
			newConns++
		}
	}}
	big := strings.Repeat("0123456789", 20_000) // its echo is larger than 65,535 bytes
	for _, path := range h2BadPaths {
		for _, method := range []string{"GET", "POST", "HEAD"} {
			var body io.Reader
			if method == "POST" {
				body = strings.NewReader(claudeBody("hi"))
			}
			req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), method, srv.URL+"/", body)
			req.URL.Opaque = path // sent as the :path as it is
			resp, err := client.Do(req)
			if err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
			name, status, msg := apiError(t, resp)
			if method == "HEAD" { // the same answer without its body
				msg = fmt.Sprintf("malformed request %q", path)
			}
			if status != 400 || name != "ValidationException" || resp.Header.Get("Content-Type") != "application/json" ||
				resp.Header.Get("X-Amzn-Requestid") == "" || resp.ProtoMajor != 2 || resp.ContentLength <= 0 ||
				!strings.Contains(msg, "malformed request") || !strings.Contains(msg, fmt.Sprintf("%q", path)) {
				t.Errorf("%s %s: %d %q %q %v", method, path, status, name, msg, resp.Header)
			}

			req, _ = http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), "POST",
				srv.URL+"/model/"+claude+"/invoke", strings.NewReader(bigClaudeBody(big)))
			req.Header.Set("Content-Type", "application/json")
			resp, err = client.Do(req)
			if err != nil {
				t.Fatalf("valid request after %s %s: %v", method, path, err)
			}
			var out struct {
				Content []struct{ Text string }
			}
			err = json.NewDecoder(resp.Body).Decode(&out)
			resp.Body.Close()
			if err != nil || resp.StatusCode != 200 || len(out.Content) != 1 || out.Content[0].Text != big {
				t.Fatalf("valid request after %s %s: %d %v", method, path, resp.StatusCode, err)
			}
		}
	}
	if newConns != 1 {
		t.Errorf("the requests took %d connections, want 1", newConns)
	}
	// As on HTTP/1.1, a request that no handler saw is not in the journal.
	for _, r := range srv.Requests() {
		if r.Operation != "InvokeModel" {
			t.Errorf("journal holds %s %s", r.Method, r.Path)
		}
	}
}

// bigClaudeBody is an Anthropic messages request asking prompt, whose answer may be long.
func bigClaudeBody(prompt string) string {
	b, _ := json.Marshal(map[string]any{
		"anthropic_version": "bedrock-2023-05-31",
		"max_tokens":        100_000,
		"messages":          []any{map[string]any{"role": "user", "content": prompt}},
	})
	return string(b)
}

// rawH2 is an HTTP/2 client written frame by frame, for what net/http's client will not
// do: its connection-level receive window stays at 65,535 bytes and is topped up only when
// less than 1 KiB of it is left, and it checks that the server never sends beyond it.
type rawH2 struct {
	t      testing.TB
	c      net.Conn
	br     *bufio.Reader
	dec    *hpackDecoder
	window int64 // connection-level receive window left
	used   int64 // DATA bytes received since the last WINDOW_UPDATE
	ended  map[uint32]bool
}

func dialRawH2(t *testing.T, srv *Server) *rawH2 {
	var c net.Conn = dial(t, srv)
	if srv.Certificate != nil {
		tc := tls.Client(c, tlsClientConfig(srv, "h2"))
		if err := tc.Handshake(); err != nil || tc.ConnectionState().NegotiatedProtocol != "h2" {
			t.Fatalf("TLS: %v, protocol %q", err, tc.ConnectionState().NegotiatedProtocol)
		}
		c = tc
	}
	c.SetDeadline(time.Now().Add(20 * time.Second))
	h := &rawH2{t: t, c: c, br: bufio.NewReader(c), dec: newHPACKDecoder(4096), window: h2InitialWindow, ended: map[uint32]bool{}}
	io.WriteString(c, h2Preface)
	// SETTINGS_INITIAL_WINDOW_SIZE 1 MiB: streams are not what limits the server.
	h.frame(h2Settings, 0, 0, []byte{0, h2SettingInitialWindowSize, 0, 0x10, 0, 0})
	return h
}

func (h *rawH2) frame(typ, flags byte, stream uint32, payload []byte) {
	h.t.Helper()
	b := appendFrameHeader(nil, len(payload), typ, flags, stream)
	if _, err := h.c.Write(append(b, payload...)); err != nil {
		h.t.Fatal(err)
	}
}

// request sends a request's HEADERS, and its body in one DATA frame when not nil.
func (h *rawH2) request(stream uint32, method, path string, body []byte) {
	h.t.Helper()
	block := []byte{}
	for _, f := range [][2]string{{":method", method}, {":scheme", "http"}, {":authority", "x"}, {":path", path}, {"content-type", "application/json"}} {
		block = hpackAppendLiteral(block, f[0], f[1])
	}
	if body == nil {
		h.frame(h2Headers, h2FlagEndHeaders|h2FlagEndStream, stream, block)
		return
	}
	h.frame(h2Headers, h2FlagEndHeaders, stream, block)
	h.frame(h2Data, h2FlagEndStream, stream, body)
}

// response reads frames until the stream's response has ended and returns its fields and
// body, answering SETTINGS and PING and keeping the receive window as described above.
func (h *rawH2) response(stream uint32) (map[string]string, []byte) {
	h.t.Helper()
	fields := map[string]string{}
	var body []byte
	for {
		var hdr [h2HeaderLen]byte
		if _, err := io.ReadFull(h.br, hdr[:]); err != nil {
			h.t.Fatalf("stream %d: %v", stream, err)
		}
		length, typ, flags := be24(hdr[:]), hdr[3], hdr[4]
		id := binary.BigEndian.Uint32(hdr[5:]) & 0x7fffffff
		payload := make([]byte, length)
		if _, err := io.ReadFull(h.br, payload); err != nil {
			h.t.Fatalf("stream %d: %v", stream, err)
		}
		if (typ == h2Data || typ == h2Headers) && h.ended[id] {
			h.t.Fatalf("frame of type %d on stream %d after its end", typ, id)
		}
		switch typ {
		case h2Settings:
			if flags&h2FlagAck == 0 {
				h.frame(h2Settings, h2FlagAck, 0, nil)
			}
		case 0x6: // PING
			if flags&h2FlagAck == 0 {
				h.frame(0x6, h2FlagAck, 0, payload)
			}
		case h2Data:
			if h.window -= int64(length); h.window < 0 {
				h.t.Fatalf("the server sent %d bytes beyond the connection's receive window", -h.window)
			}
			h.used += int64(length)
			if h.window < 1<<10 {
				var inc [4]byte
				binary.BigEndian.PutUint32(inc[:], uint32(h.used))
				h.frame(h2WindowUpdate, 0, 0, inc[:])
				h.window += h.used
				h.used = 0
			}
			if id == stream {
				body = append(body, payload...)
			}
		case h2Headers:
			if flags&h2FlagEndHeaders == 0 {
				h.t.Fatal("header block in several frames")
			}
			if err := h.dec.decode(payload, func(string) bool { return true }, func(n, v string) { fields[n] = v }); err != nil {
				h.t.Fatal(err)
			}
		case h2RSTStream:
			if id == stream {
				if code := binary.BigEndian.Uint32(payload); code != h2ErrNo || fields[":status"] == "" {
					h.t.Fatalf("stream %d reset with code %d", stream, code)
				}
			}
		case 0x7: // GOAWAY
			h.t.Fatalf("GOAWAY %x", payload)
		}
		if (typ == h2Data || typ == h2Headers) && flags&h2FlagEndStream != 0 {
			h.ended[id] = true
			if id == stream {
				return fields, body
			}
		}
	}
}

// TestHTTP2MalformedPathFlowControl checks that the error's DATA, which net/http does not
// count, never makes the server send more than a client's connection window allows, with a
// client that tops its window up only when it is nearly used.
func TestHTTP2MalformedPathFlowControl(t *testing.T) {
	reply := strings.Repeat("abcdefghij", 20_000)
	cfg := Config{Scenario: &Scenario{Rules: []Rule{{Prompt: "big", Reply: reply}}}}
	for _, useTLS := range []bool{false, true} {
		name := "h2c"
		if useTLS {
			name = "h2 over TLS"
		}
		t.Run(name, func(t *testing.T) {
			srv := newH2Server(useTLS, cfg)
			defer srv.Close()
			testHTTP2MalformedPathFlowControl(t, dialRawH2(t, srv), reply)
		})
	}
}

func testHTTP2MalformedPathFlowControl(t *testing.T, h *rawH2, reply string) {
	stream := uint32(1)
	for i, path := range append(h2BadPaths, h2BadPaths...) {
		method, body := "GET", []byte(nil)
		switch i % 3 {
		case 1:
			method, body = "POST", []byte(claudeBody("hi"))
		case 2:
			method = "HEAD"
		}
		h.request(stream, method, path, body)
		fields, got := h.response(stream)
		if fields[":status"] != "400" || !strings.HasPrefix(fields["x-amzn-errortype"], "ValidationException:") ||
			fields["x-amzn-requestid"] == "" || fields["content-type"] != "application/json" {
			t.Errorf("%s %s: %v", method, path, fields)
		}
		var msg struct{ Message string }
		if method == "HEAD" { // the same answer without its body
			if len(got) != 0 || fields["content-length"] == "" || fields["content-length"] == "0" {
				t.Errorf("HEAD %s: %v, %d bytes of body", path, fields, len(got))
			}
		} else if err := json.Unmarshal(got, &msg); err != nil || fields["content-length"] != fmt.Sprint(len(got)) ||
			!strings.Contains(msg.Message, fmt.Sprintf("%q", path)) {
			t.Errorf("%s %s: %v %s", method, path, fields, got)
		}
		stream += 2
		for range 2 {
			h.request(stream, "POST", "/model/"+claude+"/invoke", []byte(bigClaudeBody("big")))
			fields, got = h.response(stream)
			if fields[":status"] != "200" || !strings.Contains(string(got), reply) {
				t.Fatalf("valid request after %s: %v, %d bytes", path, fields, len(got))
			}
			stream += 2
		}
	}
}

// TestH2ConnKeepsResetWhenItCannotAnswer checks the cases where net/http's reset of a
// stream with a bad path goes out as it is: the answer would not fit the stream's window,
// h2Conn stopped following a header block over h2MaxHeaderBlock, and a reset that is not
// net/http's PROTOCOL_ERROR.
func TestH2ConnKeepsResetWhenItCannotAnswer(t *testing.T) {
	headers := func(extra string) []byte {
		block := hpackAppendLiteral([]byte{0x83, 0x86}, ":path", "/%zz")
		if extra != "" {
			block = hpackAppendLiteral(block, "x-big", extra)
		}
		return append(appendFrameHeader(nil, len(block), h2Headers, h2FlagEndHeaders|h2FlagEndStream, 1), block...)
	}
	settings := func(window uint32) []byte {
		b := appendFrameHeader(nil, 6, h2Settings, 0, 0)
		return binary.BigEndian.AppendUint32(append(b, 0, h2SettingInitialWindowSize), window)
	}
	rst := func(code uint32) []byte {
		return binary.BigEndian.AppendUint32(appendFrameHeader(nil, 4, h2RSTStream, 0, 1), code)
	}
	for _, tt := range []struct {
		name     string
		client   []byte
		reset    []byte
		answered bool
	}{
		{"answered", headers(""), rst(h2ErrProtocol), true},
		{"stream window too small", append(settings(50), headers("")...), rst(h2ErrProtocol), false},
		{"header block too large", headers(strings.Repeat("x", h2MaxHeaderBlock)), rst(h2ErrProtocol), false},
		{"another error code", headers(""), rst(0x8), false},
	} {
		c := &fuzzConn{in: tt.client}
		h := newH2Conn(c, func() time.Time { return time.Time{} }, make(chan struct{}))
		got, err := io.ReadAll(readerFunc(h.read))
		if err != nil || !bytes.Equal(got, tt.client) {
			t.Fatalf("%s: the client's bytes changed (%v)", tt.name, err)
		}
		if _, err := h.write(tt.reset); err != nil {
			t.Fatal(err)
		}
		if answered := !bytes.Equal(c.out.Bytes(), tt.reset); answered != tt.answered ||
			answered && !bytes.Contains(c.out.Bytes(), []byte("ValidationException")) {
			t.Errorf("%s: wrote %q", tt.name, c.out.Bytes())
		}
		if len(h.bad) != 0 {
			t.Errorf("%s: still waits for the reset of %v", tt.name, h.bad)
		}
	}
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

// TestHTTP2MalformedPathConcurrent sends bad paths while other streams of the same
// connection are sending long responses, so that the answers go out between their frames.
func TestHTTP2MalformedPathConcurrent(t *testing.T) {
	srv := NewServer(Config{})
	defer srv.Close()
	client := h2cClient()
	big := strings.Repeat("0123456789", 20_000)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	errs := make(chan error, 16)
	for g := range 8 {
		go func() {
			req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+"/model/"+claude+"/invoke", strings.NewReader(bigClaudeBody(big)))
			req.Header.Set("Content-Type", "application/json")
			resp, err := client.Do(req)
			if err != nil {
				errs <- err
				return
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != 200 || !strings.Contains(string(b), big) {
				err = fmt.Errorf("valid request: %d, %d bytes, %v", resp.StatusCode, len(b), err)
			}
			errs <- err
		}()
		go func() {
			path := h2BadPaths[g%len(h2BadPaths)]
			req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/", nil)
			req.URL.Opaque = path
			resp, err := client.Do(req)
			if err != nil {
				errs <- err
				return
			}
			name, status, msg := apiError(t, resp)
			if status != 400 || name != "ValidationException" || !strings.Contains(msg, fmt.Sprintf("%q", path)) {
				err = fmt.Errorf("%s: %d %s %q", path, status, name, msg)
			}
			errs <- err
		}()
	}
	for range 16 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if n := srv.openConns(); n != 1 {
		t.Errorf("%d connections open, want 1", n)
	}
}
