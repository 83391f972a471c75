package benchcmp

import (
	"fmt"
	"slices"
	"strings"
	"time"

	sdk "github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	"github.com/framewire/eventstream"
)

// toSDK returns the SDK message carrying the same headers, in the same order, and payload
// as f. The payload is shared.
func toSDK(f *eventstream.Frame) sdk.Message {
	m := sdk.Message{Payload: f.Payload}
	for _, h := range f.Headers {
		m.Headers = append(m.Headers, sdk.Header{Name: h.Name, Value: sdkValue(h.Value)})
	}
	return m
}

func sdkValue(v eventstream.Value) sdk.Value {
	switch v.Type() {
	case eventstream.TypeBoolTrue, eventstream.TypeBoolFalse:
		return sdk.BoolValue(v.Bool())
	case eventstream.TypeByte:
		return sdk.Int8Value(v.Int64())
	case eventstream.TypeInt16:
		return sdk.Int16Value(v.Int64())
	case eventstream.TypeInt32:
		return sdk.Int32Value(v.Int64())
	case eventstream.TypeInt64:
		return sdk.Int64Value(v.Int64())
	case eventstream.TypeBytes:
		return sdk.BytesValue(v.Bytes())
	case eventstream.TypeString:
		return sdk.StringValue(v.String())
	case eventstream.TypeTimestamp:
		return sdk.TimestampValue(v.Time())
	case eventstream.TypeUUID:
		return sdk.UUIDValue(v.UUID())
	}
	panic(fmt.Sprintf("benchcmp: no SDK value for type %v", v.Type()))
}

// A wireHeader is a header as the wire carries it: the name, the type byte, and the value
// either as a number (integers, timestamps in milliseconds) or as raw bytes (byte arrays,
// strings, UUIDs). Both implementations' headers are reduced to it for comparison.
type wireHeader struct {
	Name string
	Type uint8
	Num  int64
	Raw  string
}

func (h wireHeader) String() string {
	raw := h.Raw
	if len(raw) > 40 {
		raw = fmt.Sprintf("%.40q...(%d bytes)", raw, len(raw))
	} else {
		raw = fmt.Sprintf("%q", raw)
	}
	return fmt.Sprintf("%.40q type %d num %d raw %s", h.Name, h.Type, h.Num, raw)
}

func ourWire(f *eventstream.Frame) []wireHeader {
	hs := make([]wireHeader, 0, len(f.Headers))
	for _, h := range f.Headers {
		w := wireHeader{Name: h.Name, Type: uint8(h.Value.Type())}
		switch h.Value.Type() {
		case eventstream.TypeByte, eventstream.TypeInt16, eventstream.TypeInt32,
			eventstream.TypeInt64, eventstream.TypeTimestamp:
			w.Num = h.Value.Int64()
		case eventstream.TypeBytes, eventstream.TypeString, eventstream.TypeUUID:
			w.Raw = string(h.Value.Bytes())
		}
		hs = append(hs, w)
	}
	return hs
}

func sdkWire(m sdk.Message) []wireHeader {
	hs := make([]wireHeader, 0, len(m.Headers))
	for _, h := range m.Headers {
		w := wireHeader{Name: h.Name}
		switch v := h.Value.(type) {
		case sdk.BoolValue:
			w.Type = 1
			if v {
				w.Type = 0
			}
		case sdk.Int8Value:
			w.Type, w.Num = 2, int64(v)
		case sdk.Int16Value:
			w.Type, w.Num = 3, int64(v)
		case sdk.Int32Value:
			w.Type, w.Num = 4, int64(v)
		case sdk.Int64Value:
			w.Type, w.Num = 5, int64(v)
		case sdk.BytesValue:
			w.Type, w.Raw = 6, string(v)
		case sdk.StringValue:
			w.Type, w.Raw = 7, string(v)
		case sdk.TimestampValue:
			w.Type, w.Num = 8, time.Time(v).UnixMilli()
		case sdk.UUIDValue:
			w.Type, w.Raw = 9, string(v[:])
		default:
			panic(fmt.Sprintf("benchcmp: unknown SDK value %T", v))
		}
		hs = append(hs, w)
	}
	return hs
}

// diffFrames describes how our frame f and the SDK's message m differ, or returns "".
func diffFrames(f *eventstream.Frame, m sdk.Message) string {
	var b strings.Builder
	ours, theirs := ourWire(f), sdkWire(m)
	if !slices.Equal(ours, theirs) {
		fmt.Fprintf(&b, "headers differ:\n")
		for i := range max(len(ours), len(theirs)) {
			var o, t string
			if i < len(ours) {
				o = ours[i].String()
			}
			if i < len(theirs) {
				t = theirs[i].String()
			}
			if o != t {
				fmt.Fprintf(&b, "  [%d] ours  %s\n      sdk   %s\n", i, o, t)
			}
		}
	}
	if string(f.Payload) != string(m.Payload) {
		fmt.Fprintf(&b, "payloads differ: ours %d bytes, sdk %d bytes\n", len(f.Payload), len(m.Payload))
	}
	return b.String()
}
