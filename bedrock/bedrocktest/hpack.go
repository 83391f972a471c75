package bedrocktest

import "errors"

// This file holds the little of HPACK (RFC 7541) that h2conn.go needs: a decoder that
// follows a client's header blocks, dynamic table included, only to read the request's
// pseudo-header fields, and the literal encodings of the one response it writes.

var errHPACK = errors.New("bedrocktest: malformed HPACK header block")

// hpackField is one header field.
type hpackField struct{ name, value string }

// hpackStatic is the static table of RFC 7541, Appendix A; index i+1 is hpackStatic[i].
var hpackStatic = [61]hpackField{
	{":authority", ""}, {":method", "GET"}, {":method", "POST"}, {":path", "/"},
	{":path", "/index.html"}, {":scheme", "http"}, {":scheme", "https"}, {":status", "200"},
	{":status", "204"}, {":status", "206"}, {":status", "304"}, {":status", "400"},
	{":status", "404"}, {":status", "500"}, {"accept-charset", ""}, {"accept-encoding", "gzip, deflate"},
	{"accept-language", ""}, {"accept-ranges", ""}, {"accept", ""}, {"access-control-allow-origin", ""},
	{"age", ""}, {"allow", ""}, {"authorization", ""}, {"cache-control", ""},
	{"content-disposition", ""}, {"content-encoding", ""}, {"content-language", ""}, {"content-length", ""},
	{"content-location", ""}, {"content-range", ""}, {"content-type", ""}, {"cookie", ""},
	{"date", ""}, {"etag", ""}, {"expect", ""}, {"expires", ""},
	{"from", ""}, {"host", ""}, {"if-match", ""}, {"if-modified-since", ""},
	{"if-none-match", ""}, {"if-range", ""}, {"if-unmodified-since", ""}, {"last-modified", ""},
	{"link", ""}, {"location", ""}, {"max-forwards", ""}, {"proxy-authenticate", ""},
	{"proxy-authorization", ""}, {"range", ""}, {"referer", ""}, {"refresh", ""},
	{"retry-after", ""}, {"server", ""}, {"set-cookie", ""}, {"strict-transport-security", ""},
	{"transfer-encoding", ""}, {"user-agent", ""}, {"vary", ""}, {"via", ""},
	{"www-authenticate", ""},
}

// hpackEntryOverhead is what RFC 7541 section 4.1 adds to an entry's name and value lengths.
const hpackEntryOverhead = 32

// hpackDecoder mirrors the decoding context of one direction of a connection. It is not
// safe for concurrent use.
type hpackDecoder struct {
	dyn     []hpackField // the dynamic table, oldest first
	size    int          // of the entries in dyn, overheads included
	maxSize int          // as last set by the encoder
	limit   int          // the largest maxSize the decoder allows (SETTINGS_HEADER_TABLE_SIZE)
}

func newHPACKDecoder(limit int) *hpackDecoder {
	return &hpackDecoder{maxSize: limit, limit: limit}
}

// decode reads one whole header block, updating the dynamic table, and calls emit for
// each field whose name wants reports true (the value of any other field is skipped, not
// decoded, unless it enters the dynamic table). Any malformation is errHPACK; the decoder
// must then not be used again.
func (d *hpackDecoder) decode(block []byte, wants func(name string) bool, emit func(name, value string)) error {
	fieldSeen := false
	for len(block) > 0 {
		b := block[0]
		switch {
		case b&0x80 != 0: // indexed field
			i, rest, err := hpackInt(block, 7)
			if err != nil {
				return err
			}
			block = rest
			f, ok := d.at(i)
			if !ok {
				return errHPACK
			}
			if wants(f.name) {
				emit(f.name, f.value)
			}
			fieldSeen = true
		case b&0xe0 == 0x20: // dynamic table size update
			if fieldSeen {
				return errHPACK
			}
			n, rest, err := hpackInt(block, 5)
			if err != nil {
				return err
			}
			block = rest
			if n > uint64(d.limit) {
				return errHPACK
			}
			d.maxSize = int(n)
			d.evict(0)
		default: // literal: with incremental indexing (01), without (0000) or never indexed (0001)
			prefix, index := uint8(4), false
			if b&0xc0 == 0x40 {
				prefix, index = 6, true
			}
			i, rest, err := hpackInt(block, prefix)
			if err != nil {
				return err
			}
			block = rest
			var name string
			if i == 0 {
				if name, block, err = hpackString(block, true); err != nil {
					return err
				}
			} else {
				f, ok := d.at(i)
				if !ok {
					return errHPACK
				}
				name = f.name
			}
			want := wants(name)
			var value string
			if value, block, err = hpackString(block, want || index); err != nil {
				return err
			}
			if want {
				emit(name, value)
			}
			if index {
				d.add(hpackField{name, value})
			}
			fieldSeen = true
		}
	}
	return nil
}

// at returns the field at index i of the static and dynamic tables.
func (d *hpackDecoder) at(i uint64) (hpackField, bool) {
	switch {
	case i == 0:
		return hpackField{}, false
	case i <= uint64(len(hpackStatic)):
		return hpackStatic[i-1], true
	case i-uint64(len(hpackStatic)) <= uint64(len(d.dyn)):
		return d.dyn[len(d.dyn)-int(i-uint64(len(hpackStatic)))], true
	}
	return hpackField{}, false
}

// add inserts f as the newest entry, evicting the oldest as needed (section 4.4).
func (d *hpackDecoder) add(f hpackField) {
	n := len(f.name) + len(f.value) + hpackEntryOverhead
	if n > d.maxSize {
		d.dyn, d.size = d.dyn[:0], 0
		return
	}
	d.evict(n)
	d.dyn = append(d.dyn, f)
	d.size += n
}

// evict drops the oldest entries until room more bytes fit in maxSize.
func (d *hpackDecoder) evict(room int) {
	k := 0
	for d.size+room > d.maxSize && k < len(d.dyn) {
		d.size -= len(d.dyn[k].name) + len(d.dyn[k].value) + hpackEntryOverhead
		k++
	}
	if k > 0 {
		n := copy(d.dyn, d.dyn[k:])
		clear(d.dyn[n:])
		d.dyn = d.dyn[:n]
	}
}

// hpackMaxInt bounds the integers a block may hold: no length or index of a block this
// server would accept comes near it.
const hpackMaxInt = 1 << 24

// hpackInt reads an integer with an n-bit prefix (section 5.1) from the start of b.
func hpackInt(b []byte, n uint8) (uint64, []byte, error) {
	if len(b) == 0 {
		return 0, nil, errHPACK
	}
	mask := uint64(1)<<n - 1
	v := uint64(b[0]) & mask
	b = b[1:]
	if v < mask {
		return v, b, nil
	}
	for shift := uint(0); ; shift += 7 {
		if len(b) == 0 {
			return 0, nil, errHPACK
		}
		c := b[0]
		b = b[1:]
		v += uint64(c&0x7f) << shift
		if v > hpackMaxInt {
			return 0, nil, errHPACK
		}
		if c&0x80 == 0 {
			return v, b, nil
		}
	}
}

// hpackString reads a string literal (section 5.2) from the start of b; when decode is
// false it only skips it and returns "".
func hpackString(b []byte, decode bool) (string, []byte, error) {
	if len(b) == 0 {
		return "", nil, errHPACK
	}
	huff := b[0]&0x80 != 0
	n, rest, err := hpackInt(b, 7)
	if err != nil {
		return "", nil, err
	}
	if uint64(len(rest)) < n {
		return "", nil, errHPACK
	}
	raw, rest := rest[:n], rest[n:]
	if !decode {
		return "", rest, nil
	}
	if !huff {
		return string(raw), rest, nil
	}
	s, err := huffmanDecode(raw)
	return s, rest, err
}

// huffmanTree is the decoding tree of huffmanCode: node 0 is the root; child[b] of a node
// is another node's index, or ^symbol for a leaf.
var huffmanTree = buildHuffmanTree()

type huffmanNode struct{ child [2]int16 }

func buildHuffmanTree() []huffmanNode {
	tree := make([]huffmanNode, 1, 2*len(huffmanCode))
	for sym, c := range huffmanCode {
		node := 0
		for i := int(c.bits) - 1; i >= 0; i-- {
			bit := c.code >> uint(i) & 1
			if i == 0 {
				tree[node].child[bit] = ^int16(sym)
				break
			}
			next := tree[node].child[bit]
			if next == 0 {
				tree = append(tree, huffmanNode{})
				next = int16(len(tree) - 1)
				tree[node].child[bit] = next
			}
			node = int(next)
		}
	}
	return tree
}

// huffmanDecode decodes a Huffman-coded string (section 5.2): the padding must be the
// most significant bits of EOS (all ones) and shorter than 8 bits, and EOS itself must not
// appear.
func huffmanDecode(b []byte) (string, error) {
	out := make([]byte, 0, len(b)*8/5)
	node, depth, ones := 0, 0, true
	for _, c := range b {
		for i := 7; i >= 0; i-- {
			bit := c >> uint(i) & 1
			next := huffmanTree[node].child[bit]
			depth++
			ones = ones && bit == 1
			if next < 0 {
				sym := int(^next)
				if sym == 256 {
					return "", errHPACK
				}
				out = append(out, byte(sym))
				node, depth, ones = 0, 0, true
				continue
			}
			if next == 0 {
				return "", errHPACK
			}
			node = int(next)
		}
	}
	if depth > 7 || !ones {
		return "", errHPACK
	}
	return string(out), nil
}

// hpackAppendInt appends v with an n-bit prefix whose other bits are first's.
func hpackAppendInt(dst []byte, first byte, n uint8, v uint64) []byte {
	mask := uint64(1)<<n - 1
	if v < mask {
		return append(dst, first|byte(v))
	}
	dst = append(dst, first|byte(mask))
	for v -= mask; v >= 0x80; v >>= 7 {
		dst = append(dst, byte(v)|0x80)
	}
	return append(dst, byte(v))
}

// hpackAppendLiteral appends name: value as a literal field without indexing and with a
// literal name, neither Huffman-coded: it leaves the peer's dynamic table as it is.
func hpackAppendLiteral(dst []byte, name, value string) []byte {
	dst = append(dst, 0)
	dst = hpackAppendInt(dst, 0, 7, uint64(len(name)))
	dst = append(dst, name...)
	dst = hpackAppendInt(dst, 0, 7, uint64(len(value)))
	return append(dst, value...)
}

// hpackStatus400 is ":status: 400" as an indexed field (static index 12).
const hpackStatus400 = 0x80 | 12

// huffmanCode is the Huffman code of RFC 7541, Appendix B: for each symbol (the 256
// octets, then EOS at 256), its code, right-aligned, and its length in bits.
var huffmanCode = [257]struct {
	code uint32
	bits uint8
}{
	{0x1ff8, 13}, {0x7fffd8, 23}, {0xfffffe2, 28}, {0xfffffe3, 28}, // 0
	{0xfffffe4, 28}, {0xfffffe5, 28}, {0xfffffe6, 28}, {0xfffffe7, 28}, // 4
	{0xfffffe8, 28}, {0xffffea, 24}, {0x3ffffffc, 30}, {0xfffffe9, 28}, // 8
	{0xfffffea, 28}, {0x3ffffffd, 30}, {0xfffffeb, 28}, {0xfffffec, 28}, // 12
	{0xfffffed, 28}, {0xfffffee, 28}, {0xfffffef, 28}, {0xffffff0, 28}, // 16
	{0xffffff1, 28}, {0xffffff2, 28}, {0x3ffffffe, 30}, {0xffffff3, 28}, // 20
	{0xffffff4, 28}, {0xffffff5, 28}, {0xffffff6, 28}, {0xffffff7, 28}, // 24
	{0xffffff8, 28}, {0xffffff9, 28}, {0xffffffa, 28}, {0xffffffb, 28}, // 28
	{0x14, 6}, {0x3f8, 10}, {0x3f9, 10}, {0xffa, 12}, // 32
	{0x1ff9, 13}, {0x15, 6}, {0xf8, 8}, {0x7fa, 11}, // 36
	{0x3fa, 10}, {0x3fb, 10}, {0xf9, 8}, {0x7fb, 11}, // 40
	{0xfa, 8}, {0x16, 6}, {0x17, 6}, {0x18, 6}, // 44
	{0x0, 5}, {0x1, 5}, {0x2, 5}, {0x19, 6}, // 48
	{0x1a, 6}, {0x1b, 6}, {0x1c, 6}, {0x1d, 6}, // 52
	{0x1e, 6}, {0x1f, 6}, {0x5c, 7}, {0xfb, 8}, // 56
	{0x7ffc, 15}, {0x20, 6}, {0xffb, 12}, {0x3fc, 10}, // 60
	{0x1ffa, 13}, {0x21, 6}, {0x5d, 7}, {0x5e, 7}, // 64
	{0x5f, 7}, {0x60, 7}, {0x61, 7}, {0x62, 7}, // 68
	{0x63, 7}, {0x64, 7}, {0x65, 7}, {0x66, 7}, // 72
	{0x67, 7}, {0x68, 7}, {0x69, 7}, {0x6a, 7}, // 76
	{0x6b, 7}, {0x6c, 7}, {0x6d, 7}, {0x6e, 7}, // 80
	{0x6f, 7}, {0x70, 7}, {0x71, 7}, {0x72, 7}, // 84
	{0xfc, 8}, {0x73, 7}, {0xfd, 8}, {0x1ffb, 13}, // 88
	{0x7fff0, 19}, {0x1ffc, 13}, {0x3ffc, 14}, {0x22, 6}, // 92
	{0x7ffd, 15}, {0x3, 5}, {0x23, 6}, {0x4, 5}, // 96
	{0x24, 6}, {0x5, 5}, {0x25, 6}, {0x26, 6}, // 100
	{0x27, 6}, {0x6, 5}, {0x74, 7}, {0x75, 7}, // 104
	{0x28, 6}, {0x29, 6}, {0x2a, 6}, {0x7, 5}, // 108
	{0x2b, 6}, {0x76, 7}, {0x2c, 6}, {0x8, 5}, // 112
	{0x9, 5}, {0x2d, 6}, {0x77, 7}, {0x78, 7}, // 116
	{0x79, 7}, {0x7a, 7}, {0x7b, 7}, {0x7ffe, 15}, // 120
	{0x7fc, 11}, {0x3ffd, 14}, {0x1ffd, 13}, {0xffffffc, 28}, // 124
	{0xfffe6, 20}, {0x3fffd2, 22}, {0xfffe7, 20}, {0xfffe8, 20}, // 128
	{0x3fffd3, 22}, {0x3fffd4, 22}, {0x3fffd5, 22}, {0x7fffd9, 23}, // 132
	{0x3fffd6, 22}, {0x7fffda, 23}, {0x7fffdb, 23}, {0x7fffdc, 23}, // 136
	{0x7fffdd, 23}, {0x7fffde, 23}, {0xffffeb, 24}, {0x7fffdf, 23}, // 140
	{0xffffec, 24}, {0xffffed, 24}, {0x3fffd7, 22}, {0x7fffe0, 23}, // 144
	{0xffffee, 24}, {0x7fffe1, 23}, {0x7fffe2, 23}, {0x7fffe3, 23}, // 148
	{0x7fffe4, 23}, {0x1fffdc, 21}, {0x3fffd8, 22}, {0x7fffe5, 23}, // 152
	{0x3fffd9, 22}, {0x7fffe6, 23}, {0x7fffe7, 23}, {0xffffef, 24}, // 156
	{0x3fffda, 22}, {0x1fffdd, 21}, {0xfffe9, 20}, {0x3fffdb, 22}, // 160
	{0x3fffdc, 22}, {0x7fffe8, 23}, {0x7fffe9, 23}, {0x1fffde, 21}, // 164
	{0x7fffea, 23}, {0x3fffdd, 22}, {0x3fffde, 22}, {0xfffff0, 24}, // 168
	{0x1fffdf, 21}, {0x3fffdf, 22}, {0x7fffeb, 23}, {0x7fffec, 23}, // 172
	{0x1fffe0, 21}, {0x1fffe1, 21}, {0x3fffe0, 22}, {0x1fffe2, 21}, // 176
	{0x7fffed, 23}, {0x3fffe1, 22}, {0x7fffee, 23}, {0x7fffef, 23}, // 180
	{0xfffea, 20}, {0x3fffe2, 22}, {0x3fffe3, 22}, {0x3fffe4, 22}, // 184
	{0x7ffff0, 23}, {0x3fffe5, 22}, {0x3fffe6, 22}, {0x7ffff1, 23}, // 188
	{0x3ffffe0, 26}, {0x3ffffe1, 26}, {0xfffeb, 20}, {0x7fff1, 19}, // 192
	{0x3fffe7, 22}, {0x7ffff2, 23}, {0x3fffe8, 22}, {0x1ffffec, 25}, // 196
	{0x3ffffe2, 26}, {0x3ffffe3, 26}, {0x3ffffe4, 26}, {0x7ffffde, 27}, // 200
	{0x7ffffdf, 27}, {0x3ffffe5, 26}, {0xfffff1, 24}, {0x1ffffed, 25}, // 204
	{0x7fff2, 19}, {0x1fffe3, 21}, {0x3ffffe6, 26}, {0x7ffffe0, 27}, // 208
	{0x7ffffe1, 27}, {0x3ffffe7, 26}, {0x7ffffe2, 27}, {0xfffff2, 24}, // 212
	{0x1fffe4, 21}, {0x1fffe5, 21}, {0x3ffffe8, 26}, {0x3ffffe9, 26}, // 216
	{0xffffffd, 28}, {0x7ffffe3, 27}, {0x7ffffe4, 27}, {0x7ffffe5, 27}, // 220
	{0xfffec, 20}, {0xfffff3, 24}, {0xfffed, 20}, {0x1fffe6, 21}, // 224
	{0x3fffe9, 22}, {0x1fffe7, 21}, {0x1fffe8, 21}, {0x7ffff3, 23}, // 228
	{0x3fffea, 22}, {0x3fffeb, 22}, {0x1ffffee, 25}, {0x1ffffef, 25}, // 232
	{0xfffff4, 24}, {0xfffff5, 24}, {0x3ffffea, 26}, {0x7ffff4, 23}, // 236
	{0x3ffffeb, 26}, {0x7ffffe6, 27}, {0x3ffffec, 26}, {0x3ffffed, 26}, // 240
	{0x7ffffe7, 27}, {0x7ffffe8, 27}, {0x7ffffe9, 27}, {0x7ffffea, 27}, // 244
	{0x7ffffeb, 27}, {0xffffffe, 28}, {0x7ffffec, 27}, {0x7ffffed, 27}, // 248
	{0x7ffffee, 27}, {0x7ffffef, 27}, {0x7fffff0, 27}, {0x3ffffee, 26}, // 252
	{0x3fffffff, 30}, // 256
}
