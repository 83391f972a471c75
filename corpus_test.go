package eventstream_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/framewire/eventstream"
	"github.com/framewire/eventstream/internal/corpusgen"
	"github.com/framewire/eventstream/internal/dump"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const corpusDir = "testdata/corpus"

func init() {
	// Registered only when no other test file of the package has: the flags' names are
	// the ones the corpus README documents.
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite testdata/corpus/*.json from the decoded .bin files")
	}
	if flag.Lookup("generate") == nil {
		flag.Bool("generate", false, "rewrite testdata/corpus/*.bin and its README from internal/corpusgen")
	}
}

func boolFlag(name string) bool {
	f := flag.Lookup(name)
	return f != nil && f.Value.String() == "true"
}

// corpusFile is the content of a vector's NAME.json.
type corpusFile struct {
	Description string       `json:"description"`
	Frames      []dump.Frame `json:"frames"`
	Error       *corpusError `json:"error"` // nil when the stream ends at a frame boundary
}

// corpusError is the outcome of decoding a bad stream.
type corpusError struct {
	Class  string `json:"class"` // checksum, malformed, too_large or unexpected_eof
	Offset int64  `json:"offset"`
	Field  string `json:"field,omitempty"`
}

// classify describes err, met while decoding the frame at stream offset frameOff. base is
// added to the offset an *eventstream.Error carries: 0 for the streaming decoder, which
// reports stream offsets itself, and frameOff for DecodeFrame, which reports 0.
func classify(err error, frameOff, base int64) *corpusError {
	var e *eventstream.Error
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &corpusError{Class: "unexpected_eof", Offset: frameOff}
	case !errors.As(err, &e):
		return &corpusError{Class: "unexpected error: " + err.Error(), Offset: frameOff}
	case errors.Is(err, eventstream.ErrChecksum):
		return &corpusError{Class: "checksum", Offset: base + e.Offset, Field: e.Field}
	case errors.Is(err, eventstream.ErrTooLarge):
		return &corpusError{Class: "too_large", Offset: base + e.Offset, Field: e.Field}
	case errors.Is(err, eventstream.ErrMalformed):
		return &corpusError{Class: "malformed", Offset: base + e.Offset, Field: e.Field}
	}
	return &corpusError{Class: "unclassified: " + err.Error(), Offset: frameOff}
}

// decodeStream decodes r with a streaming Decoder.
func decodeStream(r io.Reader) ([]dump.Frame, *corpusError) {
	var (
		out []dump.Frame
		f   eventstream.Frame
	)
	d := eventstream.NewDecoder(r)
	for {
		off := d.InputOffset()
		err := d.Decode(&f)
		if err == io.EOF {
			// Sticky: a second call must say the same.
			if err := d.Decode(&f); err != io.EOF {
				return out, &corpusError{Class: fmt.Sprintf("Decode after io.EOF returned %v", err)}
			}
			return out, nil
		}
		if err != nil {
			ce := classify(err, off, 0)
			if again := d.Decode(&f); again != err {
				ce.Class += fmt.Sprintf(" (not sticky: then %v)", again)
			}
			return out, ce
		}
		out = append(out, dump.FromFrame(off, &f))
	}
}

// decodeFrames decodes b with DecodeFrame, frame after frame.
func decodeFrames(b []byte) ([]dump.Frame, *corpusError) {
	var (
		out []dump.Frame
		f   eventstream.Frame
	)
	for off := 0; off < len(b); {
		n, err := eventstream.DecodeFrame(b[off:], &f)
		if err != nil {
			return out, classify(err, int64(off), int64(off))
		}
		if n < 16 {
			return out, &corpusError{Class: fmt.Sprintf("DecodeFrame took %d bytes", n), Offset: int64(off)}
		}
		out = append(out, dump.FromFrame(int64(off), &f))
		off += n
	}
	return out, nil
}

// scanFrames splits b with ScanFrames and decodes each token with DecodeFrame.
func scanFrames(b []byte) ([]dump.Frame, *corpusError) {
	var (
		out []dump.Frame
		f   eventstream.Frame
		off int64
	)
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 4096), eventstream.DefaultMaxFrameLen)
	sc.Split(eventstream.ScanFrames)
	for sc.Scan() {
		tok := sc.Bytes()
		n, err := eventstream.DecodeFrame(tok, &f)
		if err != nil {
			return out, classify(err, off, off)
		}
		if n != len(tok) {
			return out, &corpusError{Class: fmt.Sprintf("token of %d bytes holds a %d-byte frame", len(tok), n), Offset: off}
		}
		out = append(out, dump.FromFrame(off, &f))
		off += int64(n)
	}
	if err := sc.Err(); err != nil {
		return out, classify(err, off, off)
	}
	return out, nil
}

// corpusNames returns the names of the vectors in testdata/corpus.
func corpusNames(t *testing.T) []string {
	t.Helper()
	bins, err := filepath.Glob(filepath.Join(corpusDir, "*.bin"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range bins {
		names = append(names, strings.TrimSuffix(filepath.Base(p), ".bin"))
	}
	return names
}

// jsonEqual compares header values by their JSON meaning, numbers exactly.
var jsonEqual = cmp.Comparer(func(a, b json.RawMessage) bool {
	var x, y any
	return decodeNumbers(a, &x) == nil && decodeNumbers(b, &y) == nil && cmp.Equal(x, y)
})

func decodeNumbers(b []byte, v *any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	return d.Decode(v)
}

// TestCorpus decodes every vector of testdata/corpus with the streaming Decoder (whole reads
// and one byte per Read), DecodeFrame and ScanFrames, and compares each with its JSON. With
// -update it rewrites the JSON from what the streaming Decoder gives instead.
func TestCorpus(t *testing.T) {
	if boolFlag("generate") {
		writeCorpus(t)
	}
	descriptions := map[string]string{}
	for _, v := range corpusgen.Vectors() {
		descriptions[v.Name] = v.Description
	}
	names := corpusNames(t)
	if len(names) == 0 {
		t.Fatal("no vectors in " + corpusDir)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			bin, err := os.ReadFile(filepath.Join(corpusDir, name+".bin"))
			if err != nil {
				t.Fatal(err)
			}
			jsonPath := filepath.Join(corpusDir, name+".json")
			if boolFlag("update") {
				frames, cerr := decodeStream(bytes.NewReader(bin))
				writeJSON(t, jsonPath, corpusFile{Description: descriptions[name], Frames: frames, Error: cerr})
			}
			raw, err := os.ReadFile(jsonPath)
			if err != nil {
				t.Fatal(err)
			}
			var want corpusFile
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&want); err != nil {
				t.Fatalf("%s: %v", jsonPath, err)
			}
			if want.Description == "" {
				t.Errorf("%s has no description", jsonPath)
			}
			ways := []struct {
				name   string
				decode func() ([]dump.Frame, *corpusError)
			}{
				{"Decoder", func() ([]dump.Frame, *corpusError) { return decodeStream(bytes.NewReader(bin)) }},
				{"Decoder one byte per Read", func() ([]dump.Frame, *corpusError) {
					return decodeStream(iotest.OneByteReader(bytes.NewReader(bin)))
				}},
				{"DecodeFrame", func() ([]dump.Frame, *corpusError) { return decodeFrames(bin) }},
				{"ScanFrames", func() ([]dump.Frame, *corpusError) { return scanFrames(bin) }},
			}
			for _, w := range ways {
				frames, cerr := w.decode()
				got := corpusFile{Description: want.Description, Frames: frames, Error: cerr}
				if diff := cmp.Diff(want, got, jsonEqual, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("%s: decoding %s.bin differs from %s.json (-want +got):\n%s", w.name, name, name, diff)
				}
			}
		})
	}
}

// TestCorpusReproducible checks that internal/corpusgen writes exactly the committed .bin
// files and README, and that every committed vector comes from it and has its JSON.
func TestCorpusReproducible(t *testing.T) {
	vs := corpusgen.Vectors()
	seen := map[string]bool{}
	for _, v := range vs {
		if seen[v.Name] {
			t.Errorf("corpusgen: vector %s twice", v.Name)
		}
		seen[v.Name] = true
		got, err := os.ReadFile(filepath.Join(corpusDir, v.Name+".bin"))
		if err != nil {
			t.Errorf("%v (run go test -run TestCorpus -generate -update .)", err)
			continue
		}
		if !bytes.Equal(got, v.Bytes) {
			t.Errorf("%s.bin differs from what corpusgen writes (run go test -run TestCorpus -generate .)", v.Name)
		}
		checkExpectation(t, v.Name)
	}
	for _, name := range corpusNames(t) {
		if !seen[name] {
			t.Errorf("%s.bin is not made by internal/corpusgen", name)
		}
	}
	readme, err := os.ReadFile(filepath.Join(corpusDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if string(readme) != corpusgen.README(vs) {
		t.Error("testdata/corpus/README.md differs from corpusgen.README (run go test -run TestCorpus -generate .)")
	}
	jsons, _ := filepath.Glob(filepath.Join(corpusDir, "*.json"))
	for _, p := range jsons {
		if name := strings.TrimSuffix(filepath.Base(p), ".json"); !slices.Contains(corpusNames(t), name) {
			t.Errorf("%s has no .bin", p)
		}
	}
}

// checkExpectation compares a vector's JSON with the outcome corpusgen declares for it, so
// that -update cannot silently turn a decoder bug into an expected result.
func checkExpectation(t *testing.T, name string) {
	t.Helper()
	exp, ok := corpusgen.Expectations[name]
	if !ok {
		t.Errorf("%s: no entry in corpusgen.Expectations", name)
		return
	}
	raw, err := os.ReadFile(filepath.Join(corpusDir, name+".json"))
	if err != nil {
		t.Error(err)
		return
	}
	var got corpusFile
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Errorf("%s.json: %v", name, err)
		return
	}
	var want *corpusError
	if exp.Class != "" {
		want = &corpusError{Class: exp.Class, Offset: exp.Offset, Field: exp.Field}
	}
	if len(got.Frames) != exp.Frames || !cmp.Equal(got.Error, want) {
		t.Errorf("%s.json: %d frames, error %+v; corpusgen expects %d frames, error %+v", name, len(got.Frames), got.Error, exp.Frames, want)
	}
}

func writeCorpus(t *testing.T) {
	t.Helper()
	vs := corpusgen.Vectors()
	if err := os.MkdirAll(corpusDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		if err := os.WriteFile(filepath.Join(corpusDir, v.Name+".bin"), v.Bytes, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(corpusDir, "README.md"), []byte(corpusgen.README(vs)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// writeJSON writes a vector's JSON with each frame on one line, as eventstream dump prints it,
// so that the files stay small and diff well.
func writeJSON(t *testing.T, path string, v corpusFile) {
	t.Helper()
	line := func(v any) []byte {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			t.Fatal(err)
		}
		return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "{\n  \"description\": %s,\n  \"frames\": [", line(v.Description))
	for i := range v.Frames {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "\n    %s", line(&v.Frames[i]))
	}
	if len(v.Frames) > 0 {
		b.WriteString("\n  ")
	}
	fmt.Fprintf(&b, "],\n  \"error\": %s\n}\n", line(v.Error))
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
