package bedrocktest

import (
	"encoding/binary"
	"fmt"
	"maps"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/framewire/eventstream/bedrock"
)

// Go's HTTP/2 server resets a stream whose :path url.ParseRequestURI cannot parse
// (RST_STREAM with PROTOCOL_ERROR) before any handler runs, where HTTP/1.1 gets a 400 that
// serverConn rewrites as the service's JSON error. h2Conn gives HTTP/2 the same answer: it
// reads the client's frames as they pass (changing none but the WINDOW_UPDATEs described
// below), follows its header blocks with a mirror HPACK decoder to find each request's
// :path, and when net/http writes the reset of a stream whose path it saw fail, writes in
// its place a 400 ValidationException response on that stream (without a body for HEAD),
// followed, when the request's body has not ended, by RST_STREAM with NO_ERROR, as net/http
// ends a response that did not read the request body.
//
// The response's DATA consumes the client's connection-level flow-control window without
// net/http knowing: h2Conn counts those bytes as owed and takes them out of the client's
// next connection-level WINDOW_UPDATEs before net/http reads them, and until they are paid
// back it holds any DATA of net/http's that the client has not made room for (a frame is
// split to send what fits), up to the write deadline. A header block h2Conn cannot follow
// (over h2MaxHeaderBlock, or malformed) makes it stop looking for bad paths on the
// connection, and a SETTINGS frame over h2MaxSettings stop answering; a stream whose
// answer would not fit the client's windows keeps its reset: the bytes go through as
// net/http wrote them.

// h2Preface is what an HTTP/2 client sends first (RFC 9113, section 3.4).
const h2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

// HTTP/2 frame types, flags, settings and error codes used here (RFC 9113, section 6).
const (
	h2Data         = 0x0
	h2Headers      = 0x1
	h2RSTStream    = 0x3
	h2Settings     = 0x4
	h2WindowUpdate = 0x8
	h2Continuation = 0x9

	h2FlagEndStream  = 0x1
	h2FlagAck        = 0x1
	h2FlagEndHeaders = 0x4
	h2FlagPadded     = 0x8
	h2FlagPriority   = 0x20

	h2SettingInitialWindowSize = 0x4

	h2ErrNo       = 0x0
	h2ErrProtocol = 0x1

	h2HeaderLen     = 9
	h2InitialWindow = 65535
)

// Bounds of what h2Conn holds per connection.
const (
	// h2MaxHeaderBlock bounds a client's header block (HEADERS and its CONTINUATIONs, as
	// compressed): a bigger one makes h2Conn stop looking for bad paths on the connection.
	h2MaxHeaderBlock = 64 << 10
	// h2MaxSettings bounds a client's SETTINGS frame payload followed.
	h2MaxSettings = 1 << 10
	// h2MaxBadStreams bounds the streams whose reset h2Conn waits for at once.
	h2MaxBadStreams = 64
	// h2MaxPathInMessage bounds the part of a bad path quoted in the error message.
	h2MaxPathInMessage = 200
	// h2ReadBuffer is the size of the buffer client bytes pass through.
	h2ReadBuffer = 8 << 10
)

// h2Conn follows one HTTP/2 connection (see above). The reading goroutine owns the fields
// of the read side, the writing goroutine those of the write side; mu guards the rest.
type h2Conn struct {
	conn          net.Conn
	writeDeadline func() time.Time
	done          <-chan struct{} // closed with the connection

	// Read side. in[r:p] has been looked at and is the caller's to read; in[p:w] is an
	// incomplete frame header or connection-level WINDOW_UPDATE, held until whole.
	in          []byte
	r, p, w     int
	rerr        error
	left        int    // payload bytes of the current frame still to come
	ftype       byte   // of the current frame
	fflags      byte   // of the current frame
	fstream     uint32 // of the current frame
	collect     byte   // where the current payload goes: 0 nowhere, h2Headers the block, h2Settings settings
	block       []byte // the header block being gathered
	blockStart  int    // where the current frame's part of block starts
	blockStream uint32
	blockEnded  bool // the HEADERS frame carried END_STREAM
	inBlock     bool // a HEADERS frame without END_HEADERS came, its CONTINUATIONs are due
	settings    []byte
	dec         *hpackDecoder // nil once the connection is no longer followed
	maxStream   uint32        // the highest stream a request was seen on

	// Write side: hold[:held] are bytes of a frame's start that net/http wrote and that
	// wait for the rest of the header (or of a RST_STREAM); wleft is what is left of the
	// payload of the frame being passed through.
	hold  [h2HeaderLen + 4]byte
	held  int
	wleft int
	// A DATA frame split to fit the client's window: dataLeft bytes of it are still to
	// go, in pieces with dataFlags (END_STREAM only on the last) on dataStream.
	dataLeft   int
	dataFlags  byte
	dataStream uint32

	mu           sync.Mutex
	bad          map[uint32]badStream // streams whose :path net/http cannot parse
	granted      int64                // connection-level window the client gave: 65535 and its WINDOW_UPDATEs
	sent         int64                // DATA bytes sent to the client
	owed         int64                // bytes of injected DATA not yet taken out of the client's WINDOW_UPDATEs
	streamWindow int64                // the client's SETTINGS_INITIAL_WINDOW_SIZE
	noAnswer     bool                 // a client SETTINGS frame was not followed: its windows are unknown
	waiting      chan struct{}        // closed when granted grows, while a DATA frame waits for it
}

// badStream is a stream whose request net/http will reset.
type badStream struct {
	path  string
	ended bool // the request had no body
	head  bool // a HEAD request: the answer has no body
}

func newH2Conn(c net.Conn, writeDeadline func() time.Time, done <-chan struct{}) *h2Conn {
	return &h2Conn{
		conn: c, writeDeadline: writeDeadline, done: done,
		in:  make([]byte, h2ReadBuffer),
		dec: newHPACKDecoder(hpackDefaultTableSize),
		bad: map[uint32]badStream{}, granted: h2InitialWindow, streamWindow: h2InitialWindow,
	}
}

// hpackDefaultTableSize is the decoder table size that net/http's HTTP/2 server announces
// (SETTINGS_HEADER_TABLE_SIZE; the servers of this package leave it as it is).
const hpackDefaultTableSize = 4096

// read is net.Conn's Read for the bytes after the preface.
func (h *h2Conn) read(out []byte) (int, error) {
	for h.r == h.p {
		if h.rerr != nil {
			return 0, h.rerr
		}
		if h.r > 0 {
			h.w = copy(h.in, h.in[h.r:h.w])
			h.r, h.p = 0, 0
		}
		n, err := h.conn.Read(h.in[h.w:])
		h.w += n
		h.scan()
		if err != nil {
			h.p, h.rerr = h.w, err // nothing more will come: pass on what was held
		}
	}
	n := copy(out, h.in[h.r:h.p])
	h.r += n
	return n, nil
}

func be24(b []byte) int { return int(b[0])<<16 | int(b[1])<<8 | int(b[2]) }

// scan looks at in[p:w], moving p past what may go to the reader.
func (h *h2Conn) scan() {
	for h.p < h.w {
		if h.left > 0 {
			k := min(h.left, h.w-h.p)
			h.payload(h.in[h.p : h.p+k])
			h.p += k
			h.left -= k
			if h.left == 0 {
				h.endFrame()
			}
			continue
		}
		if h.w-h.p < h2HeaderLen {
			return
		}
		hdr := h.in[h.p : h.p+h2HeaderLen]
		length, typ, flags := be24(hdr), hdr[3], hdr[4]
		stream := binary.BigEndian.Uint32(hdr[5:]) & 0x7fffffff
		if typ == h2WindowUpdate && stream == 0 && length == 4 {
			if h.w-h.p < h2HeaderLen+4 {
				return
			}
			if h.windowUpdate() {
				h.p += h2HeaderLen + 4
			}
			continue
		}
		h.p += h2HeaderLen
		h.startFrame(typ, flags, stream, length)
		if h.left == 0 {
			h.endFrame()
		}
	}
}

// windowUpdate counts the connection-level WINDOW_UPDATE at in[p:] and takes what is owed
// out of its increment. It reports false when it removed the frame, whose increment fell
// to zero (which the client is not allowed to send).
func (h *h2Conn) windowUpdate() bool {
	f := h.in[h.p : h.p+h2HeaderLen+4]
	inc := int64(binary.BigEndian.Uint32(f[h2HeaderLen:]) & 0x7fffffff)
	h.mu.Lock()
	h.granted += inc
	d := min(h.owed, inc)
	h.owed -= d
	if h.waiting != nil {
		close(h.waiting)
		h.waiting = nil
	}
	h.mu.Unlock()
	if d == 0 {
		return true
	}
	if inc -= d; inc == 0 {
		h.w = h.p + copy(h.in[h.p:], h.in[h.p+len(f):h.w])
		return false
	}
	binary.BigEndian.PutUint32(f[h2HeaderLen:], uint32(inc))
	return true
}

// stop makes h2Conn stop looking for bad paths on this connection.
func (h *h2Conn) stop() {
	h.dec, h.block, h.collect, h.inBlock = nil, nil, 0, false
}

func (h *h2Conn) startFrame(typ, flags byte, stream uint32, length int) {
	h.ftype, h.fflags, h.fstream, h.left, h.collect = typ, flags, stream, length, 0
	if h.inBlock && typ != h2Continuation {
		h.stop() // net/http ends the connection
	}
	switch typ {
	case h2Headers:
		if h.dec != nil {
			h.block, h.blockStart = h.block[:0], 0
			h.blockStream, h.blockEnded, h.inBlock = stream, flags&h2FlagEndStream != 0, true
			h.collect = h2Headers
		}
	case h2Continuation:
		if h.dec != nil {
			if !h.inBlock || stream != h.blockStream {
				h.stop()
				return
			}
			h.blockStart, h.collect = len(h.block), h2Headers
		}
	case h2Settings:
		if flags&h2FlagAck == 0 {
			h.settings, h.collect = h.settings[:0], h2Settings
		}
	}
}

func (h *h2Conn) payload(b []byte) {
	switch h.collect {
	case h2Headers:
		if len(h.block)+len(b) > h2MaxHeaderBlock {
			h.stop()
			return
		}
		h.block = append(h.block, b...)
	case h2Settings:
		if len(h.settings)+len(b) > h2MaxSettings {
			h.collect, h.settings = 0, nil
			h.mu.Lock()
			h.noAnswer = true
			h.mu.Unlock()
			return
		}
		h.settings = append(h.settings, b...)
	}
}

func (h *h2Conn) endFrame() {
	collect := h.collect
	h.collect = 0
	switch collect {
	case h2Settings:
		h.mu.Lock()
		for s := h.settings; len(s) >= 6; s = s[6:] {
			if binary.BigEndian.Uint16(s) == h2SettingInitialWindowSize {
				h.streamWindow = int64(binary.BigEndian.Uint32(s[2:]))
			}
		}
		h.mu.Unlock()
	case h2Headers:
		if h.ftype == h2Headers { // strip the padding and priority around the fragment
			frag := h.block[h.blockStart:]
			start, pad := 0, 0
			if h.fflags&h2FlagPadded != 0 {
				if len(frag) < 1 {
					h.stop()
					return
				}
				start, pad = 1, int(frag[0])
			}
			if h.fflags&h2FlagPriority != 0 {
				start += 5
			}
			if start+pad > len(frag) {
				h.stop()
				return
			}
			h.block = h.block[:h.blockStart+copy(frag, frag[start:len(frag)-pad])]
		}
		if h.fflags&h2FlagEndHeaders != 0 {
			h.endBlock()
		}
	}
}

// endBlock decodes a whole header block and remembers the new request on it if net/http
// will refuse its :path.
func (h *h2Conn) endBlock() {
	h.inBlock = false
	var method string
	var bad []string
	err := h.dec.decode(h.block,
		func(name string) bool { return name == ":method" || name == ":path" },
		func(name, value string) {
			if name == ":method" {
				method = value
			} else if _, err := url.ParseRequestURI(value); err != nil {
				bad = append(bad, value)
			}
		})
	if cap(h.block) > 4<<10 {
		h.block = nil
	}
	if err != nil {
		h.stop()
		return
	}
	if h.blockStream <= h.maxStream { // trailers
		return
	}
	h.maxStream = h.blockStream
	// net/http takes a CONNECT request's :path for no URL.
	if len(bad) == 0 || method == "CONNECT" {
		return
	}
	h.mu.Lock()
	if len(h.bad) < h2MaxBadStreams {
		h.bad[h.blockStream] = badStream{path: bad[0], ended: h.blockEnded, head: method == "HEAD"}
	}
	h.mu.Unlock()
}

// write is net.Conn's Write once the preface has been read.
func (h *h2Conn) write(p []byte) (int, error) {
	start := 0 // p[start:i] passes through, not yet written
	pass := func(end int) error {
		var err error
		if end > start {
			_, err = h.conn.Write(p[start:end])
		}
		start = end
		return err
	}
	i := 0
	for i < len(p) {
		if h.wleft > 0 {
			k := min(h.wleft, len(p)-i)
			i += k
			h.wleft -= k
			continue
		}
		if h.dataLeft > 0 { // the next piece of a DATA frame split to fit the client's window
			if err := pass(i); err != nil {
				return start, err
			}
			if err := h.nextPiece(h.dataLeft, h.dataFlags, h.dataStream); err != nil {
				return start, err
			}
			continue
		}
		var hdr []byte
		if h.held == 0 && len(p)-i >= h2HeaderLen {
			hdr = p[i : i+h2HeaderLen]
		} else {
			if h.held == 0 {
				if err := pass(i); err != nil {
					return start, err
				}
			}
			if h.held < h2HeaderLen {
				k := copy(h.hold[h.held:h2HeaderLen], p[i:])
				h.held += k
				i += k
				start = i
				if h.held < h2HeaderLen {
					break
				}
			}
			hdr = h.hold[:h2HeaderLen]
		}
		length, typ, flags := be24(hdr), hdr[3], hdr[4]
		stream := binary.BigEndian.Uint32(hdr[5:]) & 0x7fffffff
		switch {
		case typ == h2RSTStream && length == 4 && h.isBad(stream):
			if h.held == 0 {
				if err := pass(i); err != nil {
					return start, err
				}
				h.held = copy(h.hold[:], hdr)
				i += h2HeaderLen
				start = i
			}
			k := copy(h.hold[h.held:], p[i:])
			h.held += k
			i += k
			start = i
			if h.held < len(h.hold) {
				break
			}
			h.held = 0
			if _, err := h.conn.Write(h.answer(stream, h.hold[:])); err != nil {
				return start, err
			}
			continue
		case typ == h2Data:
			if h.held == 0 {
				if err := pass(i); err != nil {
					return start, err
				}
			}
			k, err := h.admit(length, flags&h2FlagPadded != 0)
			if err != nil {
				return start, err
			}
			if k < length {
				if h.held == 0 {
					i += h2HeaderLen
					start = i
				}
				h.held = 0
				if err := h.writePiece(k, length, flags, stream); err != nil {
					return start, err
				}
				continue
			}
		}
		if h.held > 0 {
			h.held = 0
			if _, err := h.conn.Write(h.hold[:h2HeaderLen]); err != nil {
				return start, err
			}
		} else {
			i += h2HeaderLen
		}
		h.wleft = length
	}
	if err := pass(i); err != nil {
		return start, err
	}
	return len(p), nil
}

// nextPiece sends the header of the next piece of a split DATA frame, of which left bytes
// are still to go.
func (h *h2Conn) nextPiece(left int, flags byte, stream uint32) error {
	k, err := h.admit(left, false)
	if err != nil {
		return err
	}
	return h.writePiece(k, left, flags, stream)
}

// writePiece writes the header of a piece of k bytes of a DATA frame (flags, stream) of
// which left bytes are still to go, and sets what follows to pass through.
func (h *h2Conn) writePiece(k, left int, flags byte, stream uint32) error {
	pieceFlags := flags
	if k < left {
		pieceFlags &^= h2FlagEndStream
	}
	var b [h2HeaderLen]byte
	if _, err := h.conn.Write(appendFrameHeader(b[:0], k, h2Data, pieceFlags, stream)); err != nil {
		return err
	}
	h.wleft, h.dataLeft, h.dataFlags, h.dataStream = k, left-k, flags, stream
	return nil
}

func (h *h2Conn) isBad(stream uint32) bool {
	h.mu.Lock()
	_, ok := h.bad[stream]
	h.mu.Unlock()
	return ok
}

// admit counts the bytes of a DATA frame of n bytes that net/http is about to send, and
// returns how many may go now: all of them unless injected bytes are owed and the client's
// window has no room for them; then as many as it has room for (all or none when whole),
// once it has room, or the write deadline has passed.
func (h *h2Conn) admit(n int, whole bool) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var timer *time.Timer
	for {
		room := h.granted - h.sent
		if h.owed == 0 || room >= int64(n) {
			break
		}
		if !whole && room > 0 {
			n = int(room)
			break
		}
		if h.waiting == nil {
			h.waiting = make(chan struct{})
		}
		grew := h.waiting
		var expired <-chan time.Time
		if d := h.writeDeadline(); !d.IsZero() {
			if timer == nil {
				timer = time.NewTimer(time.Until(d))
				defer timer.Stop()
			}
			expired = timer.C
		}
		h.mu.Unlock()
		var err error
		select {
		case <-grew:
		case <-h.done:
			err = net.ErrClosed
		case <-expired:
			err = os.ErrDeadlineExceeded
		}
		h.mu.Lock()
		if err != nil {
			return 0, err
		}
	}
	h.sent += int64(n)
	return n, nil
}

// answer returns what to write instead of rst, net/http's RST_STREAM for a stream that
// isBad: the 400 ValidationException, or rst itself when that is not PROTOCOL_ERROR or
// the answer does not fit the client's windows.
func (h *h2Conn) answer(stream uint32, rst []byte) []byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	bs := h.bad[stream]
	delete(h.bad, stream)
	if binary.BigEndian.Uint32(rst[h2HeaderLen:]) != h2ErrProtocol || h.noAnswer {
		return rst
	}
	path := bs.path
	if len(path) > h2MaxPathInMessage {
		path = path[:h2MaxPathInMessage] + "..."
	}
	rec := newHeaderRecorder()
	bedrock.WriteAPIError(rec, &bedrock.APIError{Name: bedrock.ErrValidation, StatusCode: 400,
		Message: fmt.Sprintf("bedrocktest: malformed request: the path %q cannot be parsed", path)})
	rec.h.Set("X-Amzn-Requestid", newRequestID())
	body := rec.body.Bytes()
	if bs.head {
		body = nil
	}
	if n := int64(len(body)); n > h.streamWindow || n > h.granted-h.sent {
		return rst
	}
	h.sent += int64(len(body))
	h.owed += int64(len(body))

	block := []byte{hpackStatus400}
	for _, k := range slices.Sorted(maps.Keys(rec.h)) {
		for _, v := range rec.h[k] {
			block = hpackAppendLiteral(block, strings.ToLower(k), v)
		}
	}
	out := make([]byte, 0, 3*h2HeaderLen+len(block)+len(body)+4)
	if bs.head {
		out = appendFrameHeader(out, len(block), h2Headers, h2FlagEndHeaders|h2FlagEndStream, stream)
		out = append(out, block...)
	} else {
		out = appendFrameHeader(out, len(block), h2Headers, h2FlagEndHeaders, stream)
		out = append(out, block...)
		out = appendFrameHeader(out, len(body), h2Data, h2FlagEndStream, stream)
		out = append(out, body...)
	}
	if !bs.ended {
		// As net/http does after a whole response to a request whose body it will not
		// read (RFC 9113, section 8.1): the client may stop sending it.
		out = appendFrameHeader(out, 4, h2RSTStream, 0, stream)
		out = binary.BigEndian.AppendUint32(out, h2ErrNo)
	}
	return out
}

func appendFrameHeader(b []byte, length int, typ, flags byte, stream uint32) []byte {
	b = append(b, byte(length>>16), byte(length>>8), byte(length), typ, flags)
	return binary.BigEndian.AppendUint32(b, stream)
}
