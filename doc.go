// Package eventstream reads and writes the AWS event stream binary format
// (application/vnd.amazon.eventstream), the framing of Amazon Bedrock's
// InvokeModelWithResponseStream and ConverseStream, Transcribe streaming, S3 Select and
// Kinesis SubscribeToShard.
//
// # Wire format
//
// A stream is a sequence of frames. Integers are big-endian; both checksums are CRC-32 with
// the IEEE polynomial.
//
//	offset  size  field
//	0       4     total_length    the whole frame, these 4 bytes and the trailing CRC included
//	4       4     headers_length  bytes of the header block
//	8       4     prelude_crc     CRC-32 of bytes [0, 8)
//	12      H     headers         H = headers_length
//	12+H    P     payload         P = total_length - headers_length - 16
//	end-4   4     message_crc     CRC-32 of bytes [0, total_length-4)
//
// The smallest frame is 16 bytes. A header is a name length byte (1..255), the name (UTF-8),
// a type byte and the value:
//
//	type  name        value bytes                         Go
//	0     bool true   none                                bool
//	1     bool false  none                                bool
//	2     byte        1, signed                           int8
//	3     short       2, signed                           int16
//	4     integer     4, signed                           int32
//	5     long        8, signed                           int64
//	6     byte array  u16 length, then the bytes          []byte
//	7     string      u16 length, then UTF-8 bytes        string
//	8     timestamp   8, signed ms since the Unix epoch   time.Time
//	9     uuid        16 bytes                            [16]byte
//
// Applications put their own conventions in string headers: ":message-type" is "event" (with
// ":event-type"), "exception" (with ":exception-type") or "error" (with ":error-code" and
// ":error-message"), and ":content-type" names the payload's media type.
//
// # Decoding
//
// [Decoder.Decode] reads frames from an [io.Reader]; [DecodeFrame] decodes one frame from a
// byte slice without copying; [ScanFrames] splits a stream for a [bufio.Scanner]. All three
// check each frame in this order, and report the first failure:
//
//  1. the prelude CRC, as soon as the 12-byte prelude is in: no length is trusted before;
//  2. the lengths: total_length at least 16, the header block inside the frame, a header
//     block of 0 or at least 3 bytes, and both lengths within the limits, before any of the
//     body is read or buffered;
//  3. the message CRC, before any header or payload byte is exposed, so a frame with both a
//     bad checksum and a bad header reports the checksum;
//  4. the headers: known types, values inside the block, names of 1..255 bytes of valid
//     UTF-8, no name twice in one frame, at most the header count limit.
//
// Empty string and byte-array values are valid. String values are not UTF-8 validated unless
// [Decoder.ValidateUTF8] is set.
//
// # End of stream
//
// [Decoder.Decode] returns [io.EOF] only when the stream ends exactly at a frame boundary. A
// stream that ends inside a frame, even after one byte of it, returns [io.ErrUnexpectedEOF]:
// a truncated frame is never taken for a clean end. Errors are sticky.
//
// # Lifetimes
//
// Decoding into a [Frame] reuses its storage: Headers, Payload and the byte and string header
// values stay valid until the same Frame is decoded into again. [DecodeFrame] makes them alias
// its input instead. A [Decoder] avoids a copy by letting one Frame at a time alias its read
// buffer, which it then does not overwrite until that Frame is decoded into again; this does
// not change the lifetimes above. Header names are ordinary strings, interned per Frame so that a stream
// whose names repeat builds no new strings; they stay valid for ever. [Frame.Clone] copies.
//
// # Limits
//
// A [Decoder] refuses frames over [DefaultMaxFrameLen] (24 MiB of payload plus 128 KiB of
// headers), header blocks over [DefaultMaxHeaderBlockLen] and more than [DefaultMaxHeaders]
// headers; each limit is a field of the Decoder. Memory held for a frame never exceeds the
// frame limit and grows with the bytes that arrive, not with the declared length. The encoder
// refuses any frame a default decoder would reject and values over [MaxValueLen], and then
// writes nothing.
//
// # Errors
//
// Bad frames give an [*Error] carrying the frame's stream offset and the field at fault (and,
// for checksums, both CRCs). It matches one of [ErrChecksum], [ErrMalformed] and
// [ErrTooLarge] with [errors.Is]. Reader errors are returned unchanged.
//
// # Allocations
//
// In steady state (the same Frame, Decoder and Encoder reused over a stream whose header names
// repeat) [Decoder.Decode], [DecodeFrame], [Frame.AppendBinary] into a buffer with room,
// [Encoder.Encode], [Frame.Header] and comparing a repeated string value through
// [Value.String] do not allocate. The package uses no unsafe code.
package eventstream
