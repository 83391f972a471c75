package corpusgen

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"
)

// A Vector is one conformance vector: the bytes of NAME.bin and how they were made.
type Vector struct {
	Name        string
	Description string
	Bytes       []byte
}

// Limits of the codec's default decoder that the over-limit vectors sit just past. They are
// the values SPEC.md section 3 gives, repeated here rather than imported so that the corpus
// pins the specification, not whatever the code says.
const (
	maxFrameLen = 24<<20 + 128<<10 + 16
	maxBlockLen = 128 << 10
	maxHeaders  = 1024
)

// good is a small valid frame put before some negative vectors, so that they also check that
// the frames before a bad one decode and that the error names the right stream offset.
var good = frame(cat(hString(":message-type", "event"), hString(":event-type", "ping")), []byte("{}"))

// Vectors returns every vector, positive ones first. The result is the same on every call.
func Vectors() []Vector {
	return append(positive(), negative()...)
}

func positive() []Vector {
	uuid := [16]byte{0x12, 0x3e, 0x45, 0x67, 0xe8, 0x9b, 0x12, 0xd3, 0xa4, 0x56, 0x42, 0x66, 0x14, 0x17, 0x40, 0x00}
	name255 := strings.Repeat("abcdefghijklmnopqrstuvwxyz0123456789-", 7)[:255]
	return []Vector{
		{"empty-stream", "Zero bytes: a stream that ends at its first frame boundary, so decoding gives no frame and a clean end.",
			nil},
		{"empty-frame", "The smallest frame: 16 bytes, no headers, no payload.",
			frame(nil, nil)},
		{"payload-only", "No headers and a short JSON payload.",
			frame(nil, []byte(`{"message":"hello, world"}`))},
		{"payload-binary", "No headers and a payload of the 256 byte values 0x00..0xff, which is not UTF-8 (the JSON has no text).",
			frame(nil, seq(256))},
		{"headers-only", "Three string headers and an empty payload.",
			frame(cat(hString(":message-type", "event"), hString(":event-type", "ping"), hString(":content-type", "application/json")), nil)},
		{"smallest-header", "headers_length 3, the smallest header block there is: a 1-byte name with a bool true value.",
			frame(hBool("x", true), nil)},
		{"all-header-types", "One header of each of the ten types, in type order (bool true, bool false, byte, int16, int32, int64, byte array, string, timestamp, uuid), and a payload.",
			frame(cat(
				hBool("bool-true", true), hBool("bool-false", false), hByte("byte", 42), hInt16("int16", 4242),
				hInt32("int32", 424242), hInt64("int64", 4242424242424242), hBytes("bytes", []byte{0xde, 0xad, 0xbe, 0xef}),
				hString("string", "forty-two"), hTime("timestamp", 1700000000123), hUUID("uuid", uuid),
			), []byte("all ten types"))},
		{"negative-numbers", "Negative values of every signed type, and a timestamp 1 ms before the epoch (1969-12-31T23:59:59.999Z): checks sign extension.",
			frame(cat(hByte("byte", -1), hInt16("int16", -2), hInt32("int32", -3), hInt64("int64", -4), hTime("timestamp", -1)), nil)},
		{"integer-extremes", "The minimum and maximum of byte, int16, int32 and int64, and zero.",
			frame(cat(
				hByte("byte-min", math.MinInt8), hByte("byte-max", math.MaxInt8),
				hInt16("int16-min", math.MinInt16), hInt16("int16-max", math.MaxInt16),
				hInt32("int32-min", math.MinInt32), hInt32("int32-max", math.MaxInt32),
				hInt64("int64-min", math.MinInt64), hInt64("int64-max", math.MaxInt64),
				hInt64("zero", 0),
			), nil)},
		{"timestamps", "Timestamps at the epoch, 1 ms before it, in 1900, at 0001-01-01, at the last millisecond of 9999 and in 2023: the range RFC 3339 can write.",
			frame(cat(
				hTime("epoch", 0), hTime("before-epoch", -1),
				hTime("year-1900", ms(time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC))),
				hTime("year-1", ms(time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC))),
				hTime("year-9999", ms(time.Date(9999, 12, 31, 23, 59, 59, 999e6, time.UTC))),
				hTime("recent", 1700000000123),
			), nil)},
		{"timestamp-extremes", "Timestamps RFC 3339 cannot write (the JSON gives them in milliseconds): the int64 minimum and maximum, 1 ms before year 0 and year 10000.",
			frame(cat(
				hTime("min", math.MinInt64), hTime("max", math.MaxInt64),
				hTime("before-year-0", ms(time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC))-1),
				hTime("year-10000", ms(time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC))),
			), nil)},
		{"name-255", "A header whose name has 255 bytes, the longest the name length byte allows.",
			frame(hString(name255, "long name"), nil)},
		{"name-utf8", "Names and a string value outside ASCII, and a value with characters JSON escapes (quote, backslash, newline, <, >, &).",
			frame(cat(hString("grüße", "日本語 ✓"), hString("ключ", "<a href=\"x\">&amp;</a>\n\\")), []byte("naïve café"))},
		{"value-empty", "Empty string and byte-array values, which the format allows.",
			frame(cat(hString("empty-string", ""), hBytes("empty-bytes", nil)), nil)},
		{"value-32767", "A string and a byte array of 32,767 bytes each, the longest values an encoder may write; the frame (65 KiB) is larger than the streaming decoder's read buffer.",
			frame(cat(hString("string", strings.Repeat("s", 32767)), hBytes("bytes", bytes.Repeat([]byte{0xa5}, 32767))), nil)},
		{"value-65535", "A string value of 65,535 bytes: over the encoder's 32,767-byte limit, but all a u16 length can declare, and a decoder accepts it (SPEC.md section 3).",
			frame(hString("string", strings.Repeat("x", 65535)), nil)},
		{"string-not-utf8", "A string value that is not valid UTF-8. Decoders accept it unless asked to validate; the JSON carries its exact bytes in a base64 field.",
			frame(hString("raw", "caf\xc3 \xff\xfe"), nil)},
		{"headers-1024", "1,024 headers, the default header count limit.",
			frame(manyHeaders(maxHeaders), nil)},
		{"bedrock-chunks", "A Claude 3.5 Sonnet InvokeModelWithResponseStream body as Amazon Bedrock sends it (SPEC.md section 7), written by corpusgen: chunk frames for message_start, content_block_start, content_block_delta text deltas, content_block_stop, message_delta and message_stop with amazon-bedrock-invocationMetrics, each model event base64-encoded under \"bytes\" with random-length \"p\" padding.",
			bedrockChunks()},
		{"bedrock-chunks-incomplete", "bedrock-chunks without its last two frames (message_delta and message_stop): it ends cleanly at a frame boundary, so the codec decodes it without error, but the response is not complete; a Bedrock reader must say so (SPEC.md section 7).",
			bedrockChunksIncomplete()},
		{"bedrock-converse-stream", "A ConverseStream body as Bedrock sends it: event frames messageStart, contentBlockDelta (text), contentBlockStop, messageStop and metadata, each payload the event's JSON with random-length \"p\" padding, no base64 wrapper.",
			converseStream()},
		{"bedrock-exception", "A Bedrock throttlingException frame, alone, as a stream can carry it before any chunk.",
			frame(exceptionHeaders("throttlingException"), []byte(`{"message":"Too many requests, please wait before trying again."}`))},
		{"bedrock-model-stream-error", "Two Bedrock chunks followed by a modelStreamErrorException frame with originalStatusCode and originalMessage, the way a stream fails half-way.",
			bedrockStreamError()},
		{"error-frame", "An error frame: :message-type error with :error-code and :error-message, empty payload.",
			frame(cat(hString(":error-code", "InternalFailure"), hString(":error-message", "The request processing has failed because of an unknown error."), hString(":message-type", "error")), nil)},
		{"signed-events", "Client-to-server events wrapped for SigV4 event signing: outer frames with :date (timestamp) and :chunk-signature (32-byte array) whose payloads are whole encoded frames, then the empty closing frame. The signatures are SHA-256 digests of the payloads, not real signatures.",
			signedEvents()},
		{"many-frames", "150 frames in one stream (about 60 KiB, more than the streaming decoder's read buffer), with random header sets of all types and payloads of 0 to 600 bytes from a seeded generator.",
			manyFrames()},
	}
}

func negative() []Vector {
	ping := good
	return []Vector{
		// Checksums.
		{"prelude-crc-corrupted", "A good frame, then a frame whose prelude CRC field has one bit flipped. Error: checksum, prelude crc, at the second frame.",
			cat(good, flip(ping, 8, 0))},
		{"prelude-length-corrupted", "A frame whose total_length has one bit flipped after the prelude CRC was computed: the prelude CRC catches it before the length is used.",
			flip(ping, 3, 2)},
		{"message-crc-corrupted", "A good frame, then a frame whose message CRC field has one bit flipped. Error: checksum, message crc.",
			cat(good, flip(ping, len(ping)-1, 7))},
		{"payload-corrupted", "A good frame, then a frame with one payload bit flipped after the CRCs were computed. Error: checksum, message crc.",
			cat(good, flip(ping, len(ping)-5, 0))},
		{"message-crc-before-headers", "A frame with both an unknown header type (12) and a wrong message CRC: the CRC is checked before any header is parsed, so the error is the checksum.",
			withBadCRC(frame(cat(hBool("ok", true), hdr("x", 12, nil)), nil))},

		// Inconsistent preludes, both CRCs valid.
		{"total-length-15", "total_length 15, below the 16-byte minimum, with valid CRCs. Error: malformed, total_length.",
			rawFrame(15, 0, nil)[:15]},
		{"total-length-zero", "A good frame, then a prelude declaring total_length 0 (valid prelude CRC), then 4 more bytes. Error: malformed, total_length, at the second frame.",
			cat(good, prelude(0, 0), []byte{0, 0, 0, 0})},
		{"headers-length-past-frame", "total_length 20 and headers_length 5: the header block would end inside the message CRC. Error: malformed, headers_length.",
			rawFrame(20, 5, []byte{1, 'a', 0, 0})},
		{"headers-length-huge", "total_length 32 and headers_length 0xffffffff: inconsistent before it is over any limit, so the error is malformed (headers_length), not too large.",
			rawFrame(32, math.MaxUint32, make([]byte, 16))},
		{"headers-length-1", "headers_length 1, shorter than the smallest header (3 bytes), in an otherwise valid 17-byte frame. Error: malformed, headers_length.",
			rawFrame(17, 1, []byte{0})},
		{"headers-length-2", "headers_length 2, likewise. Error: malformed, headers_length.",
			rawFrame(18, 2, []byte{1, 'a'})},

		// Declarations over the default limits: only the 12-byte prelude is present, so a
		// decoder that waited for the body would report truncation instead.
		{"total-length-over-limit", fmt.Sprintf("A prelude declaring total_length %d, one byte over the default frame limit, and nothing after it. Error: too_large, total_length, before any body is read.", maxFrameLen+1),
			prelude(maxFrameLen+1, 0)},
		{"total-length-max", "A prelude declaring total_length 0xffffffff and nothing after it. Error: too_large, total_length.",
			prelude(math.MaxUint32, 0)},
		{"headers-length-over-limit", fmt.Sprintf("A prelude declaring headers_length %d (one over the 128 KiB default) in a frame long enough to hold it, and nothing after it. Error: too_large, headers_length.", maxBlockLen+1),
			prelude(maxBlockLen+1+16, maxBlockLen+1)},
		{"too-many-headers", "1,025 headers, one over the default header count limit. Error: malformed, header count.",
			frame(manyHeaders(maxHeaders+1), nil)},

		// Header blocks that are wrong inside valid checksums.
		{"empty-name", "A header whose name length byte is 0. Error: malformed, header name.",
			frame(cat(hString("a", "b"), []byte{0, tBoolTrue}, hBool("c", true)), nil)},
		{"name-past-block", "A header whose name length (200) runs past the 12-byte header block. Error: malformed, header name.",
			frame(cat([]byte{200}, []byte("short-name-")), nil)},
		{"type-past-block", "A header whose name ends exactly at the end of the block, leaving no type byte. Error: malformed, header name.",
			frame(cat(hBool("ok", true), []byte{4}, []byte("name")), nil)},
		{"value-past-block", "An int64 header with only 4 of its 8 value bytes inside the header block (the rest lie in the payload). Error: malformed, header value.",
			frame(cat(hBool("ok", true), hdr("n", tInt64, []byte{0, 0, 0, 1})), []byte{0, 0, 0, 2})},
		{"value-length-past-block", "A string header whose u16 length is cut by the end of the block. Error: malformed, header value.",
			frame(cat(hBool("ok", true), hdr("s", tString, []byte{0})), nil)},
		{"value-bytes-past-block", "A byte-array header declaring 100 bytes with 10 left in the block. Error: malformed, header value.",
			frame(hdr("b", tBytes, cat([]byte{0, 100}, seq(10))), nil)},
		{"unknown-type-10", "A header with type 10, the first value past the ten defined types. Error: malformed, header type.",
			frame(cat(hBool("ok", true), hdr("t", 10, nil)), nil)},
		{"unknown-type-255", "A header with type 255. Error: malformed, header type.",
			frame(hdr("t", 255, []byte{0, 0, 0, 0}), nil)},
		{"duplicate-name", "A good frame, then a frame with :message-type twice (event, then exception): two components keeping the first or the last would read different frames. Error: malformed, header name.",
			cat(good, frame(cat(hString(":message-type", "event"), hString(":event-type", "chunk"), hString(":message-type", "exception")), nil))},
		{"duplicate-name-many", "40 headers whose last repeats the first name, with a different type: the check must hold for long header lists too. Error: malformed, header name.",
			frame(cat(manyHeaders(39), hInt32("h0000", 7)), nil)},
		{"name-not-utf8", "A header name that is not valid UTF-8. Error: malformed, header name.",
			frame(hString("na\xffme", "v"), nil)},
		{"name-not-utf8-after-value", "Two string headers whose value is the bytes ff c7 01 00 (not UTF-8), then a header with those bytes as its name. A decoder that caches strings must not let the cached value pass for a validated name; the bytes are chosen so that the codec's string cache (at the time of writing) files the value and the name under the same slot. Error: malformed, header name.",
			frame(cat(hString("a", "\xff\xc7\x01\x00"), hString("b", "\xff\xc7\x01\x00"), hBool("\xff\xc7\x01\x00", true)), nil)},

		// Truncation: the core tests cut every valid stream at every offset; these two keep
		// the class in the corpus.
		{"truncated-prelude", "A good frame, then the first 5 bytes of another. Error: unexpected_eof at the second frame.",
			cat(good, ping[:5])},
		{"truncated-body", "A good frame, then another missing its last byte. Error: unexpected_eof at the second frame.",
			cat(good, ping[:len(ping)-1])},
	}
}

// withBadCRC damages the message CRC of a single frame.
func withBadCRC(f []byte) []byte { return flip(f, len(f)-1, 0) }

func ms(t time.Time) int64 { return t.UnixMilli() }

func seq(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

// manyHeaders returns n bool headers named h0000, h0001, ...
func manyHeaders(n int) []byte {
	var b []byte
	for i := range n {
		b = append(b, hBool(fmt.Sprintf("h%04d", i), i%2 == 0)...)
	}
	return b
}

var eventHeaders = cat(hString(":event-type", "chunk"), hString(":content-type", "application/json"), hString(":message-type", "event"))

func exceptionHeaders(typ string) []byte {
	return cat(hString(":exception-type", typ), hString(":content-type", "application/json"), hString(":message-type", "exception"))
}

const padAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// chunk wraps one model event as a Bedrock chunk frame: base64 under "bytes", random-length
// "p" padding.
func chunk(r *rand.Rand, event string) []byte {
	pad := padAlphabet[:1+r.IntN(len(padAlphabet)-1)]
	payload := fmt.Sprintf(`{"bytes":"%s","p":"%s"}`, base64.StdEncoding.EncodeToString([]byte(event)), pad)
	return frame(eventHeaders, []byte(payload))
}

func textDelta(s string) string {
	return fmt.Sprintf(`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":%q}}`, s)
}

func bedrockChunks() []byte {
	r := rand.New(rand.NewPCG(1, 2))
	deltas := []string{
		"An event", " stream is", " a sequence of", " frames. Each", " frame has a", " prelude with",
		" two lengths and", " a CRC, then", " headers, the", " payload and a", " second CRC-32", " over it all.",
	}
	events := []string{
		`{"type":"message_start","message":{"id":"msg_bdrk_01JXq7cVn3yWZ8Hk2Rt5LmPd","type":"message","role":"assistant","model":"claude-3-5-sonnet-20241022","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":18,"output_tokens":2}}}`,
		`{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`,
	}
	for _, d := range deltas {
		events = append(events, textDelta(d))
	}
	events = append(events,
		`{"type":"content_block_stop","index":0}`,
		`{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":31}}`,
		`{"type":"message_stop","amazon-bedrock-invocationMetrics":{"inputTokenCount":18,"outputTokenCount":31,"invocationLatency":1187,"firstByteLatency":402}}`,
	)
	var b []byte
	for _, e := range events {
		b = append(b, chunk(r, e)...)
	}
	return b
}

// bedrockChunksIncomplete drops the frames of the last two events of bedrockChunks.
func bedrockChunksIncomplete() []byte {
	b := bedrockChunks()
	var starts []int
	for off := 0; off < len(b); off += int(binary.BigEndian.Uint32(b[off:])) {
		starts = append(starts, off)
	}
	return b[:starts[len(starts)-2]]
}

func converseStream() []byte {
	r := rand.New(rand.NewPCG(9, 10))
	event := func(typ, body string) []byte {
		pad := padAlphabet[:1+r.IntN(len(padAlphabet)-1)]
		payload := body[:len(body)-1] + fmt.Sprintf(`,"p":"%s"}`, pad)
		return frame(cat(hString(":event-type", typ), hString(":content-type", "application/json"), hString(":message-type", "event")), []byte(payload))
	}
	b := event("messageStart", `{"role":"assistant"}`)
	for _, d := range []string{"Frames", " carry", " headers", " and a", " payload."} {
		b = append(b, event("contentBlockDelta", fmt.Sprintf(`{"contentBlockIndex":0,"delta":{"text":%q}}`, d))...)
	}
	return cat(b,
		event("contentBlockStop", `{"contentBlockIndex":0}`),
		event("messageStop", `{"stopReason":"end_turn"}`),
		event("metadata", `{"usage":{"inputTokens":11,"outputTokens":7,"totalTokens":18},"metrics":{"latencyMs":684}}`),
	)
}

func bedrockStreamError() []byte {
	r := rand.New(rand.NewPCG(3, 4))
	return cat(
		chunk(r, `{"type":"message_start","message":{"id":"msg_bdrk_01Fv9Qe2TzKc4Wn7Ys1HbXaR","type":"message","role":"assistant","model":"claude-3-5-sonnet-20241022","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":12,"output_tokens":1}}}`),
		chunk(r, `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`),
		frame(exceptionHeaders("modelStreamErrorException"),
			[]byte(`{"message":"Model stream error: the model returned an error while streaming","originalStatusCode":529,"originalMessage":"Overloaded"}`)),
	)
}

func signedEvents() []byte {
	date := ms(time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC))
	inner := frame(cat(hString(":content-type", "application/octet-stream"), hString(":event-type", "AudioEvent"), hString(":message-type", "event")),
		bytes.Repeat([]byte{0x00, 0x10, 0xff, 0xf0}, 16))
	outer := func(ms int64, payload []byte) []byte {
		sig := sha256.Sum256(payload)
		return frame(cat(hTime(":date", ms), hBytes(":chunk-signature", sig[:])), payload)
	}
	return cat(outer(date, inner), outer(date+1000, nil))
}

// manyFrames builds a long stream of varied frames from a seeded generator.
func manyFrames() []byte {
	r := rand.New(rand.NewPCG(5, 6))
	var b []byte
	for i := range 150 {
		var hs []byte
		for k := range r.IntN(6) {
			name := fmt.Sprintf("f%d-h%d", i%7, k)
			switch r.IntN(10) {
			case 0:
				hs = append(hs, hBool(name, true)...)
			case 1:
				hs = append(hs, hBool(name, false)...)
			case 2:
				hs = append(hs, hByte(name, int8(r.Uint32()))...)
			case 3:
				hs = append(hs, hInt16(name, int16(r.Uint32()))...)
			case 4:
				hs = append(hs, hInt32(name, int32(r.Uint32()))...)
			case 5:
				hs = append(hs, hInt64(name, int64(r.Uint64()))...)
			case 6:
				v := make([]byte, r.IntN(40))
				for j := range v {
					v[j] = byte(r.Uint32())
				}
				hs = append(hs, hBytes(name, v)...)
			case 7:
				hs = append(hs, hString(name, padAlphabet[:r.IntN(len(padAlphabet))])...)
			case 8:
				hs = append(hs, hTime(name, 1700000000000+r.Int64N(1e10))...)
			case 9:
				var u [16]byte
				for j := range u {
					u[j] = byte(r.Uint32())
				}
				hs = append(hs, hUUID(name, u)...)
			}
		}
		p := make([]byte, r.IntN(601))
		for j := range p {
			p[j] = padAlphabet[r.IntN(len(padAlphabet))]
		}
		b = append(b, frame(hs, p)...)
	}
	return b
}
