package bedrocktest

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/framewire/eventstream/bedrock"
)

// closedWithin reads from c until it is closed by the server, and fails if that takes
// longer than limit.
func closedWithin(t *testing.T, what string, c net.Conn, limit time.Duration) {
	t.Helper()
	start := time.Now()
	c.SetReadDeadline(start.Add(limit))
	_, err := io.Copy(io.Discard, c)
	if err != nil {
		t.Errorf("%s: connection still open after %v (%v)", what, time.Since(start).Round(time.Millisecond), err)
	}
}

func dial(t *testing.T, srv *Server) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestReadTimeout checks that a request's headers and body must arrive within ReadTimeout
// of its first byte, whatever the client holds back.
func TestReadTimeout(t *testing.T) {
	t.Parallel() // waits on timers, not on the CPU
	const rt = 600 * time.Millisecond
	logged := make(chan LogEntry, 10)
	srv := NewServer(Config{ReadTimeout: rt, Log: func(e LogEntry) { logged <- e }})
	defer srv.Close()
	head := "POST /model/" + claude + "/invoke HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
	for _, tc := range []struct{ name, first, later string }{
		{"half-sent headers", head, ""},
		{"short Content-Length", head + "Content-Length: 100\r\n\r\n{\"a\":", ""},
		{"unfinished chunked body", head + "Transfer-Encoding: chunked\r\n\r\n4\r\n{\"a\"\r\n", ""},
		// Headers slow, then a body never finished: the timeout counts from the first
		// byte, not from the end of the headers.
		{"slow headers then slow body", head, "Content-Length: 100\r\n\r\n{\"a\":"},
	} {
		// The server's clock starts at its accept or at the first byte, both after start.
		start := time.Now()
		c := dial(t, srv)
		io.WriteString(c, tc.first)
		if tc.later != "" {
			// A third of the timeout in: the headers end well before it, even on a loaded
			// machine, so that their request reaches the handler and is logged.
			time.Sleep(rt / 3)
			io.WriteString(c, tc.later)
		}
		closedWithin(t, tc.name, c, 3*time.Second)
		if d := time.Since(start); d < rt || d > rt+time.Second {
			t.Errorf("%s: closed after %v, want about %v", tc.name, d, rt)
		}
	}

	// The three requests whose headers arrived were logged as cut.
	for i := range 3 {
		select {
		case e := <-logged:
			if !e.Aborted || e.Status != 0 {
				t.Errorf("log entry of a request cut by the read timeout: %+v", e)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%d of the 3 requests whose headers arrived were logged", i)
		}
	}
	for _, r := range srv.Requests() {
		if r.End != EndAborted {
			t.Errorf("journal: a request cut by the read timeout ended %q", r.End)
		}
	}

	// HTTP/2: the stream whose body never ends is reset.
	checkStalledBodyReset(t, "h2c", srv, h2cClient(), rt)
}

// checkStalledBodyReset sends, with HTTP/2 client hc, a request whose body starts and never
// ends, and checks that srv resets the stream within about its read timeout rt.
func checkStalledBodyReset(t *testing.T, name string, srv *Server, hc *http.Client, rt time.Duration) {
	t.Helper()
	pr, pw := io.Pipe()
	defer pw.Close()
	req, _ := http.NewRequest("POST", srv.URL+"/model/"+claude+"/invoke", pr)
	req.Header.Set("Content-Type", "application/json")
	go pw.Write([]byte(`{"a":`))
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	start := time.Now()
	resp, err := hc.Do(req.WithContext(ctx))
	if err == nil {
		resp.Body.Close()
		t.Fatalf("%s: unfinished body answered %d", name, resp.StatusCode)
	}
	if ctx.Err() != nil || time.Since(start) > rt+time.Second {
		t.Errorf("%s: stream not reset after %v: %v", name, time.Since(start), err)
	}
}

// TestReadTimeoutTLS checks that over TLS the handshake, then a request's headers and body,
// must arrive within ReadTimeout: a client that connects and never finishes its handshake
// holds its connection no longer than that, and Close does not wait for it.
func TestReadTimeoutTLS(t *testing.T) {
	t.Parallel() // waits on timers, not on the CPU
	const rt = 600 * time.Millisecond
	srv := NewTLSServer(Config{ReadTimeout: rt})
	defer srv.Close()
	head := "POST /model/" + claude + "/invoke HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
	var wg sync.WaitGroup
	for _, tc := range []struct {
		name string
		send func(c net.Conn)
	}{
		{"silent after connecting", func(net.Conn) {}},
		// The first bytes of a TLS record of a ClientHello, and nothing more.
		{"half-sent ClientHello", func(c net.Conn) { c.Write([]byte{22, 3, 1, 0, 200, 1, 0}) }},
		{"half-sent headers", func(c net.Conn) {
			tc := tls.Client(c, tlsClientConfig(srv, "http/1.1"))
			if err := tc.Handshake(); err != nil {
				t.Errorf("handshake: %v", err)
			}
			io.WriteString(tc, head)
		}},
		{"short Content-Length", func(c net.Conn) {
			io.WriteString(tls.Client(c, tlsClientConfig(srv, "http/1.1")), head+"Content-Length: 100\r\n\r\n{\"a\":")
		}},
	} {
		// The cases run at once, each on its own connection.
		start := time.Now()
		c := dial(t, srv)
		wg.Add(1)
		go func() {
			defer wg.Done()
			tc.send(c)
			closedWithin(t, tc.name, c, 3*time.Second)
			if d := time.Since(start); d < rt || d > rt+time.Second {
				t.Errorf("%s: closed after %v, want about %v", tc.name, d, rt)
			}
		}()
	}
	wg.Wait()

	// HTTP/2 negotiated by TLS: the stream whose body never ends is reset.
	hc := srv.Client()
	checkStalledBodyReset(t, "h2", srv, hc, rt)

	// Close does not wait for a handshake in progress.
	hc.CloseIdleConnections()
	waitOpen := func(n int) {
		for deadline := time.Now().Add(3 * time.Second); srv.openConns() != n && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		if open := srv.openConns(); open != n {
			t.Fatalf("%d connections open, want %d", open, n)
		}
	}
	waitOpen(0)
	c := dial(t, srv)
	c.Write([]byte{22, 3, 1, 0, 200, 1, 0})
	waitOpen(1)
	start := time.Now()
	srv.Close()
	if d := time.Since(start); d > rt/2 {
		t.Errorf("Close took %v with a handshake in progress", d)
	}
	// Closed, by a FIN or, when the server had not read all the client sent, a reset.
	c.SetReadDeadline(time.Now().Add(time.Second))
	if _, err := io.Copy(io.Discard, c); errors.Is(err, os.ErrDeadlineExceeded) {
		t.Error("a connection in its handshake is still open after Close")
	}
}

// stalledStream opens a stream of a long reply on c and never reads it.
func stalledStream(t *testing.T, c *http.Client, url string) {
	t.Helper()
	prompt := strings.Repeat("many small words ", 1<<16) // about 20 MB of frames
	// No maxTokens: the whole prompt is echoed.
	req, _ := http.NewRequest("POST", url+"/model/"+claude+"/converse-stream", strings.NewReader(converseBody(prompt)))
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
}

// transports are the four ways a client reaches the server: HTTP/1.1 and HTTP/2, in plain
// text and over TLS.
var transports = []transport{{"http1", false}, {"h2c", false}, {"http1-tls", true}, {"h2-tls", true}}

type transport struct {
	name   string
	useTLS bool
}

// client returns a new client that speaks tr's protocol to srv, started with tr.useTLS.
func (tr transport) client(srv *Server) *http.Client {
	switch tr.name {
	case "h2c":
		return h2cClient()
	case "http1-tls":
		return &http.Client{Transport: &http.Transport{TLSClientConfig: tlsClientConfig(srv)}}
	}
	return srv.Client() // HTTP/1.1 in plain text, HTTP/2 over TLS
}

// TestWriteTimeout checks that a stream whose client stopped reading ends when a write has
// made no progress for WriteTimeout, on HTTP/1.1 and HTTP/2, in plain text and over TLS.
func TestWriteTimeout(t *testing.T) {
	const wt = 300 * time.Millisecond
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			t.Parallel() // mostly waits for the timeout
			ended := make(chan LogEntry, 1)
			srv, err := Start("127.0.0.1:0", tr.useTLS, Config{WriteTimeout: wt, Log: func(e LogEntry) { ended <- e }})
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			client := tr.client(srv)
			// HTTP/2 clients that take at most 64 KiB of the reply before it is read, as
			// an HTTP/1.1 one holds what its socket's buffer does: the server stalls after
			// a few frames, not after megabytes (which would take long with -race).
			client.Transport.(*http.Transport).HTTP2 = &http.HTTP2Config{
				MaxReceiveBufferPerStream: 64 << 10, MaxReceiveBufferPerConnection: 64 << 10}
			stalledStream(t, client, srv.URL)
			select {
			case e := <-ended:
				// The whole reply is 65,540 frames; a client that stops reading takes far fewer.
				if e.Frames == 0 || e.Frames >= 1<<16 || e.Duration < wt ||
					e.Proto != map[bool]string{false: "HTTP/1.1", true: "HTTP/2.0"}[strings.HasPrefix(tr.name, "h2")] {
					t.Errorf("ended after %d frames and %v, %s", e.Frames, e.Duration, e.Proto)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("the stream of a client that stopped reading is still running")
			}
		})
	}
}

// TestCloseWithStalledTLSClient checks that closing the TLS connection of a client that
// stopped reading is not held by the close_notify alert, which cannot go out, for the 5 s
// that crypto/tls gives it (or for ever, when net/http clears the write deadline meanwhile:
// the same bound covers it).
func TestCloseWithStalledTLSClient(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cert, leaf, caFile, err := selfSigned("")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(filepath.Dir(caFile))
	ll := newLimitListener(ln, 1, &tls.Config{Certificates: []tls.Certificate{cert}}, time.Second)
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	clientConn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	client := tls.Client(clientConn, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	defer client.Close()
	c, err := ll.Accept()
	if err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	go io.WriteString(client, "x") // the server's first Read runs the handshake
	if _, err := c.Read(make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
	// The client reads nothing: fill the buffers until a write makes no progress.
	buf := make([]byte, 64<<10)
	for start := time.Now(); ; {
		c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
		if _, err := c.Write(buf); err != nil {
			break
		}
		if time.Since(start) > 10*time.Second {
			t.Fatal("the client's buffers never filled")
		}
	}
	// Then the last bytes, below TLS, so that not even an alert fits.
	raw := c.(*serverConn).raw
	for n := 1; n > 0; {
		raw.SetWriteDeadline(time.Now().Add(20 * time.Millisecond))
		n, _ = raw.Write(buf[:8])
	}
	c.SetWriteDeadline(time.Time{}) // as net/http does after a response
	start := time.Now()
	c.Close()
	if d := time.Since(start); d > time.Second {
		t.Errorf("Close took %v", d)
	}
	if ll.open() != 0 {
		t.Error("the connection still counts as open")
	}
}

// TestIdleTimeout checks that idle connections close, on HTTP/1.1 and HTTP/2, and that a
// stream in progress is not idle.
func TestIdleTimeout(t *testing.T) {
	const it = 150 * time.Millisecond
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			t.Parallel() // an HTTP/2 server waits a second for the client after its GOAWAY
			srv, err := Start("127.0.0.1:0", tr.useTLS, Config{IdleTimeout: it})
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			c := tr.client(srv)
			defer c.CloseIdleConnections()
			// A stream that lasts nearly three idle timeouts completes.
			resp := post(t, c, srv.URL, claude, "converse-stream", converseBody("a b c d e f g h i [[mock chunk-delay=70ms]]"))
			evs, complete, err := readStream(t, resp)
			if err != nil || !complete || len(evs) != 7 || resp.ProtoMajor != map[bool]int{false: 1, true: 2}[strings.HasPrefix(tr.name, "h2")] {
				t.Errorf("slow stream: %d events, complete %v, %v, %s", len(evs), complete, err, resp.Proto)
			}
			if open := srv.openConns(); open != 1 {
				t.Errorf("%d connections open after a request", open)
			}
			deadline := time.Now().Add(3 * time.Second)
			for srv.openConns() > 0 && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if open := srv.openConns(); open != 0 {
				t.Errorf("idle connection still open after %v", 3*time.Second)
			}
		})
	}
}

// TestMaxConns checks that connections beyond MaxConns wait until one closes, in plain
// text and over TLS.
func TestMaxConns(t *testing.T) {
	for _, useTLS := range []bool{false, true} {
		srv, err := Start("127.0.0.1:0", useTLS, Config{MaxConns: 2})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		a, b := dial(t, srv), dial(t, srv)
		var c net.Conn = dial(t, srv) // the kernel completes the handshake; the server does not take it
		if useTLS {
			c = tls.Client(c, tlsClientConfig(srv, "http/1.1"))
		}
		req := "POST /model/" + claude + "/invoke HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
			strconv.Itoa(len(claudeBody("hi"))) + "\r\n\r\n" + claudeBody("hi")
		wrote := make(chan error, 1)
		go func() { _, err := io.WriteString(c, req); wrote <- err }() // over TLS, waits for the handshake
		c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		if _, err := c.Read(make([]byte, 1)); err == nil {
			t.Fatalf("TLS %v: a connection beyond MaxConns was served", useTLS)
		}
		if useTLS {
			// The handshake's read timed out on the client's side; start it again.
			c.Close()
			<-wrote
			c = tls.Client(dial(t, srv), tlsClientConfig(srv, "http/1.1"))
			go func() { _, err := io.WriteString(c, req); wrote <- err }()
			time.Sleep(100 * time.Millisecond)
		}
		// Free one place: the connection the server accepted first. The timed-out TLS
		// connection, accepted next, takes it and is closed by the server, which frees
		// its place again.
		a.Close()
		c.SetReadDeadline(time.Now().Add(3 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("TLS %v: the waiting connection was not served once one closed: %v", useTLS, err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("TLS %v: status %d", useTLS, resp.StatusCode)
		}
		if err := <-wrote; err != nil {
			t.Errorf("TLS %v: writing the request: %v", useTLS, err)
		}
		_ = b
	}
}

// dialTLS connects to a TLS server trusting its certificate, offering HTTP/1.1 by ALPN
// only. The handshake happens on the first read or write.
func dialTLS(t *testing.T, srv *Server) *tls.Conn {
	t.Helper()
	return tls.Client(dial(t, srv), tlsClientConfig(srv, "http/1.1"))
}

func tlsClientConfig(srv *Server, protos ...string) *tls.Config {
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate)
	return &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", NextProtos: protos}
}

// TestMalformedRequestsGetServiceErrors checks that requests net/http refuses before any
// handler runs are answered as the service answers errors, not with Go's plain text, in
// plain text and over TLS alike.
func TestMalformedRequestsGetServiceErrors(t *testing.T) {
	post := "POST /model/" + claude + "/invoke HTTP/1.1\r\nHost: x\r\n"
	cases := []struct {
		raw    string
		status int
	}{
		{"POST /model/%zz/invoke HTTP/1.1\r\nHost: x\r\n\r\n", 400},
		{"GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n", 400},
		{post + "Content-Length: -5\r\n\r\n", 400},
		{post + "Content-Length: abc\r\n\r\n", 400},
		{post + "Content-Length: 1\r\nContent-Length: 2\r\n\r\n", 400},
		{post + "Bad Header: v\r\n\r\n", 400},
		{post + "no colon\r\n\r\n", 400},
		{"POST /model/" + claude + "/invoke HTTP/1.1\r\n\r\n", 400}, // no Host
		// Past net/http's 1 MiB limit (plus its 4 KiB of slack) on the request line and
		// headers.
		{post + "X-Big: " + strings.Repeat("b", 1<<20+8<<10) + "\r\n\r\n", 431},
	}
	for _, useTLS := range []bool{false, true} {
		srv, err := Start("127.0.0.1:0", useTLS, Config{})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		for _, tc := range cases {
			what := fmt.Sprintf("TLS %v, %.60q", useTLS, tc.raw)
			var c net.Conn = dial(t, srv)
			if useTLS {
				c = tls.Client(c, tlsClientConfig(srv, "http/1.1"))
			}
			c.SetDeadline(time.Now().Add(5 * time.Second))
			go io.WriteString(c, tc.raw) // the server may answer before reading it all
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			name, status, msg := apiError(t, resp)
			if status != tc.status || name != "ValidationException" || resp.Header.Get("Content-Type") != "application/json" ||
				resp.Header.Get("X-Amzn-Requestid") == "" || !strings.HasPrefix(msg, "bedrocktest: malformed request: "+strconv.Itoa(tc.status)) {
				t.Errorf("%s: %d %q %q %v; want %d ValidationException", what, status, name, msg, resp.Header, tc.status)
			}
		}
	}
}

// TestPlainHTTPToTLSPort checks that a plain-text request to the TLS port gets a
// service-shaped 400, in plain text, rather than net/http's text.
func TestPlainHTTPToTLSPort(t *testing.T) {
	srv := NewTLSServer(Config{})
	defer srv.Close()
	c := dial(t, srv)
	io.WriteString(c, "POST /model/"+claude+"/invoke HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	name, status, msg := apiError(t, resp)
	if status != 400 || name != "ValidationException" || resp.Header.Get("X-Amzn-Requestid") == "" || !strings.Contains(msg, "serves HTTPS") {
		t.Errorf("%d %q %q %v", status, name, msg, resp.Header)
	}
	closedWithin(t, "plain-text request to the TLS port", c, 3*time.Second)
}

// TestHTTP2BadContentLength checks the Content-Length that net/http's HTTP/2 server passes
// on to the handler unchecked.
func TestHTTP2BadContentLength(t *testing.T) {
	h := NewHandler(Config{})
	for _, cl := range [][]string{{"-5"}, {"abc"}, {"1", "2"}, {""}} {
		req, _ := http.NewRequest("POST", "/model/"+claude+"/invoke", strings.NewReader(""))
		req.ProtoMajor, req.Proto = 2, "HTTP/2.0"
		req.ContentLength = 0 // what the HTTP/2 server sets for a value it cannot parse
		req.Header["Content-Length"] = cl
		req.Header.Set("Content-Type", "application/json")
		rec := newRecorder()
		h.ServeHTTP(rec, req)
		if rec.code != 400 || !strings.HasPrefix(rec.h.Get("X-Amzn-Errortype"), "ValidationException:") || !strings.Contains(rec.body.String(), "Content-Length") {
			t.Errorf("Content-Length %q: %d %s %s", cl, rec.code, rec.h.Get("X-Amzn-Errortype"), rec.body.String())
		}
	}
}

// TestLimitDefaults checks the limits a zero Config gets (the timeouts themselves are tested
// above with short settings; waiting out the defaults would take minutes).
func TestLimitDefaults(t *testing.T) {
	srv := NewServer(Config{})
	defer srv.Close()
	hs := srv.srv
	if hs.ReadHeaderTimeout != DefaultReadTimeout || hs.IdleTimeout != DefaultIdleTimeout || hs.HTTP2.WriteByteTimeout != DefaultWriteTimeout ||
		hs.ReadTimeout != 0 || hs.WriteTimeout != 0 {
		t.Errorf("server timeouts: read header %v, idle %v, HTTP/2 write byte %v, read %v, write %v",
			hs.ReadHeaderTimeout, hs.IdleTimeout, hs.HTTP2.WriteByteTimeout, hs.ReadTimeout, hs.WriteTimeout)
	}
	if n := cap(srv.Listener.(*limitListener).sem); n != DefaultMaxConns {
		t.Errorf("connection limit %d, want %d", n, DefaultMaxConns)
	}
	if DefaultReadTimeout != 30*time.Second || DefaultWriteTimeout != 30*time.Second || DefaultIdleTimeout != 60*time.Second || DefaultMaxConns != 4096 {
		t.Error("the documented defaults changed")
	}
}

func TestStartRefusesEmptyAddr(t *testing.T) {
	if srv, err := Start("", false, Config{}); err == nil {
		srv.Close()
		t.Fatal("Start(\"\") listened")
	}
}

// TestLongWordStreams checks that a reply echoing a prompt that is one word longer than a
// frame may be (20 MiB, no space: 27 MiB in base64) streams in pieces to a complete, intact end.
func TestLongWordStreams(t *testing.T) {
	srv := NewServer(Config{})
	defer srv.Close()
	word := strings.Repeat("w", 20<<20)
	for _, tc := range []struct{ path, body string }{
		{"/model/amazon.titan-text-express-v1/invoke-with-response-stream", `{"inputText":"` + word + `"}`},
		{"/model/" + claude + "/converse-stream", converseBody(word)},
	} {
		req, _ := http.NewRequest("POST", srv.URL+tc.path, strings.NewReader(tc.body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		r, err := bedrock.ReadResponse(resp)
		if err != nil {
			t.Fatalf("%s: %v", tc.path, err)
		}
		n := 0
		for {
			ev, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", tc.path, err)
			}
			if strings.HasSuffix(tc.path, "/invoke-with-response-stream") {
				s, _ := bedrock.TextDelta(bedrock.FamilyTitan, ev.Payload)
				n += len(s)
			} else if ev.Type == "contentBlockDelta" {
				n += strings.Count(string(ev.Payload), "w")
			}
		}
		resp.Body.Close()
		if !r.Complete() || n != len(word) {
			t.Errorf("%s: complete %v, %d of %d bytes echoed", tc.path, r.Complete(), n, len(word))
		}
	}
}
