package bedrock

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/framewire/eventstream"
)

// FuzzReader feeds arbitrary bytes to a Reader: it must not panic or hang, io.EOF must mean
// that the input was whole frames, and every error must be sticky.
func FuzzReader(f *testing.F) {
	f.Add(serviceChunk(`{"type":"message_stop","amazon-bedrock-invocationMetrics":{"inputTokenCount":1}}`, "abcdefg"))
	f.Add(cat(serviceEvent("messageStop", `{"stopReason":"end_turn","p":"ab"}`), serviceEvent("metadata", `{"usage":{},"p":"a"}`)))
	f.Add(serviceException(ModelStreamErrorException, `{"message":"m","originalStatusCode":500,"originalMessage":"o"}`))
	f.Add(rawFrame([]hdr{str(":error-code", "E"), str(":error-message", "m"), str(":message-type", "error")}, ""))
	f.Add(rawFrame([]hdr{str(":event-type", "chunk"), str(":message-type", "event")}, `{"bytes":"e30\u003d","p":"x"}`))
	var buf bytes.Buffer
	w := NewWriter(&buf)
	for c := range textReply("seed text for the fuzzer", Usage{InputTokens: 1}).Chunks(FamilyNova) {
		w.WriteChunk(c)
	}
	f.Add(buf.Bytes())
	f.Add([]byte{})
	corpus, _ := filepath.Glob(filepath.Join("..", "testdata", "corpus", "*.bin"))
	for _, name := range corpus {
		if b, err := os.ReadFile(name); err == nil && len(b) < 64<<10 {
			f.Add(b)
		}
	}
	f.Add([]byte("\x00\x00\x00\x10\x00\x00\x00\x00"))

	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(bytes.NewReader(data))
		var err error
		// Each successful Next consumes at least one 16-byte frame.
		for i := 0; i <= len(data)/16+1; i++ {
			var ev Event
			ev, err = r.Next()
			if err != nil {
				break
			}
			if ev.Type == "" {
				t.Fatal("event without a type")
			}
		}
		if err == nil {
			t.Fatal("more events than frames")
		}
		if _, again := r.Next(); again != err {
			t.Fatalf("error not sticky: %v then %v", err, again)
		}
		if err == io.EOF {
			// The input must be whole frames.
			off := 0
			for off < len(data) {
				var fr eventstream.Frame
				n, derr := eventstream.DecodeFrame(data[off:], &fr)
				if derr != nil {
					t.Fatalf("io.EOF but frame at %d: %v", off, derr)
				}
				off += n
			}
		} else if r.Complete() {
			t.Fatal("Complete after an error")
		}
		var fe *FormatError
		if errors.As(err, &fe) && (fe.Offset < 0 || fe.Offset >= int64(len(data))) {
			t.Fatalf("offset %d out of range", fe.Offset)
		}
	})
}

// FuzzEvent builds a valid frame around arbitrary headers and payload, so that the fuzzer
// reaches the event checks behind the CRCs. A chunk that reads without error must give what
// encoding/json finds in its "bytes" member; an event must give its JSON without "p".
func FuzzEvent(f *testing.F) {
	f.Add("event", "chunk", []byte(`{"bytes":"eyJhIjoxfQ==","p":"abc"}`))
	f.Add("event", "chunk", []byte(`{"p":"a","bytes":"W10=" , "x":{"bytes":"e30="}}`))
	f.Add("event", "contentBlockDelta", []byte(`{"contentBlockIndex":0,"delta":{"text":"a\"}"},"p":"ab"}`))
	f.Add("event", "metadata", []byte(`{"usage":{"inputTokens":1},"p":"a","p":"b"}`))
	f.Add("exception", "throttlingException", []byte(`{"message":"m"}`))
	f.Add("error", "E", []byte(``))
	f.Fuzz(func(t *testing.T, messageType, typ string, payload []byte) {
		if len(messageType) > 1000 || len(typ) > 1000 {
			return
		}
		var hs []hdr
		switch messageType {
		case "exception":
			hs = []hdr{str(":exception-type", typ), str(":message-type", messageType)}
		case "error":
			hs = []hdr{str(":error-code", typ), str(":message-type", messageType)}
		default:
			hs = []hdr{str(":event-type", typ), str(":content-type", "application/json"), str(":message-type", messageType)}
		}
		r := NewReader(bytes.NewReader(rawFrame(hs, string(payload))))
		ev, err := r.Next()
		if err != nil {
			var fe *FormatError
			var ex *Exception
			var se *StreamError
			if !errors.As(err, &fe) && !errors.As(err, &ex) && !errors.As(err, &se) && !errors.Is(err, eventstream.ErrMalformed) {
				t.Fatalf("unexpected error %T %v", err, err)
			}
			return
		}
		if messageType != "event" {
			t.Fatalf("%s frame read as an event", messageType)
		}
		if typ == "chunk" {
			var doc struct{ Bytes []byte }
			if jerr := json.Unmarshal(payload, &doc); jerr != nil || !bytes.Equal(doc.Bytes, ev.Payload) {
				t.Fatalf("chunk %q: got %q, encoding/json says %q (%v)", payload, ev.Payload, doc.Bytes, jerr)
			}
			return
		}
		var want, got map[string]json.RawMessage
		if err := json.Unmarshal(payload, &want); err != nil {
			t.Fatalf("accepted %q: %v", payload, err)
		}
		delete(want, "p")
		if err := json.Unmarshal(ev.Payload, &got); err != nil {
			t.Fatalf("payload %q became %q: %v", payload, ev.Payload, err)
		}
		if len(got) != len(want) {
			t.Fatalf("payload %q became %q", payload, ev.Payload)
		}
		for k, v := range want {
			if !bytes.Equal(bytes.TrimSpace(got[k]), bytes.TrimSpace(v)) {
				t.Fatalf("payload %q became %q", payload, ev.Payload)
			}
		}
	})
}
