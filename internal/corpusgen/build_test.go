package corpusgen

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"strings"
	"testing"
)

// TestLayout pins the generator's byte layout against frames worked out by hand, so that the
// corpus does not merely agree with itself.
func TestLayout(t *testing.T) {
	tests := []struct {
		name      string
		got, want []byte
	}{
		// CRC-32 (IEEE) of 00 00 00 10 00 00 00 00 is 0x05c248eb; continued over the
		// prelude CRC itself it is 0x7d98c8ff.
		{"empty frame", frame(nil, nil), []byte("\x00\x00\x00\x10" + "\x00\x00\x00\x00" + "\x05\xc2\x48\xeb" + "\x7d\x98\xc8\xff")},
		{"string header", hString("ab", "xyz"), []byte("\x02" + "ab" + "\x07" + "\x00\x03" + "xyz")},
		{"bytes header", hBytes("b", []byte{0xff}), []byte("\x01" + "b" + "\x06" + "\x00\x01" + "\xff")},
		{"bool headers", cat(hBool("t", true), hBool("f", false)), []byte("\x01t\x00" + "\x01f\x01")},
		{"byte header", hByte("n", -2), []byte("\x01n\x02" + "\xfe")},
		{"int16 header", hInt16("n", -2), []byte("\x01n\x03" + "\xff\xfe")},
		{"int32 header", hInt32("n", -2), []byte("\x01n\x04" + "\xff\xff\xff\xfe")},
		{"int64 header", hInt64("n", -2), []byte("\x01n\x05" + "\xff\xff\xff\xff\xff\xff\xff\xfe")},
		{"timestamp header", hTime("n", 1), []byte("\x01n\x08" + "\x00\x00\x00\x00\x00\x00\x00\x01")},
		{"uuid header", hUUID("n", [16]byte{15: 1}), []byte("\x01n\x09" + "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01")},
		{"prelude", prelude(16, 0), []byte("\x00\x00\x00\x10\x00\x00\x00\x00\x05\xc2\x48\xeb")},
		{"flip", flip([]byte{0, 0}, 1, 7), []byte{0, 0x80}},
	}
	for _, tt := range tests {
		if !bytes.Equal(tt.got, tt.want) {
			t.Errorf("%s: got % x, want % x", tt.name, tt.got, tt.want)
		}
	}
	// The lengths of a frame are those of its parts.
	f := frame(hString("a", "b"), []byte("pay"))
	if len(f) != 16+6+3 || f[3] != byte(len(f)) || f[7] != 6 {
		t.Errorf("frame lengths: % x", f)
	}
}

func TestVectorsDeterministic(t *testing.T) {
	a, b := Vectors(), Vectors()
	for i := range a {
		if a[i].Name != b[i].Name || !bytes.Equal(a[i].Bytes, b[i].Bytes) {
			t.Errorf("vector %s differs between two calls", a[i].Name)
		}
		if a[i].Description == "" {
			t.Errorf("vector %s has no description", a[i].Name)
		}
	}
}

// payloads splits a stream built by this package into its frames' string headers and payloads.
func payloads(t *testing.T, b []byte) (headers []map[string]string, ps [][]byte) {
	t.Helper()
	for len(b) > 0 {
		total := int(binary.BigEndian.Uint32(b))
		hlen := int(binary.BigEndian.Uint32(b[4:]))
		block := b[12 : 12+hlen]
		hs := map[string]string{}
		for len(block) > 0 {
			nl := int(block[0])
			name := string(block[1 : 1+nl])
			if block[1+nl] != tString {
				t.Fatalf("header %q is not a string", name)
			}
			vl := int(binary.BigEndian.Uint16(block[2+nl:]))
			hs[name] = string(block[4+nl : 4+nl+vl])
			block = block[4+nl+vl:]
		}
		headers = append(headers, hs)
		ps = append(ps, b[12+hlen:total-4])
		b = b[total:]
	}
	return headers, ps
}

// TestBedrockShapes checks the Bedrock vectors against SPEC.md section 7: chunk headers, the
// base64 model JSON under "bytes", "p" a prefix of the padding alphabet, a Claude event
// sequence ending in message_stop with invocation metrics, and ConverseStream events.
func TestBedrockShapes(t *testing.T) {
	hs, ps := payloads(t, bedrockChunks())
	var types []string
	for i, p := range ps {
		if hs[i][":event-type"] != "chunk" || hs[i][":message-type"] != "event" || hs[i][":content-type"] != "application/json" {
			t.Errorf("chunk %d headers %v", i, hs[i])
		}
		var c struct {
			Bytes []byte `json:"bytes"` // encoding/json decodes standard base64
			P     string `json:"p"`
		}
		if err := json.Unmarshal(p, &c); err != nil {
			t.Fatalf("chunk %d: %v", i, err)
		}
		if c.P == "" || !strings.HasPrefix(padAlphabet, c.P) {
			t.Errorf("chunk %d: p %q is not a prefix of the alphabet", i, c.P)
		}
		var ev struct {
			Type    string `json:"type"`
			Metrics *struct {
				In        *int `json:"inputTokenCount"`
				Out       *int `json:"outputTokenCount"`
				Latency   *int `json:"invocationLatency"`
				FirstByte *int `json:"firstByteLatency"`
			} `json:"amazon-bedrock-invocationMetrics"`
		}
		if err := json.Unmarshal(c.Bytes, &ev); err != nil {
			t.Fatalf("chunk %d model JSON: %v", i, err)
		}
		types = append(types, ev.Type)
		if (ev.Metrics != nil) != (ev.Type == "message_stop") {
			t.Errorf("chunk %d (%s): invocation metrics present: %v", i, ev.Type, ev.Metrics != nil)
		}
		if m := ev.Metrics; m != nil && (m.In == nil || m.Out == nil || m.Latency == nil || m.FirstByte == nil) {
			t.Errorf("chunk %d: invocation metrics %+v lack a field", i, *m)
		}
	}
	n := len(types)
	if n < 6 || types[0] != "message_start" || types[1] != "content_block_start" || types[2] != "content_block_delta" ||
		types[n-3] != "content_block_stop" || types[n-2] != "message_delta" || types[n-1] != "message_stop" {
		t.Errorf("Claude event sequence %v", types)
	}
	if _, ps := payloads(t, bedrockChunksIncomplete()); len(ps) != n-2 {
		t.Errorf("bedrock-chunks-incomplete has %d frames, want %d", len(ps), n-2)
	}

	hs, ps = payloads(t, converseStream())
	want := []string{"messageStart", "contentBlockDelta", "contentBlockStop", "messageStop", "metadata"}
	var got []string
	for i, p := range ps {
		if e := hs[i][":event-type"]; len(got) == 0 || got[len(got)-1] != e {
			got = append(got, e)
		}
		var m map[string]any
		if err := json.Unmarshal(p, &m); err != nil {
			t.Fatalf("converse event %d: %v", i, err)
		}
		if p, _ := m["p"].(string); p == "" || !strings.HasPrefix(padAlphabet, p) {
			t.Errorf("converse event %d: p %q", i, p)
		}
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("ConverseStream events %v, want %v", got, want)
	}
}
