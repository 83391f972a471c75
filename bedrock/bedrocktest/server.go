package bedrocktest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/framewire/eventstream/bedrock"
	"github.com/framewire/eventstream/sigv4"
)

// Config says how a server authenticates and what it answers. The zero Config accepts every
// request and echoes every prompt.
type Config struct {
	// Credentials, when not empty, make the server require a SigV4 signature for service
	// "bedrock" (any region) made with one of them, checked as the service checks it by
	// sigv4.RequestVerifier: refusals are 403 with the service's error name and message
	// (UnrecognizedClientException for an unknown access key or session token,
	// InvalidSignatureException for a signature that does not match the request and its
	// body, a date more than sigv4.MaxRequestSkew away, or signed headers that leave out
	// the host or the date, ...). Credentials with a session token require that token in
	// X-Amz-Security-Token; credentials without one accept any.
	Credentials []sigv4.Credentials
	// BearerToken, when set, is accepted in "Authorization: Bearer <token>". With neither
	// Credentials nor BearerToken set, any request is accepted, signed or not.
	BearerToken string
	// Scenario scripts replies and faults; nil echoes every prompt.
	Scenario *Scenario
	// Log, when set, is called once per request after its response has ended (also when
	// the response was cut off on purpose or by the client), concurrently from the
	// requests' goroutines.
	Log func(LogEntry)
	// JournalSize is how many requests the journal keeps, the oldest dropped first (see
	// [Server.Requests] and [JournalPath]): 0 keeps DefaultJournalSize, a negative value
	// turns the journal off.
	JournalSize int

	// Voice sessions (InvokeModelWithBidirectionalStream). SessionTimeout bounds a
	// session's duration (0: DefaultSessionTimeout, the service's 8 minutes; it then ends
	// with a modelTimeoutException); SessionIdleTimeout how long it waits for the next input
	// frame (0: DefaultSessionIdleTimeout; then a validationException); MaxInputFrame the
	// size of an input frame in bytes (0: DefaultMaxInputFrame).
	SessionTimeout     time.Duration
	SessionIdleTimeout time.Duration
	MaxInputFrame      int

	// ReadTimeout bounds the time a request's headers and whole body take to arrive
	// (DefaultReadTimeout when zero). Past it, an HTTP/1.1 connection is closed and an
	// HTTP/2 stream reset, without an answer: a half-sent body, a chunked body never
	// finished or a Content-Length larger than what arrives holds nothing longer. Over TLS,
	// a connection's handshake and its first request's headers share that time.
	ReadTimeout time.Duration
	// WriteTimeout bounds the time one write of a response may make no progress
	// (DefaultWriteTimeout when zero): a client that stops reading has its stream ended
	// (HTTP/1.1 connection closed, HTTP/2 stream reset) and everything the request held
	// freed.
	WriteTimeout time.Duration
	// IdleTimeout closes a connection with no request in progress (HTTP/1.1 keep-alive)
	// or no stream open (HTTP/2, h2c and TLS alike) for that long (DefaultIdleTimeout when
	// zero). It applies to the servers of this package, not to a handler mounted elsewhere.
	IdleTimeout time.Duration
	// MaxConns bounds the connections open at once (DefaultMaxConns when zero). Beyond
	// it, new connections wait in the listen queue until one closes. It applies to the
	// servers of this package.
	MaxConns int
}

// Defaults of the limits in [Config].
const (
	DefaultReadTimeout  = 30 * time.Second
	DefaultWriteTimeout = 30 * time.Second
	DefaultIdleTimeout  = 60 * time.Second
	DefaultMaxConns     = 4096
)

func orDefault[T time.Duration | int](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// A LogEntry describes one request, for [Config.Log].
type LogEntry struct {
	Time      time.Time     // when the request arrived
	Method    string        // HTTP method
	Proto     string        // "HTTP/1.1" or "HTTP/2.0"
	Operation string        // "InvokeModelWithResponseStream", ...; empty for an unknown path
	Model     string        // model ID, percent-decoded
	Status    int           // HTTP status sent
	Frames    int           // event stream frames sent, whole or cut off
	Duration  time.Duration // until the response ended
	RequestID string        // the x-amzn-RequestId sent
	Aborted   bool          // the connection or stream was cut: truncate directive, or a request not whole within the read timeout

	// Voice sessions only: user turns answered, input frames read and how the session
	// ended ("end frame", "request ended after sessionEnd", "validationException: ...").
	Turns    int
	FramesIn int
	End      string
}

// String formats e as one log line.
func (e LogEntry) String() string {
	op, model := e.Operation, e.Model
	if op == "" {
		op = "-"
	}
	if model == "" {
		model = "-"
	}
	s := fmt.Sprintf("%s %s model=%s status=%d frames=%d duration=%s proto=%s request-id=%s",
		e.Method, op, model, e.Status, e.Frames, e.Duration.Round(time.Microsecond), e.Proto, e.RequestID)
	if e.Operation == string(bedrock.OpInvokeWithBidirectionalStream) {
		s += fmt.Sprintf(" turns=%d frames-in=%d end=%q", e.Turns, e.FramesIn, e.End)
	}
	if e.Aborted {
		s += " aborted"
	}
	return s
}

// A Server is a Bedrock Runtime server listening on a loopback port, for tests, shaped like
// [net/http/httptest.Server].
type Server struct {
	// URL is the base URL, "http://127.0.0.1:PORT" (or "https://" with TLS), with no
	// trailing slash. Point an SDK's endpoint at it.
	URL      string
	Listener net.Listener

	// TLS only: Certificate is the self-signed certificate the server presents, and
	// CAFile a PEM file holding it, removed by Close.
	Certificate *x509.Certificate
	CAFile      string

	srv       *http.Server
	h         *handler
	inflight  atomic.Int64 // handlers running
	cancel    context.CancelFunc
	done      chan struct{}
	closeOnce sync.Once
}

// NewServer starts a plain-text server on 127.0.0.1 with a free port, serving HTTP/1.1 and
// HTTP/2 with prior knowledge (h2c) on the same port. It panics if it cannot listen, as
// [net/http/httptest.NewServer] does. Call Close when done.
func NewServer(cfg Config) *Server {
	s, err := Start("127.0.0.1:0", false, cfg)
	if err != nil {
		panic(err)
	}
	return s
}

// NewTLSServer is NewServer with HTTPS: HTTP/2 by ALPN and HTTP/1.1, over TLS 1.3 or TLS
// 1.2 with the cipher suites HTTP/2 permits, with a freshly made self-signed certificate for
// localhost, 127.0.0.1 and ::1 (see Server.CAFile and Client). The server terminates TLS
// itself: the requests that net/http refuses are answered with the service's JSON errors,
// as in plain text.
func NewTLSServer(cfg Config) *Server {
	s, err := Start("127.0.0.1:0", true, cfg)
	if err != nil {
		panic(err)
	}
	return s
}

// Start listens on addr ("127.0.0.1:0" picks a free port) and serves in the background:
// HTTP/1.1 and h2c when useTLS is false; HTTPS with HTTP/2 (ALPN) and HTTP/1.1 and a
// self-signed certificate when it is true, as NewTLSServer. An empty addr is an error:
// net.Listen would take it for every interface.
func Start(addr string, useTLS bool, cfg Config) (*Server, error) {
	if addr == "" {
		return nil, errors.New("bedrocktest: empty listen address; give HOST:PORT (127.0.0.1:0 picks a free port)")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("bedrocktest: %w", err)
	}
	var tlsConfig *tls.Config
	s := &Server{done: make(chan struct{})}
	if useTLS {
		host, _, _ := net.SplitHostPort(addr)
		cert, leaf, caFile, err := selfSigned(host)
		if err != nil {
			ln.Close()
			return nil, fmt.Errorf("bedrocktest: certificate: %w", err)
		}
		s.Certificate, s.CAFile = leaf, caFile
		tlsConfig = &tls.Config{
			Certificates: []tls.Certificate{cert},
			NextProtos:   []string{"h2", "http/1.1"},
			MinVersion:   tls.VersionTLS12,
			// TLS 1.2 only with the suites HTTP/2 permits (RFC 9113, section 9.2.2) for
			// the certificate's ECDSA key, whichever protocol is negotiated; TLS 1.3's
			// suites all qualify.
			CipherSuites: []uint16{
				tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
				tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
			},
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	readTimeout := orDefault(cfg.ReadTimeout, DefaultReadTimeout)
	ll := newLimitListener(ln, orDefault(cfg.MaxConns, DefaultMaxConns), tlsConfig, readTimeout)
	s.Listener, s.cancel = ll, cancel
	// The server sees every connection as plain text, TLS included (the listener
	// terminates it, see serverConn): HTTP/2 is recognized by its preface, whether TLS
	// negotiated it by ALPN or a client sends it with prior knowledge.
	var protos http.Protocols
	protos.SetHTTP1(true)
	protos.SetUnencryptedHTTP2(true)
	h := newHandler(cfg)
	s.h = h
	hs := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s.inflight.Add(1)
			defer s.inflight.Add(-1)
			h.ServeHTTP(w, r)
		}),
		Protocols: &protos,
		// "OPTIONS *" reaches the handler, which answers it as an unknown operation.
		DisableGeneralOptionsHandler: true,
		// The handler bounds the body by the same time, counted from the request's first
		// byte (see serverConn); Server.ReadTimeout would also cut the streams that last
		// longer. Over TLS, the handshake happens within it too.
		ReadHeaderTimeout: readTimeout,
		IdleTimeout:       orDefault(cfg.IdleTimeout, DefaultIdleTimeout),
		ConnState:         connState,
		ConnContext:       connContext,
		HTTP2: &http.HTTP2Config{
			// An HTTP/2 connection that accepts no bytes for this long is closed, as
			// an HTTP/1.1 one is by the handler's write deadlines.
			WriteByteTimeout: orDefault(cfg.WriteTimeout, DefaultWriteTimeout),
		},
		// Streams in flight end when the server closes: their handlers watch this context.
		BaseContext: func(net.Listener) context.Context { return ctx },
	}
	s.srv = hs
	scheme := "http://"
	if useTLS {
		scheme = "https://"
	}
	s.URL = scheme + ll.Addr().String()
	go func() {
		defer close(s.done)
		hs.Serve(ll)
	}()
	return s, nil
}

// openConns returns the number of connections open.
func (s *Server) openConns() int { return s.Listener.(*limitListener).open() }

// Client returns an HTTP client for the server: in TLS mode it trusts the server's
// certificate and negotiates HTTP/2; otherwise it speaks HTTP/1.1.
func (s *Server) Client() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if s.Certificate != nil {
		pool := x509.NewCertPool()
		pool.AddCert(s.Certificate)
		tr.TLSClientConfig = &tls.Config{RootCAs: pool}
		tr.ForceAttemptHTTP2 = true
	}
	return &http.Client{Transport: tr}
}

// Close stops the server: it stops accepting connections, ends the requests in flight (a
// stream or a delay in progress stops at once), closes every connection, waits up to five
// seconds for the handlers to return and removes the CA file. It is safe to call more than
// once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.cancel()
		// Shutdown would wait for clients to close their idle HTTP/2 connections; it is
		// only given the time the handlers in flight take to return.
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		go func() {
			for s.inflight.Load() > 0 && ctx.Err() == nil {
				time.Sleep(5 * time.Millisecond)
			}
			cancel()
		}()
		s.srv.Shutdown(ctx)
		s.srv.Close()
		<-s.done
		for deadline := time.Now().Add(5 * time.Second); s.inflight.Load() > 0 && time.Now().Before(deadline); {
			time.Sleep(5 * time.Millisecond)
		}
		if s.CAFile != "" {
			os.RemoveAll(filepath.Dir(s.CAFile))
		}
	})
}

// Requests returns the requests the server has answered, oldest first: the last
// Config.JournalSize of them (DefaultJournalSize by default), each recorded when its
// response ended. The slice and its entries are the caller's own; it is safe to call while
// requests are in flight.
func (s *Server) Requests() []Request {
	return s.h.journal.list(nil)
}

// ClearRequests empties the journal that Requests reads.
func (s *Server) ClearRequests() {
	s.h.journal.clear()
}
