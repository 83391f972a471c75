package benchcmp

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	sdk "github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	"github.com/framewire/eventstream"
)

// The AWS SDK for Go v2 ships shared event stream test vectors in its eventstream module:
// testdata/encoded/{positive,negative}/NAME holds the bytes, and testdata/decoded/.../NAME
// what decoding them must give (JSON for positives, the expected failure for negatives). The
// tests read them from the module cache at run time; the repository keeps no copies.

const sdkModule = "github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"

// sdkVectorDir returns the SDK module's testdata directory, as the go command resolves the
// version this module requires.
func sdkVectorDir(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-json", sdkModule).Output()
	if err != nil {
		t.Fatalf("go list -m %s: %v", sdkModule, err)
	}
	var mod struct{ Version, Dir string }
	if err := json.Unmarshal(out, &mod); err != nil {
		t.Fatalf("go list -m %s: %v", sdkModule, err)
	}
	if mod.Dir == "" {
		// Listed but not yet in the module cache: fetch it.
		out, err := exec.Command("go", "mod", "download", "-json", sdkModule+"@"+mod.Version).Output()
		if err != nil {
			t.Fatalf("go mod download %s: %v", sdkModule, err)
		}
		if err := json.Unmarshal(out, &mod); err != nil || mod.Dir == "" {
			t.Fatalf("go mod download %s: no directory (%v)", sdkModule, err)
		}
	}
	t.Logf("vectors from %s@%s", sdkModule, mod.Version)
	return filepath.Join(mod.Dir, "testdata")
}

// vectorNames lists the vectors of one kind ("positive" or "negative"), failing the test if
// there are none, so that a change of layout in the SDK cannot make these tests pass empty.
func vectorNames(t *testing.T, dir, kind string) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(dir, "encoded", kind))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		if e.Type().IsRegular() {
			names = append(names, e.Name())
		}
	}
	if len(names) == 0 {
		t.Fatalf("no %s vectors in %s", kind, dir)
	}
	return names
}

// decodeAllWays decodes b, which must hold exactly one frame, with DecodeFrame, a Decoder
// (which must then report io.EOF) and UnmarshalBinary, and checks that the three agree. It
// returns the DecodeFrame result, or the first error.
func decodeAllWays(t *testing.T, b []byte) (*eventstream.Frame, error) {
	t.Helper()
	var zc eventstream.Frame
	n, zcErr := eventstream.DecodeFrame(b, &zc)
	if zcErr == nil && n != len(b) {
		t.Errorf("DecodeFrame took %d of %d bytes", n, len(b))
	}

	var st eventstream.Frame
	d := eventstream.NewDecoder(bytes.NewReader(b))
	stErr := d.Decode(&st)
	if stErr == nil {
		if err := d.Decode(&st); err != io.EOF {
			t.Errorf("Decoder after the only frame: %v, want io.EOF", err)
		}
		// Decode again for the comparison below; the EOF left st empty.
		d = eventstream.NewDecoder(bytes.NewReader(b))
		stErr = d.Decode(&st)
	}

	var um eventstream.Frame
	umErr := um.UnmarshalBinary(b)

	if (zcErr == nil) != (stErr == nil) || (zcErr == nil) != (umErr == nil) {
		t.Errorf("decoders disagree: DecodeFrame %v, Decoder %v, UnmarshalBinary %v", zcErr, stErr, umErr)
	}
	if zcErr != nil {
		return nil, zcErr
	}
	if stErr == nil {
		if diff := diffOurs(&zc, &st); diff != "" {
			t.Errorf("Decoder differs from DecodeFrame: %s", diff)
		}
	}
	if umErr == nil {
		if diff := diffOurs(&zc, &um); diff != "" {
			t.Errorf("UnmarshalBinary differs from DecodeFrame: %s", diff)
		}
	}
	return &zc, nil
}

// diffOurs describes how two of our frames differ, or returns "".
func diffOurs(a, b *eventstream.Frame) string {
	if !slices.Equal(ourWire(a), ourWire(b)) {
		return fmt.Sprintf("headers %v and %v", ourWire(a), ourWire(b))
	}
	if !bytes.Equal(a.Payload, b.Payload) {
		return fmt.Sprintf("payloads of %d and %d bytes differ", len(a.Payload), len(b.Payload))
	}
	return ""
}

// expectedVector is the JSON the SDK ships for a positive vector.
type expectedVector struct {
	TotalLength   uint32 `json:"total_length"`
	HeadersLength uint32 `json:"headers_length"`
	PreludeCRC    int64  `json:"prelude_crc"`
	MessageCRC    int64  `json:"message_crc"`
	Headers       []struct {
		Name  string          `json:"name"`
		Type  uint8           `json:"type"`
		Value json.RawMessage `json:"value"`
	} `json:"headers"`
	Payload []byte `json:"payload"` // base64 in the JSON
}

// wire returns the expected headers in the form ourWire gives. Numbers are integers,
// booleans are carried by the type, and strings, byte arrays and UUIDs are base64.
func (v *expectedVector) wire(t *testing.T) []wireHeader {
	var hs []wireHeader
	for _, h := range v.Headers {
		w := wireHeader{Name: h.Name, Type: h.Type}
		switch h.Type {
		case 0, 1:
		case 2, 3, 4, 5, 8:
			if err := json.Unmarshal(h.Value, &w.Num); err != nil {
				t.Fatalf("header %q: value %s: %v", h.Name, h.Value, err)
			}
		case 6, 7, 9:
			var raw []byte
			if err := json.Unmarshal(h.Value, &raw); err != nil {
				t.Fatalf("header %q: value %s: %v", h.Name, h.Value, err)
			}
			w.Raw = string(raw)
		default:
			t.Fatalf("header %q: unknown type %d in the vector", h.Name, h.Type)
		}
		hs = append(hs, w)
	}
	return hs
}

func TestSDKVectorsPositive(t *testing.T) {
	dir := sdkVectorDir(t)
	for _, name := range vectorNames(t, dir, "positive") {
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(dir, "encoded", "positive", name))
			if err != nil {
				t.Fatal(err)
			}
			js, err := os.ReadFile(filepath.Join(dir, "decoded", "positive", name))
			if err != nil {
				t.Fatal(err)
			}
			var want expectedVector
			if err := json.Unmarshal(js, &want); err != nil {
				t.Fatalf("%s: %v", name, err)
			}

			f, err := decodeAllWays(t, b)
			if err != nil {
				t.Fatalf("we reject a positive vector: %v", err)
			}

			// Against the vector's own JSON.
			if len(b) < 16 || binary.BigEndian.Uint32(b) != want.TotalLength ||
				binary.BigEndian.Uint32(b[4:]) != want.HeadersLength ||
				binary.BigEndian.Uint32(b[8:]) != uint32(want.PreludeCRC) ||
				binary.BigEndian.Uint32(b[len(b)-4:]) != uint32(want.MessageCRC) {
				t.Errorf("the vector's prelude or CRC does not match its JSON")
			}
			if got, exp := ourWire(f), want.wire(t); !slices.Equal(got, exp) {
				t.Errorf("headers:\n got %v\nwant %v", got, exp)
			}
			if !bytes.Equal(f.Payload, want.Payload) {
				t.Errorf("payload %q, want %q", f.Payload, want.Payload)
			}

			// Against the SDK's decode of the same bytes.
			m, err := sdk.NewDecoder().Decode(bytes.NewReader(b), nil)
			if err != nil {
				t.Fatalf("the SDK rejects its own positive vector: %v", err)
			}
			if diff := diffFrames(f, m); diff != "" {
				t.Errorf("ours and the SDK's decode differ:\n%s", diff)
			}

			// Our encoding of what we decoded gives the vector back.
			enc, err := f.MarshalBinary()
			if err != nil {
				t.Fatalf("re-encoding: %v", err)
			}
			if !bytes.Equal(enc, b) {
				t.Errorf("re-encoded frame differs from the vector:\n got % x\nwant % x", enc, b)
			}
		})
	}
}

// negativeClass maps the failure the SDK's decoded/negative files name to the error we must
// give: the sentinel and the Field of our *eventstream.Error.
var negativeClass = map[string]struct {
	err   error
	field string
}{
	"Prelude checksum mismatch": {eventstream.ErrChecksum, "prelude crc"},
	"Message checksum mismatch": {eventstream.ErrChecksum, "message crc"},
}

func TestSDKVectorsNegative(t *testing.T) {
	dir := sdkVectorDir(t)
	for _, name := range vectorNames(t, dir, "negative") {
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(dir, "encoded", "negative", name))
			if err != nil {
				t.Fatal(err)
			}
			reason, err := os.ReadFile(filepath.Join(dir, "decoded", "negative", name))
			if err != nil {
				t.Fatal(err)
			}
			want, ok := negativeClass[strings.TrimSpace(string(reason))]
			if !ok {
				t.Fatalf("vector expects %q, which this test does not map to an error class", reason)
			}

			if _, err := decodeAllWays(t, b); err == nil {
				t.Fatalf("we accept a negative vector (expected: %s)", reason)
			} else {
				var e *eventstream.Error
				switch {
				case !errors.Is(err, want.err):
					t.Errorf("error %v, want one matching %v", err, want.err)
				case !errors.As(err, &e):
					t.Errorf("error %v is not an *eventstream.Error", err)
				case e.Field != want.field || e.Offset != 0:
					t.Errorf("error field %q at offset %d, want %q at 0", e.Field, e.Offset, want.field)
				case e.Expected == e.Computed:
					t.Errorf("checksum error with expected == computed (0x%08x)", e.Expected)
				}
			}

			// The streaming decoder gives the same error class in the middle of a stream,
			// with the frame's offset.
			var good eventstream.Frame
			good.Payload = []byte("ok")
			prefix, err := good.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			d := eventstream.NewDecoder(io.MultiReader(bytes.NewReader(prefix), bytes.NewReader(b)))
			var f eventstream.Frame
			if err := d.Decode(&f); err != nil {
				t.Fatalf("first, good frame: %v", err)
			}
			err = d.Decode(&f)
			var e *eventstream.Error
			if !errors.As(err, &e) || !errors.Is(err, want.err) || e.Field != want.field || e.Offset != int64(len(prefix)) {
				t.Errorf("second frame: %v, want %v in %q at offset %d", err, want.err, want.field, len(prefix))
			}

			// The SDK rejects it too.
			if _, err := sdk.NewDecoder().Decode(bytes.NewReader(b), nil); err == nil {
				t.Errorf("the SDK accepts its own negative vector")
			}
		})
	}
}
