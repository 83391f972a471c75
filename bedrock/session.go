package bedrock

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/framewire/eventstream"
	"github.com/framewire/eventstream/sigv4"
)

// BidirectionalStreamPath returns the path of InvokeModelWithBidirectionalStream for a model:
// "/model/{modelId}/invoke-with-bidirectional-stream", the model ID escaped as a path segment.
func BidirectionalStreamPath(modelID string) string {
	return "/model/" + url.PathEscape(modelID) + "/invoke-with-bidirectional-stream"
}

// SessionConfig says where and how [OpenSession] opens a session.
type SessionConfig struct {
	// HTTPClient sends the request. Its transport must speak HTTP/2, since the request body
	// streams while the response does: over https:// an http.Transport does by default;
	// over http:// it needs Protocols with only UnencryptedHTTP2 set (h2c). Nil means
	// http.DefaultClient, which suits https:// endpoints only.
	HTTPClient *http.Client
	// Endpoint is the base URL, for example "https://bedrock-runtime.us-east-1.amazonaws.com"
	// or a bedrocktest server's URL.
	Endpoint string
	// ModelID is the model, for example "amazon.nova-sonic-v1:0".
	ModelID string
	// Region is the signing region; empty means "us-east-1".
	Region string
	// Credentials sign the request and every event. Nil sends an unsigned request whose
	// events are plain chunk frames (accepted by bedrocktest without credentials, not by
	// the service).
	Credentials *sigv4.Credentials
	// Now is the clock used for signing; nil means time.Now.
	Now func() time.Time
}

// ErrSessionEnded is what [Session.Send] and [Session.CloseSend] return once the transport has
// closed the session's input because the response ended: the server finished or refused the
// session, or the stream was reset. [Session.Recv] returns how the session ended.
var ErrSessionEnded = errors.New("bedrock: the session has ended; Recv returns how")

// A Session is one InvokeModelWithBidirectionalStream call: the request body carries the
// input events as the caller sends them, while the response carries the model's output
// events. One goroutine may send while another receives; Send and CloseSend must not be
// called concurrently with each other, nor Recv with itself.
type Session struct {
	cancel context.CancelFunc
	pw     *io.PipeWriter
	signer *sigv4.Signer
	now    func() time.Time

	frame eventstream.Frame
	hdrs  [3]eventstream.Header
	inner []byte
	pay   []byte
	out   []byte
	sent  bool // CloseSend done

	done   chan struct{} // closed when the call has a response or failed
	doResp *http.Response
	doErr  error
	resp   *http.Response // doResp, once Recv has seen it
	reader *Reader
	err    error
}

// OpenSession starts the call and returns at once: the response arrives while events are
// sent (the service answers the first user turn, not the request). Errors of the request
// itself, including the service's refusal ([*APIError]), come from the first [Session.Recv].
// Cancelling ctx ends the session.
func OpenSession(ctx context.Context, cfg SessionConfig) (*Session, error) {
	if cfg.ModelID == "" {
		return nil, errors.New("bedrock: session without a model ID")
	}
	region := cfg.Region
	if region == "" {
		region = "us-east-1"
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	client := cfg.HTTPClient
	if client == nil {
		client = http.DefaultClient
	}
	u := strings.TrimSuffix(cfg.Endpoint, "/") + BidirectionalStreamPath(cfg.ModelID)
	ctx, cancel := context.WithCancel(ctx)
	pr, pw := io.Pipe()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, pr)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("bedrock: %w", err)
	}
	req.ContentLength = -1
	// The body is neither buffered nor replayable: a retry would have to start a new session.
	req.GetBody = nil
	s := &Session{cancel: cancel, pw: pw, now: now, done: make(chan struct{})}
	if cfg.Credentials != nil {
		req.Header.Set("X-Amz-Content-Sha256", sigv4.StreamingEventsPayload)
		seed, err := sigv4.SignRequest(req, *cfg.Credentials, region, "bedrock", sigv4.StreamingEventsPayload, now())
		if err != nil {
			cancel()
			return nil, err
		}
		s.signer = sigv4.NewSigner(*cfg.Credentials, region, "bedrock", seed)
	}
	s.hdrs[0] = eventstream.Header{Name: ":event-type", Value: eventstream.StringValue("chunk")}
	s.hdrs[1] = eventstream.Header{Name: ":content-type", Value: eventstream.StringValue("application/json")}
	s.hdrs[2] = eventstream.Header{Name: ":message-type", Value: eventstream.StringValue("event")}
	s.frame.Headers = s.hdrs[:]
	go func() {
		s.doResp, s.doErr = client.Do(req)
		if s.doErr != nil {
			pr.CloseWithError(s.doErr) // unblocks a Send waiting on a request that failed
		}
		close(s.done)
	}()
	return s, nil
}

// Send sends one input event, the Nova JSON of the event (for example
// {"event":{"sessionStart":{...}}}), as a chunk whose "bytes" is its base64, signed when the
// session has credentials. It blocks until the transport has taken the frame. Once the server
// has ended the session it returns [ErrSessionEnded].
func (s *Session) Send(event []byte) error {
	if s.sent {
		return errors.New("bedrock: Send after CloseSend")
	}
	b := append(s.pay[:0], `{"bytes":"`...)
	b = base64.StdEncoding.AppendEncode(b, event)
	b = append(b, `"}`...)
	s.pay = b
	s.frame.Payload = b
	inner, err := s.frame.AppendBinary(s.inner[:0])
	if err != nil {
		return err
	}
	s.inner = inner
	out := inner
	if s.signer != nil {
		if out, err = s.signer.Sign(s.out[:0], inner, s.now()); err != nil {
			return err
		}
		s.out = out
	}
	_, err = s.pw.Write(out)
	return inputErr(err)
}

// inputErr names the error of a write to the request body: the transport closes the body
// (io.ErrClosedPipe) when the response has ended.
func inputErr(err error) error {
	if errors.Is(err, io.ErrClosedPipe) {
		return ErrSessionEnded
	}
	return err
}

// CloseSend ends the input: it sends the signed end frame (when the session is signed) and
// ends the request body. Output events keep arriving until the server ends the response.
func (s *Session) CloseSend() error {
	if s.sent {
		return nil
	}
	s.sent = true
	if s.signer != nil {
		end, err := s.signer.End(s.out[:0], s.now())
		if err != nil {
			return err
		}
		if _, err := s.pw.Write(end); err != nil {
			return inputErr(err)
		}
	}
	return s.pw.Close()
}

// Recv returns the next output event: Type "chunk" and Payload the Nova JSON of the event
// ({"event":{"textOutput":{...}}}), valid until the next call. It waits for the response
// first; a refused request gives an [*APIError]. At the end of the response it returns
// [io.EOF]; an exception frame gives an [*Exception], as [Reader.Next] does.
func (s *Session) Recv() (Event, error) {
	if s.reader == nil && s.err == nil {
		<-s.done
		s.resp = s.doResp
		if s.doErr != nil {
			s.err = fmt.Errorf("bedrock: %w", s.doErr)
		} else if s.reader, s.err = ReadResponse(s.resp); s.err != nil {
			s.resp.Body.Close()
		}
	}
	if s.err != nil {
		return Event{}, s.err
	}
	return s.reader.Next()
}

// Response returns the HTTP response once [Session.Recv] has received it, and nil before.
func (s *Session) Response() *http.Response { return s.resp }

// Close ends the session at once: the request is cancelled, which resets the HTTP/2 stream,
// and the response body is closed. Call CloseSend first for an orderly end.
func (s *Session) Close() error {
	s.cancel()
	s.pw.CloseWithError(errors.New("bedrock: session closed"))
	<-s.done // soon, the request being cancelled
	if s.doResp != nil {
		s.doResp.Body.Close()
	}
	return nil
}
