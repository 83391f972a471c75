package bedrocktest

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
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
// close, and the connections beyond wait in the kernel's listen queue. With a TLS config,
// it terminates TLS: each connection it returns carries the decrypted bytes.
type limitListener struct {
	net.Listener
	sem       chan struct{}
	conns     atomic.Int64 // open
	done      chan struct{}
	closeOnce sync.Once
	tlsConfig *tls.Config
	handshake time.Duration // the longest a TLS handshake's writes may wait
}

func newLimitListener(ln net.Listener, n int, tlsConfig *tls.Config, handshake time.Duration) *limitListener {
	return &limitListener{Listener: ln, sem: make(chan struct{}, n), done: make(chan struct{}),
		tlsConfig: tlsConfig, handshake: handshake}
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
	sc := newServerConn(c, func() { l.conns.Add(-1); <-l.sem })
	if l.tlsConfig != nil {
		// No I/O here: the handshake happens on the first Read, in the connection's own
		// goroutine and within the read deadline net/http sets for the request's headers.
		sc.tls = tls.Server(c, l.tlsConfig)
		sc.Conn, sc.raw, sc.handshakeTimeout = sc.tls, c, l.handshake
	}
	return sc, nil
}

// open returns the number of connections open.
func (l *limitListener) open() int { return int(l.conns.Load()) }

func (l *limitListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// serverConn is one accepted connection, as net/http sees it: plain text, TLS having been
// terminated below it, so that net/http's own error answers pass through Write and HTTP/2
// is recognized by its preface whether TLS negotiated it or not. It frees its place in the
// limit when closed, remembers when the bytes of the current HTTP/1.1 request began to
// arrive (for the read timeout, which covers headers and body), and turns the plain-text
// error responses that net/http writes for requests it cannot parse into the service's
// JSON errors. Over HTTP/2, h2Conn answers in the same way the requests whose :path
// net/http refuses.
//
// It must not have a ConnectionState method: net/http would take the connection for TLS
// it did not negotiate and no longer look for the HTTP/2 preface (so requests see a nil
// Request.TLS).
type serverConn struct {
	net.Conn  // the decrypted stream: the accepted connection, or tls below
	release   func()
	closeOnce sync.Once
	idle      atomic.Bool  // between HTTP/1.1 requests
	reqStart  atomic.Int64 // unix nanoseconds of the first byte of the current request

	// TLS only: the TLS connection over raw, the accepted one.
	tls              *tls.Conn
	raw              net.Conn
	handshakeTimeout time.Duration
	handshaken       atomic.Bool

	// preface counts the bytes of the HTTP/2 client preface read so far, -1 once the
	// connection has shown it is not HTTP/2; once the whole preface is read, h2 follows
	// the connection (see h2Conn).
	preface       int
	h2            atomic.Pointer[h2Conn]
	writeDeadline atomic.Int64 // unix nanoseconds; 0 for none
	closed        chan struct{}
}

func newServerConn(c net.Conn, release func()) *serverConn {
	sc := &serverConn{Conn: c, release: release, closed: make(chan struct{})}
	sc.idle.Store(true)
	return sc
}

func (c *serverConn) Read(p []byte) (n int, err error) {
	if c.tls != nil && !c.handshaken.Load() {
		if err := c.handshake(); err != nil {
			return 0, err
		}
	}
	switch h := c.h2.Load(); {
	case h != nil:
		n, err = h.read(p)
	case c.preface >= 0:
		// Until the preface is whole or has failed, no read goes past it: what follows
		// it must go through h2Conn.
		n, err = c.Conn.Read(p[:min(len(p), len(h2Preface)-c.preface)])
		if n > 0 {
			if string(p[:n]) != h2Preface[c.preface:c.preface+n] {
				c.preface = -1
			} else if c.preface += n; c.preface == len(h2Preface) {
				c.h2.Store(newH2Conn(c.Conn, c.writeDeadlineTime, c.closed))
			}
		}
	default:
		n, err = c.Conn.Read(p)
	}
	if n > 0 && c.idle.Load() && c.idle.CompareAndSwap(true, false) {
		c.reqStart.Store(time.Now().UnixNano())
	}
	return n, err
}

// handshake runs the TLS handshake. Its reads wait until the read deadline that net/http
// set before its first read, its writes at most handshakeTimeout. A client that speaks
// plain-text HTTP gets a service-shaped 400 in plain text.
func (c *serverConn) handshake() error {
	c.raw.SetWriteDeadline(time.Now().Add(c.handshakeTimeout))
	err := c.tls.Handshake()
	c.raw.SetWriteDeadline(time.Time{})
	if err != nil {
		var rh tls.RecordHeaderError
		if errors.As(err, &rh) && rh.Conn != nil && looksLikeHTTP(rh.RecordHeader) {
			c.raw.SetWriteDeadline(time.Now().Add(c.handshakeTimeout))
			c.raw.Write(serviceError(http.StatusBadRequest, "bedrocktest: this port serves HTTPS; the request came in plain text"))
		}
		return err
	}
	c.handshaken.Store(true)
	return nil
}

// looksLikeHTTP reports whether the first bytes a client sent, read as a TLS record
// header, are rather the start of an HTTP/1.x request line: a TLS record begins with a
// content type byte (20 to 24), a request with an upper-case method name.
func looksLikeHTTP(head [5]byte) bool {
	for _, b := range head {
		if (b < 'A' || b > 'Z') && b != ' ' && b != '/' && b != '*' {
			return false
		}
	}
	return head[0] >= 'A' && head[0] <= 'Z'
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
	if h := c.h2.Load(); h != nil {
		return h.write(p)
	}
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

func (c *serverConn) SetWriteDeadline(t time.Time) error {
	c.storeWriteDeadline(t)
	return c.Conn.SetWriteDeadline(t)
}

func (c *serverConn) SetDeadline(t time.Time) error {
	c.storeWriteDeadline(t)
	return c.Conn.SetDeadline(t)
}

func (c *serverConn) storeWriteDeadline(t time.Time) {
	var ns int64
	if !t.IsZero() {
		ns = t.UnixNano()
	}
	c.writeDeadline.Store(ns)
}

func (c *serverConn) writeDeadlineTime() time.Time {
	if ns := c.writeDeadline.Load(); ns != 0 {
		return time.Unix(0, ns)
	}
	return time.Time{}
}

// closeNotifyWait bounds the sending of TLS's close_notify alert when a connection closes.
const closeNotifyWait = 100 * time.Millisecond

func (c *serverConn) Close() error {
	var err error
	if c.tls != nil {
		// tls.Conn.Close sends a close_notify alert first, which waits for room in the
		// socket's buffer: for a client that stopped reading, 5 s (the deadline it sets
		// itself), or for ever when net/http clears the write deadline at the same time,
		// as it does after a response. net/http's Server.Close closes the connections one
		// by one under its lock, so one such client would hold every other one too. The
		// alert goes out at once or not at all.
		t := time.AfterFunc(closeNotifyWait, func() { c.raw.Close() })
		err = c.tls.Close()
		t.Stop()
	} else {
		err = c.Conn.Close()
	}
	c.closeOnce.Do(func() {
		close(c.closed)
		c.release()
	})
	return err
}

// serviceShapedError rewrites one of net/http's own plain-text error responses as the
// service answers errors (see serviceError), keeping its status and text. It returns nil
// for anything else.
func serviceShapedError(p []byte) []byte {
	statusLine, rest, ok := bytes.Cut(p, []byte(goErrorHeaders))
	if !ok || bytes.IndexByte(statusLine, '\n') >= 0 {
		return nil
	}
	code, err := strconv.Atoi(string(statusLine[len("HTTP/1.1 "):min(len(statusLine), len("HTTP/1.1 000"))]))
	if err != nil || code < 400 || code > 599 {
		return nil
	}
	return serviceError(code, "bedrocktest: malformed request: "+string(rest))
}

// serviceError is a whole HTTP/1.1 response, closing the connection, that answers an error
// as the service does: the status, x-amzn-ErrorType (ValidationException for a 4xx,
// InternalServerException for a 5xx), x-amzn-RequestId and a JSON message.
func serviceError(code int, message string) []byte {
	name := bedrock.ErrValidation
	if code >= 500 {
		name = bedrock.ErrInternalServer
	}
	rec := newHeaderRecorder()
	bedrock.WriteAPIError(rec, &bedrock.APIError{Name: name, StatusCode: code, Message: message})
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
		if sc, ok := c.(*serverConn); ok {
			sc.idle.Store(true)
		}
	}
}

type connKey struct{}

// connContext makes the connection known to the handler, for the read timeout.
func connContext(ctx context.Context, c net.Conn) context.Context {
	if sc, ok := c.(*serverConn); ok {
		return context.WithValue(ctx, connKey{}, sc)
	}
	return ctx
}
