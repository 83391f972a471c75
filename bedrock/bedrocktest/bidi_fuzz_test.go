package bedrocktest

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"github.com/framewire/eventstream/bedrock"
	"github.com/framewire/eventstream/sigv4"
)

// fuzzTime is the clock of FuzzSession's signed sessions, so that its corpus stays valid.
var fuzzTime = time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)

// FuzzSession feeds arbitrary bytes to a voice session as its request body, unsigned and
// signed: the session must end (with a clean end or an exception) without a panic and leave
// no goroutine behind. Seeds are whole sessions, signed and unsigned, with text and audio
// turns.
func FuzzSession(f *testing.F) {
	for _, b := range fuzzSeeds(f) {
		f.Add(b)
	}
	f.Add([]byte{})
	open := newHandler(Config{JournalSize: -1, SessionIdleTimeout: time.Second})
	signed := newHandler(Config{JournalSize: -1, SessionIdleTimeout: time.Second, Credentials: []sigv4.Credentials{sessionCreds}})
	signed.now = func() time.Time { return fuzzTime }
	f.Fuzz(func(t *testing.T, body []byte) {
		before := runtime.NumGoroutine()
		for _, h := range []*handler{open, signed} {
			if w := fuzzServe(t, h, body); w.Code != http.StatusOK && (w.Code < 400 || w.Code > 599) {
				t.Fatalf("status %d", w.Code)
			}
		}
		for i := 0; runtime.NumGoroutine() > before; i++ {
			if i == 100 {
				t.Fatalf("%d goroutines after the sessions, %d before", runtime.NumGoroutine(), before)
			}
			time.Sleep(time.Millisecond)
		}
	})
}

// fuzzSeeds are whole sessions: a signed one with a barge-in, and unsigned ones with a
// text and an audio turn.
func fuzzSeeds(t testing.TB) [][]byte {
	var out [][]byte
	s := sigv4.NewSigner(sessionCreds, "us-east-1", "bedrock", fuzzSeed(t))
	at := func(i int) time.Time { return fuzzTime.Add(time.Duration(i) * time.Second) }
	text := textSession("Hi there [[mock chunk-delay=1ms]]")
	audio := append(textSession("hello")[:2],
		[]byte(`{"event":{"contentStart":{"promptName":"p1","contentName":"a","type":"AUDIO","interactive":true,"role":"USER","audioInputConfiguration":{"sampleRateHertz":16000}}}}`),
		[]byte(`{"event":{"audioInput":{"promptName":"p1","contentName":"a","content":"AAECAwQFBgc="}}}`),
		[]byte(`{"event":{"contentEnd":{"promptName":"p1","contentName":"a"}}}`),
		[]byte(`{"event":{"sessionEnd":{}}}`))
	out = append(out, bytes.Join(sign(t, s, textSession("Hello [[mock interrupt after=1]]"), at, true), nil))
	var plain [][]byte
	for _, e := range text {
		plain = append(plain, chunkFrame(t, e))
	}
	out = append(out, bytes.Join(plain, nil))
	plain = plain[:0]
	for _, e := range audio {
		plain = append(plain, chunkFrame(t, e))
	}
	out = append(out, bytes.Join(plain, nil))
	return out
}

// fuzzServe serves one session whose request body is body.
func fuzzServe(t testing.TB, h *handler, body []byte) *httptest.ResponseRecorder {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second) // ends any delay= directive
	defer cancel()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, fuzzRequest(t, ctx, body))
	return w
}

// TestFuzzSessionSeeds checks that FuzzSession's seeds hold whole sessions: the signed one
// on the signed handler, the others on the open one.
func TestFuzzSessionSeeds(t *testing.T) {
	open := newHandler(Config{JournalSize: -1})
	signed := newHandler(Config{JournalSize: -1, Credentials: []sigv4.Credentials{sessionCreds}})
	signed.now = func() time.Time { return fuzzTime }
	for i, body := range fuzzSeeds(t) {
		h := open
		if i == 0 {
			h = signed
		}
		w := fuzzServe(t, h, body)
		r := bedrock.NewReader(w.Body)
		n, err := 0, error(nil)
		for ; err == nil; n++ {
			_, err = r.Next()
		}
		if w.Code != 200 || err != io.EOF || n < 10 {
			t.Errorf("seed %d: status %d, %d events, then %v", i, w.Code, n, err)
		}
	}
}

// fuzzSeed is the signature of the request fuzzRequest makes: the seed of its events.
func fuzzSeed(t testing.TB) []byte {
	seed, err := sigv4.SignRequest(fuzzRequest(t, context.Background(), nil), sessionCreds, "us-east-1", "bedrock", sigv4.StreamingEventsPayload, fuzzTime)
	if err != nil {
		t.Fatal(err)
	}
	return seed
}

// fuzzRequest is a signed HTTP/2 request opening a session, with body as its body.
func fuzzRequest(t testing.TB, ctx context.Context, body []byte) *http.Request {
	r := httptest.NewRequestWithContext(ctx, "POST", "http://127.0.0.1:8085"+bedrock.BidirectionalStreamPath(sonicModel), bytes.NewReader(body))
	r.Proto, r.ProtoMajor, r.ProtoMinor = "HTTP/2.0", 2, 0
	r.ContentLength = -1
	r.Header.Set("X-Amz-Content-Sha256", sigv4.StreamingEventsPayload)
	out := r.Clone(ctx)
	out.RequestURI = ""
	if _, err := sigv4.SignRequest(out, sessionCreds, "us-east-1", "bedrock", sigv4.StreamingEventsPayload, fuzzTime); err != nil {
		t.Fatal(err)
	}
	r.Header = out.Header
	return r
}
