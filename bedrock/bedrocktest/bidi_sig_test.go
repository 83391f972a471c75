package bedrocktest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/framewire/eventstream"
	"github.com/framewire/eventstream/bedrock"
	"github.com/framewire/eventstream/sigv4"
)

var sessionCreds = sigv4.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "s3cr3t"}

// textSession is the Nova JSON of a session with one text turn.
func textSession(text string) [][]byte {
	p := `"promptName":"p1"`
	return [][]byte{
		[]byte(`{"event":{"sessionStart":{"inferenceConfiguration":{"maxTokens":1024}}}}`),
		[]byte(`{"event":{"promptStart":{` + p + `,"audioOutputConfiguration":{"mediaType":"audio/lpcm","sampleRateHertz":24000,"sampleSizeBits":16,"channelCount":1,"voiceId":"matthew","encoding":"base64","audioType":"SPEECH"}}}}`),
		[]byte(`{"event":{"contentStart":{` + p + `,"contentName":"c1","type":"TEXT","interactive":true,"role":"USER","textInputConfiguration":{"mediaType":"text/plain"}}}}`),
		[]byte(`{"event":{"textInput":{` + p + `,"contentName":"c1","content":` + strconvQuote(text) + `}}}`),
		[]byte(`{"event":{"contentEnd":{` + p + `,"contentName":"c1"}}}`),
		[]byte(`{"event":{"promptEnd":{` + p + `}}}`),
		[]byte(`{"event":{"sessionEnd":{}}}`),
	}
}

func strconvQuote(s string) string { b, _ := json.Marshal(s); return string(b) }

// chunkFrame encodes the inner chunk frame of a Nova JSON event.
func chunkFrame(t testing.TB, event []byte) []byte {
	t.Helper()
	f := eventstream.Frame{
		Headers: []eventstream.Header{
			{Name: ":event-type", Value: eventstream.StringValue("chunk")},
			{Name: ":content-type", Value: eventstream.StringValue("application/json")},
			{Name: ":message-type", Value: eventstream.StringValue("event")},
		},
		Payload: []byte(`{"bytes":"` + base64.StdEncoding.EncodeToString(event) + `"}`),
	}
	b, err := f.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rawSession sends a whole signed request body at once: the request is signed at now with
// creds, and build returns the body's frames given the signer of the chain it seeds. It
// returns the events read and the error that ended the response.
func rawSession(t *testing.T, url string, creds sigv4.Credentials, build func(s *sigv4.Signer) [][]byte) ([]string, error) {
	t.Helper()
	req, err := http.NewRequest("POST", url+bedrock.BidirectionalStreamPath(sonicModel), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amz-Content-Sha256", sigv4.StreamingEventsPayload)
	seed, err := sigv4.SignRequest(req, creds, "us-east-1", "bedrock", sigv4.StreamingEventsPayload, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	body := bytes.Join(build(sigv4.NewSigner(creds, "us-east-1", "bedrock", seed)), nil)
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.ContentLength = -1
	resp, err := h2cClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	r, err := bedrock.ReadResponse(resp)
	if err != nil {
		return nil, err
	}
	var names []string
	for {
		ev, err := r.Next()
		if err != nil {
			return names, err
		}
		var env struct{ Event map[string]json.RawMessage }
		json.Unmarshal(ev.Payload, &env)
		for n := range env.Event {
			names = append(names, n)
		}
	}
}

// sign signs each event at at(i), and the end frame unless end is false.
func sign(t testing.TB, s *sigv4.Signer, events [][]byte, at func(i int) time.Time, end bool) [][]byte {
	t.Helper()
	var out [][]byte
	for i, e := range events {
		b, err := s.Sign(nil, chunkFrame(t, e), at(i))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	if end {
		b, err := s.End(nil, at(len(events)))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

func TestSessionSignatures(t *testing.T) {
	logs := make(chan LogEntry, 16)
	srv := NewServer(Config{Credentials: []sigv4.Credentials{sessionCreds},
		Log: func(e LogEntry) { logs <- e }})
	defer srv.Close()
	now := time.Now()
	steady := func(i int) time.Time { return now.Add(time.Duration(i) * time.Second) }
	events := textSession("hello")
	const turn = 22 // output events of the text turn: 14, and 8 frames of a 300 ms tone
	const refused = "was refused: the signature does not match"

	for _, tc := range []struct {
		name   string
		build  func(s *sigv4.Signer) [][]byte
		events int    // output events expected before the end
		want   string // the validationException's message, or "" for a clean end
		end    string // the log's End
	}{
		{"complete", func(s *sigv4.Signer) [][]byte { return sign(t, s, events, steady, true) }, -1, "", "end frame"},
		{"cut after sessionEnd (the Go SDK's Close)", func(s *sigv4.Signer) [][]byte { return sign(t, s, events, steady, false) }, -1, "", "request ended after sessionEnd"},
		{"cut before sessionEnd", func(s *sigv4.Signer) [][]byte { return sign(t, s, events[:6], steady, false) }, -1, msgInvalidInput, ""},
		{"tampered", func(s *sigv4.Signer) [][]byte {
			f := sign(t, s, events, steady, true)
			// The textInput's payload changed, both CRCs fixed: only the signature can tell.
			var fr eventstream.Frame
			eventstream.DecodeFrame(f[3], &fr)
			fr.Payload = chunkFrame(t, bytes.Replace(events[3], []byte("hello"), []byte("HELLO"), 1))
			f[3], _ = fr.MarshalBinary()
			return f
		}, 0, "Input frame 4 " + refused, ""},
		{"reordered", func(s *sigv4.Signer) [][]byte {
			f := sign(t, s, events, steady, true)
			f[2], f[3] = f[3], f[2]
			return f
		}, 0, "Input frame 3 " + refused, ""},
		{"replayed", func(s *sigv4.Signer) [][]byte {
			f := sign(t, s, events, steady, true)
			return append(f[:5:5], append([][]byte{f[3]}, f[5:]...)...)
		}, turn, "Input frame 6 " + refused, ""},
		{"dropped", func(s *sigv4.Signer) [][]byte {
			f := sign(t, s, events, steady, true)
			return append(f[:1:1], f[2:]...)
		}, 0, "Input frame 2 " + refused, ""},
		{":date outside the window", func(s *sigv4.Signer) [][]byte {
			return sign(t, s, events, func(i int) time.Time { return now.Add(time.Duration(i) * 2 * time.Minute) }, true)
		}, 0, "Input frame 4 was refused: its :date is outside the allowed window", ""},
		{"unsigned frame in a signed session", func(s *sigv4.Signer) [][]byte {
			f := sign(t, s, events, steady, true)
			f[2] = chunkFrame(t, events[2])
			return f
		}, 0, "Input frame 3 was refused: it is not a signed frame", ""},
		{"other secret", func(*sigv4.Signer) [][]byte {
			other := sigv4.NewSigner(sigv4.Credentials{SecretAccessKey: "other"}, "us-east-1", "bedrock", make([]byte, 32))
			return sign(t, other, events, steady, true)
		}, 0, "Input frame 1 " + refused, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				select {
				case e := <-logs:
					if tc.end != "" && e.End != tc.end || tc.end == "" && !strings.HasPrefix(e.End, "validationException: "+tc.want) {
						t.Errorf("log End %q", e.End)
					}
				case <-time.After(5 * time.Second):
					t.Error("no log entry")
				}
			}()
			names, err := rawSession(t, srv.URL, sessionCreds, tc.build)
			if tc.want == "" {
				if err != io.EOF || len(names) != turn {
					t.Fatalf("%d events %v, then %v; want a clean end", len(names), names, err)
				}
			} else {
				var exc *bedrock.Exception
				if !errors.As(err, &exc) || exc.Type != bedrock.ValidationException || !strings.HasPrefix(exc.Message, tc.want) {
					t.Fatalf("%v, want a validationException %q", err, tc.want)
				}
				if tc.events >= 0 && len(names) != tc.events {
					t.Errorf("%d events before the exception: %v", len(names), names)
				}
			}
		})
	}

	// Wrong credentials are refused before the stream.
	_, err := rawSession(t, srv.URL, sigv4.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "wrong"}, func(s *sigv4.Signer) [][]byte {
		return sign(t, s, events, steady, true)
	})
	var ae *bedrock.APIError
	if !errors.As(err, &ae) || ae.StatusCode != 403 || ae.Name != sigv4.InvalidSignature {
		t.Errorf("wrong secret: %v", err)
	}
	<-logs
	// An unsigned session is refused too.
	c := openSonic(t, srv.URL, nil)
	c.lenient = true
	c.start()
	if _, err := c.recv(nil); !errors.As(err, &ae) || ae.StatusCode != 403 || ae.Name != "MissingAuthenticationTokenException" {
		t.Errorf("unsigned: %v", err)
	}
	<-logs
	// And the server still serves a signed session.
	c = openSonic(t, srv.URL, &sessionCreds)
	c.start()
	c.text("USER", true, "still there?")
	if events, err := c.recv(completionEnd); err != nil || summarize(t, events).final != "still there?" {
		t.Errorf("after the refusals: %v", err)
	}
	c.end()
	if _, err := c.recv(nil); err != io.EOF {
		t.Errorf("end: %v", err)
	}
	if e := <-logs; e.End != "end frame" {
		t.Errorf("signed session through the client ended with %q", e.End)
	}
}
