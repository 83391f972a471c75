package sigv4

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"testing"
	"time"

	"github.com/framewire/eventstream"
)

// FuzzVerify feeds arbitrary streams of outer frames to a Verifier: it must never panic,
// accept only frames with exactly the two signing headers, and keep its first error. Each
// input runs twice: as it is, and with the CRCs of its frames fixed, so that mutations reach
// the headers and the signature rather than stop at a checksum.
func FuzzVerify(f *testing.F) {
	_, outers := signedStream(f, 3)
	stream := bytes.Join(outers, nil)
	f.Add(stream)
	f.Add(outers[0])
	f.Add(append(bytes.Clone(outers[1]), outers[0]...))
	f.Add(append(bytes.Clone(stream), outers[3]...))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		verifyStream(t, data)
		verifyStream(t, fixCRCs(bytes.Clone(data)))
	})
}

// fixCRCs rewrites both CRCs of every frame in b whose total_length fits.
func fixCRCs(b []byte) []byte {
	for rest := b; len(rest) >= 16; {
		total := int(binary.BigEndian.Uint32(rest))
		if total < 16 || total > len(rest) {
			break
		}
		binary.BigEndian.PutUint32(rest[8:], crc32.ChecksumIEEE(rest[:8]))
		binary.BigEndian.PutUint32(rest[total-4:], crc32.ChecksumIEEE(rest[:total-4]))
		rest = rest[total:]
	}
	return b
}

// verifyStream verifies the frames of data in order, until one fails to decode.
func verifyStream(t *testing.T, data []byte) {
	v := NewVerifier(testCreds, "us-east-1", "bedrock", testSeed)
	var fr eventstream.Frame
	var first error
	for len(data) > 0 {
		n, err := eventstream.DecodeFrame(data, &fr)
		if err != nil {
			break
		}
		data = data[n:]
		inner, err := v.Verify(&fr)
		if first != nil {
			if err != first {
				t.Fatalf("error %v after %v: errors must stick", err, first)
			}
			continue
		}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is not an *Error", err)
			}
			first = err
			continue
		}
		if len(fr.Headers) != 2 || !bytes.Equal(inner, fr.Payload) {
			t.Fatalf("accepted a frame with headers %v", fr.Headers)
		}
	}
	if v.Complete() && first != nil {
		t.Fatal("complete after an error")
	}
}

// FuzzSign signs arbitrary payloads at arbitrary times after arbitrary bytes: the outer frame
// Sign writes directly must be the one Frame.AppendBinary encodes, and verify.
func FuzzSign(f *testing.F) {
	f.Add([]byte("prefix"), []byte("inner"), int64(1780000000))
	f.Add([]byte{}, []byte{0}, int64(-1))
	f.Add([]byte{}, bytes.Repeat([]byte{0xff}, 300), int64(253402300800)) // year 10000
	f.Fuzz(func(t *testing.T, prefix, inner []byte, sec int64) {
		if len(inner) == 0 || sec < -1<<40 || sec > 1<<40 {
			return
		}
		s := NewSigner(testCreds, "us-east-1", "bedrock", testSeed)
		b, err := s.Sign(bytes.Clone(prefix), inner, time.Unix(sec, 0))
		if err != nil {
			t.Fatal(err)
		}
		checkOuter(t, b, string(prefix), inner, sec*1000)
		var fr eventstream.Frame
		if _, err := eventstream.DecodeFrame(b[len(prefix):], &fr); err != nil {
			t.Fatal(err)
		}
		if _, err := NewVerifier(testCreds, "us-east-1", "bedrock", testSeed).Verify(&fr); err != nil {
			t.Fatal(err)
		}
	})
}
