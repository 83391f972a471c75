package bedrocktest

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
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
	pr, pw := io.Pipe()
	defer pw.Close()
	req, _ := http.NewRequest("POST", srv.URL+"/model/"+claude+"/invoke", pr)
	req.Header.Set("Content-Type", "application/json")
	go pw.Write([]byte(`{"a":`))
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	start := time.Now()
	resp, err := h2cClient().Do(req.WithContext(ctx))
	if err == nil {
		resp.Body.Close()
		t.Fatalf("h2c: unfinished body answered %d", resp.StatusCode)
	}
	if ctx.Err() != nil || time.Since(start) > rt+time.Second {
		t.Errorf("h2c: stream not reset after %v: %v", time.Since(start), err)
	}
}

// stalledStream opens a stream of a long reply on c and never reads it.
func stalledStream(t *testing.T, c *http.Client, url string) {
	t.Helper()
	prompt := strings.Repeat("many small words ", 1<<16) // about 20 MB of frames
	req, _ := http.NewRequest("POST", url+"/model/"+claude+"/invoke-with-response-stream", strings.NewReader(claudeBody(prompt)))
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
}

// TestWriteTimeout checks that a stream whose client stopped reading ends when a write has
// made no progress for WriteTimeout, on HTTP/1.1 and HTTP/2.
func TestWriteTimeout(t *testing.T) {
	const wt = 300 * time.Millisecond
	ended := make(chan LogEntry, 2)
	srv := NewServer(Config{WriteTimeout: wt, Log: func(e LogEntry) { ended <- e }})
	defer srv.Close()
	for _, c := range []struct {
		name   string
		client *http.Client
	}{{"http1", srv.Client()}, {"h2c", h2cClient()}} {
		stalledStream(t, c.client, srv.URL)
		select {
		case e := <-ended:
			if e.Frames == 0 {
				t.Errorf("%s: ended after %d frames", c.name, e.Frames)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: the stream of a client that stopped reading is still running", c.name)
		}
	}
}

// TestIdleTimeout checks that idle connections close, on HTTP/1.1 and HTTP/2, and that a
// stream in progress is not idle.
func TestIdleTimeout(t *testing.T) {
	const it = 150 * time.Millisecond
	for _, tc := range []struct {
		name   string
		useTLS bool
	}{{"http1", false}, {"h2c", false}, {"h2", true}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // an HTTP/2 server waits a second for the client after its GOAWAY
			srv, err := Start("127.0.0.1:0", tc.useTLS, Config{IdleTimeout: it})
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			c := srv.Client() // HTTP/1.1 in plain text, HTTP/2 over TLS
			if tc.name == "h2c" {
				c = h2cClient()
			}
			defer c.CloseIdleConnections()
			// A stream that lasts nearly three idle timeouts completes.
			resp := post(t, c, srv.URL, claude, "converse-stream", converseBody("a b c d e f g h i [[mock chunk-delay=70ms]]"))
			evs, complete, err := readStream(t, resp)
			if err != nil || !complete || len(evs) != 7 || resp.ProtoMajor != map[bool]int{false: 1, true: 2}[tc.name != "http1"] {
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

// TestMaxConns checks that connections beyond MaxConns wait until one closes.
func TestMaxConns(t *testing.T) {
	srv := NewServer(Config{MaxConns: 2})
	defer srv.Close()
	a, b := dial(t, srv), dial(t, srv)
	c := dial(t, srv) // the kernel completes the handshake; the server does not take it
	req := "POST /model/" + claude + "/invoke HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
		strconv.Itoa(len(claudeBody("hi"))) + "\r\n\r\n" + claudeBody("hi")
	io.WriteString(c, req)
	c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatal("a connection beyond MaxConns was served")
	}
	a.Close()
	c.SetReadDeadline(time.Now().Add(3 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("the waiting connection was not served once one closed: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("status %d", resp.StatusCode)
	}
	_ = b
}

// TestMalformedRequestsGetServiceErrors checks that requests net/http refuses before any
// handler runs are answered as the service answers errors, not with Go's plain text.
func TestMalformedRequestsGetServiceErrors(t *testing.T) {
	srv := NewServer(Config{})
	defer srv.Close()
	for _, raw := range []string{
		"POST /model/%zz/invoke HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST /model/" + claude + "/invoke HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
		"POST /model/" + claude + "/invoke HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
		"POST /model/" + claude + "/invoke HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
		"POST /model/" + claude + "/invoke HTTP/1.1\r\nHost: x\r\nBad Header: v\r\n\r\n",
	} {
		c := dial(t, srv)
		io.WriteString(c, raw)
		c.SetReadDeadline(time.Now().Add(3 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("%q: %v", raw, err)
		}
		name, status, msg := apiError(t, resp)
		if status != 400 || name != "ValidationException" || resp.Header.Get("Content-Type") != "application/json" ||
			resp.Header.Get("X-Amzn-Requestid") == "" || msg == "" {
			t.Errorf("%q: %d %q %q %v", raw, status, name, msg, resp.Header)
		}
	}
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
