package bedrocktest

import (
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"
)

// FuzzHPACKDecode decodes arbitrary header blocks, twice on one decoder so that the second
// reads what the first left in the dynamic table: no panic, and the table within its size.
func FuzzHPACKDecode(f *testing.F) {
	for _, s := range []string{
		"8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff", "8286 84be 5886 a8eb 1064 9cbf",
		"8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65", "3f e1 1f 20",
	} {
		f.Add(unhex(f, s))
	}
	f.Fuzz(func(t *testing.T, block []byte) {
		d := newHPACKDecoder(4096)
		for range 2 {
			if d.decode(block, func(string) bool { return true }, func(string, string) {}) != nil {
				return
			}
			size := 0
			for _, e := range d.dyn {
				size += len(e.name) + len(e.value) + hpackEntryOverhead
			}
			if size != d.size || d.size > d.maxSize || d.maxSize > d.limit {
				t.Fatalf("table of %d bytes (counted %d), max %d, limit %d", size, d.size, d.maxSize, d.limit)
			}
		}
	})
}

// fuzzConn is a net.Conn that reads in from chunks of the given sizes and records writes.
type fuzzConn struct {
	net.Conn
	in     []byte
	chunks []byte
	out    bytes.Buffer
}

func (c *fuzzConn) Read(p []byte) (int, error) {
	if len(c.in) == 0 {
		return 0, io.EOF
	}
	n := len(p)
	if len(c.chunks) > 0 {
		n = min(n, int(c.chunks[0])+1)
		c.chunks = c.chunks[1:]
	}
	n = copy(p, c.in[:min(n, len(c.in))])
	c.in = c.in[n:]
	return n, nil
}

func (c *fuzzConn) Write(p []byte) (int, error) { return c.out.Write(p) }

// FuzzH2Conn passes arbitrary client bytes (after the preface), in arbitrary reads, then
// arbitrary server bytes, in arbitrary writes, through h2Conn: no panic, the client's bytes
// reach the reader unchanged while nothing is owed, and what h2Conn holds stays bounded.
func FuzzH2Conn(f *testing.F) {
	var client, server []byte
	client = appendFrameHeader(client, 6, h2Settings, 0, 0)
	client = append(client, 0, h2SettingInitialWindowSize, 0, 1, 0, 0)
	block := []byte{0x83, 0x86} // :method POST, :scheme http
	block = hpackAppendLiteral(block, ":path", "/model/x%zz/converse")
	block = append(block, 0x41, 0x81, 0x1f)                               // :authority, Huffman-coded "x", indexed
	client = appendFrameHeader(client, 1+3+1, h2Headers, h2FlagPadded, 1) // one byte of padding
	client = append(append(append(client, 1), block[:3]...), 0)
	client = appendFrameHeader(client, len(block)-3, h2Continuation, h2FlagEndHeaders, 1)
	client = append(client, block[3:]...)
	client = appendFrameHeader(client, 4, h2WindowUpdate, 0, 0)
	client = binary.BigEndian.AppendUint32(client, 1000)
	server = appendFrameHeader(server, 0, h2Settings, 0, 0)
	server = appendFrameHeader(server, 4, h2RSTStream, 0, 1)
	server = binary.BigEndian.AppendUint32(server, h2ErrProtocol)
	server = appendFrameHeader(server, 5, h2Data, h2FlagEndStream, 3)
	server = append(server, "hello"...)
	f.Add(client, server, []byte{8, 3, 200, 0, 12})
	f.Add(client, server, []byte{})
	f.Fuzz(func(t *testing.T, client, server, chunks []byte) {
		c := &fuzzConn{in: client, chunks: chunks}
		done := make(chan struct{})
		close(done) // a write that must wait for the client's window fails at once
		h := newH2Conn(c, func() time.Time { return time.Time{} }, done)
		read := func() []byte {
			var got []byte
			buf := make([]byte, 9)
			for i := 0; ; i++ {
				n, err := h.read(buf[:1+i%len(buf)])
				got = append(got, buf[:n]...)
				if err != nil {
					return got
				}
				if len(h.block) > h2MaxHeaderBlock || len(h.settings) > h2MaxSettings || len(h.bad) > h2MaxBadStreams || len(h.in) != h2ReadBuffer {
					t.Fatalf("holds a block of %d bytes, settings of %d, %d bad streams, a buffer of %d",
						len(h.block), len(h.settings), len(h.bad), len(h.in))
				}
			}
		}
		if got := read(); !bytes.Equal(got, client) {
			t.Fatalf("the reader got %x, the client sent %x", got, client)
		}
		for len(server) > 0 {
			n := len(server)
			if len(chunks) > 0 {
				n = min(n, int(chunks[0])+1)
				chunks = chunks[1:]
			}
			if _, err := h.write(server[:n]); err != nil {
				break
			}
			server = server[n:]
		}
		// Once something is owed, the client's WINDOW_UPDATEs may shrink or go.
		h.rerr, h.r, h.p, h.w = nil, 0, 0, 0
		c.in = client
		if got := read(); len(got) > len(client) {
			t.Fatalf("the reader got %d bytes, the client sent %d", len(got), len(client))
		}
	})
}
