package bedrocktest

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/framewire/eventstream/bedrock"
)

// limitListener accepts at most cap(sem) connections at once: Accept waits for one to
// close, and the connections beyond wait in the kernel's listen queue.
type limitListener struct {
	net.Listener
	sem       chan struct{}
	conns     atomic.Int64 // open
	done      chan struct{}
	closeOnce sync.Once
}

func newLimitListener(ln net.Listener, n int) *limitListener {
	return &limitListener{Listener: ln, sem: make(chan struct{}, n), done: make(chan struct{})}
}

func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.sem <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.sem
		return nil, err
	}
	l.conns.Add(1)
	sc := &serverConn{Conn: c, release: func() { l.conns.Add(-1); <-l.sem }}
	sc.idle.Store(true)
	return sc, nil
}

// open returns the number of connections open.
func (l *limitListener) open() int { return int(l.conns.Load()) }

func (l *limitListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// serverConn is one accepted connection. It frees its place in the limit when closed,
// remembers when the bytes of the current HTTP/1.1 request began to arrive (for the read
// timeout, which covers headers and body), and turns the plain-text error responses that
// net/http writes for requests it cannot parse into the service's JSON errors.
type serverConn struct {
	net.Conn
	release   func()
	closeOnce sync.Once
	idle      atomic.Bool  // between HTTP/1.1 requests
	reqStart  atomic.Int64 // unix nanoseconds of the first byte of the current request
}

func (c *serverConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 && c.idle.Load() && c.idle.CompareAndSwap(true, false) {
		c.reqStart.Store(time.Now().UnixNano())
	}
	return n, err
}

// requestStart returns when the current HTTP/1.1 request began to arrive, or the zero time.
func (c *serverConn) requestStart() time.Time {
	if ns := c.reqStart.Load(); ns != 0 {
		return time.Unix(0, ns)
	}
	return time.Time{}
}

// goErrorHeaders is what net/http writes after the status line of the error responses it
// sends itself, before any handler runs (malformed request line, path or header, a bad
// Content-Length, headers too large), followed by the status as a plain-text body.
const goErrorHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"

func (c *serverConn) Write(p []byte) (int, error) {
	if bytes.HasPrefix(p, []byte("HTTP/1.1 ")) && bytes.Contains(p, []byte(goErrorHeaders)) {
		if out := serviceShapedError(p); out != nil {
			if _, err := c.Conn.Write(out); err != nil {
				return 0, err
			}
			return len(p), nil
		}
	}
	return c.Conn.Write(p)
}

func (c *serverConn) Close() error {
	err := c.Conn.Close()
	c.closeOnce.Do(c.release)
	return err
}

// serviceShapedError rewrites one of net/http's own plain-text error responses as the
// service answers errors: the same status, x-amzn-ErrorType, x-amzn-RequestId and a JSON
// message. It returns nil for anything else.
func serviceShapedError(p []byte) []byte {
	statusLine, rest, ok := bytes.Cut(p, []byte(goErrorHeaders))
	if !ok || bytes.IndexByte(statusLine, '\n') >= 0 {
		return nil
	}
	code, err := strconv.Atoi(string(statusLine[len("HTTP/1.1 "):min(len(statusLine), len("HTTP/1.1 000"))]))
	if err != nil || code < 400 || code > 599 {
		return nil
	}
	name := bedrock.ErrValidation
	if code >= 500 {
		name = bedrock.ErrInternalServer
	}
	rec := newHeaderRecorder()
	bedrock.WriteAPIError(rec, &bedrock.APIError{Name: name, StatusCode: code,
		Message: "bedrocktest: malformed request: " + string(rest)})
	var b bytes.Buffer
	fmt.Fprintf(&b, "HTTP/1.1 %03d %s\r\n", code, http.StatusText(code))
	rec.h.Set("X-Amzn-Requestid", newRequestID())
	rec.h.Set("Connection", "close")
	rec.h.Write(&b)
	b.WriteString("\r\n")
	b.Write(rec.body.Bytes())
	return b.Bytes()
}

// headerRecorder is the smallest http.ResponseWriter, to capture WriteAPIError's output.
type headerRecorder struct {
	h    http.Header
	body bytes.Buffer
}

func newHeaderRecorder() *headerRecorder              { return &headerRecorder{h: http.Header{}} }
func (r *headerRecorder) Header() http.Header         { return r.h }
func (r *headerRecorder) WriteHeader(int)             {}
func (r *headerRecorder) Write(p []byte) (int, error) { return r.body.Write(p) }
func connState(c net.Conn, s http.ConnState) {
	if s == http.StateIdle || s == http.StateNew {
		if sc := unwrapConn(c); sc != nil {
			sc.idle.Store(true)
		}
	}
}

// unwrapConn returns the serverConn under c, or nil.
func unwrapConn(c net.Conn) *serverConn {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	sc, _ := c.(*serverConn)
	return sc
}

type connKey struct{}

// connContext makes the connection known to the handler, for the read timeout.
func connContext(ctx context.Context, c net.Conn) context.Context {
	if sc := unwrapConn(c); sc != nil {
		return context.WithValue(ctx, connKey{}, sc)
	}
	return ctx
}
