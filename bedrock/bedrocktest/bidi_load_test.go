package bedrocktest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/framewire/eventstream/bedrock"
	"github.com/framewire/eventstream/sigv4"
)

// sessionsPerConn is how many sessions of a load test share an HTTP/2 connection. (With one
// connection each, 200 handshakes at once on a loaded 2-core machine can miss the server's
// 2-second wait for the client's SETTINGS frame.)
const sessionsPerConn = 10

// voiceLoad holds n signed voice sessions at once, sessionsPerConn to an HTTP/2 connection,
// each with turns audio turns of audioLen bytes sent in 1,024-byte frames, and checks that
// every turn's audio comes back byte for byte.
func voiceLoad(srv *Server, n, turns, audioLen int) error {
	var wg sync.WaitGroup
	errs := make(chan error, n)
	start := make(chan struct{})
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	var client *http.Client
	for i := range n {
		if i%sessionsPerConn == 0 {
			tr := &http.Transport{Protocols: &p}
			defer tr.CloseIdleConnections()
			client = &http.Client{Transport: tr}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if err := voiceSession(client, srv.URL, i, turns, audioLen); err != nil {
				errs <- fmt.Errorf("session %d: %w", i, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	return <-errs
}

func voiceSession(client *http.Client, url string, id, turns, audioLen int) error {
	creds := sessionCreds
	s, err := bedrock.OpenSession(context.Background(), bedrock.SessionConfig{
		HTTPClient: client, Endpoint: url, ModelID: sonicModel, Credentials: &creds,
	})
	if err != nil {
		return err
	}
	defer s.Close()
	events := textSession("")
	for _, e := range events[:2] { // sessionStart, promptStart
		if err := s.Send(e); err != nil {
			return err
		}
	}
	audio := make([]byte, audioLen)
	var ev []byte
	var got []byte
	for turn := range turns {
		for i := range audio {
			audio[i] = byte(id + turn + i*13)
		}
		name := fmt.Sprintf("a%d", turn)
		send := func(format string, args ...any) error {
			ev = fmt.Appendf(ev[:0], format, args...)
			return s.Send(ev)
		}
		if err := send(`{"event":{"contentStart":{"promptName":"p1","contentName":%q,"type":"AUDIO","interactive":true,"role":"USER","audioInputConfiguration":{"mediaType":"audio/lpcm","sampleRateHertz":16000,"sampleSizeBits":16,"channelCount":1,"audioType":"SPEECH","encoding":"base64"}}}}`, name); err != nil {
			return err
		}
		for off := 0; off < len(audio); off += 1024 {
			piece := base64.StdEncoding.EncodeToString(audio[off:min(off+1024, len(audio))])
			if err := send(`{"event":{"audioInput":{"promptName":"p1","contentName":%q,"content":%q}}}`, name, piece); err != nil {
				return err
			}
		}
		if err := send(`{"event":{"contentEnd":{"promptName":"p1","contentName":%q}}}`, name); err != nil {
			return err
		}
		got = got[:0]
		for {
			e, err := s.Recv()
			if err != nil {
				return err
			}
			var out struct {
				Event struct {
					AudioOutput   *struct{ Content string }
					CompletionEnd *struct{}
				}
			}
			if err := json.Unmarshal(e.Payload, &out); err != nil {
				return err
			}
			if a := out.Event.AudioOutput; a != nil {
				if got, err = base64.StdEncoding.AppendDecode(got, []byte(a.Content)); err != nil {
					return err
				}
			}
			if out.Event.CompletionEnd != nil {
				break
			}
		}
		if !bytes.Equal(got, audio) {
			return fmt.Errorf("turn %d: %d bytes of audio back, not the %d sent", turn, len(got), len(audio))
		}
	}
	for _, e := range events[5:] { // promptEnd, sessionEnd
		if err := s.Send(e); err != nil {
			return err
		}
	}
	if err := s.CloseSend(); err != nil {
		return err
	}
	if _, err := s.Recv(); err != io.EOF {
		return fmt.Errorf("after the end frame: %v", err)
	}
	return nil
}

// TestConcurrentVoiceSessions holds 200 signed voice sessions at once on 20 HTTP/2
// connections (client and server in this process, on loopback), each with 5 turns of half a second of 16 kHz audio, and checks
// that all complete, every echo exact, with the heap bounded.
func TestConcurrentVoiceSessions(t *testing.T) {
	if testing.Short() {
		t.Skip("200 sessions: skipped in -short mode")
	}
	n, turns, audioLen := 200, 5, 16000
	if raceEnabled {
		n = 50 // the same work per session, in a quarter of the sessions
	}
	srv := NewServer(Config{Credentials: []sigv4.Credentials{sessionCreds}, JournalSize: -1})
	defer srv.Close()
	runtime.GC()
	s := startSampler()
	start := time.Now()
	err := voiceLoad(srv, n, turns, audioLen)
	elapsed := time.Since(start)
	heap, goroutines := s.finish()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d concurrent sessions of %d audio turns in %v: %.0f sessions/s, %.0f turns/s, peak heap in use %.1f MiB, peak goroutines %d",
		n, turns, elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds(), float64(n*turns)/elapsed.Seconds(), heap, goroutines)
	// Both ends of every session live in this process, and the heap in use includes garbage
	// not yet collected. The bound catches memory that grows with a session's length (audio
	// kept past its turn, 8 MB a session over these turns) or leaks.
	if heap > 384 {
		t.Errorf("peak heap in use %.1f MiB for %d sessions, want at most 384 MiB", heap, n)
	}
}
