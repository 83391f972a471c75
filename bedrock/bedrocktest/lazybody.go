package bedrocktest

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"
)

// A lazyBody is a JSON response body whose long strings (reply texts, prompts) are escaped
// only as the body is written, a piece at a time, so that answering a long reply holds no
// second copy of it. Build the document with str around each string that may be long, then
// marshal it with encoding/json into skeleton; the strings come back in their place,
// escaped as encoding/json escapes them.
type lazyBody struct {
	skeleton []byte
	texts    []string
}

// placeholder marks a long string in the skeleton: it is followed by the string's index
// and a NUL. encoding/json writes it as escapedPlaceholder.
const (
	placeholder        = "\x00bedrocktest-text:"
	escapedPlaceholder = `"\u0000bedrocktest-text:`
	escapedEnd         = `\u0000"`
	inlineMax          = 1 << 10  // strings up to this long go in the skeleton
	escapePiece        = 64 << 10 // bytes of a long string escaped at a time
)

// str returns s, or a placeholder for it when it is long or holds a NUL (which a
// placeholder could be mistaken for).
func (b *lazyBody) str(s string) string {
	if len(s) <= inlineMax && strings.IndexByte(s, 0) < 0 {
		return s
	}
	b.texts = append(b.texts, s)
	return placeholder + strconv.Itoa(len(b.texts)-1) + "\x00"
}

// walk passes the body to emit in order, one piece at a time.
func (b *lazyBody) walk(emit func([]byte) error) error {
	sk := b.skeleton
	for {
		i := bytes.Index(sk, []byte(escapedPlaceholder))
		if i < 0 {
			return emit(sk)
		}
		if err := emit(sk[:i+1]); err != nil { // up to the opening quote
			return err
		}
		rest := sk[i+len(escapedPlaceholder):]
		j := bytes.Index(rest, []byte(escapedEnd))
		n, _ := strconv.Atoi(string(rest[:j]))
		for s := b.texts[n]; s != ""; {
			cut := safeCut(s, escapePiece)
			q, _ := json.Marshal(s[:cut]) // a string always marshals
			if err := emit(q[1 : len(q)-1]); err != nil {
				return err
			}
			s = s[cut:]
		}
		sk = rest[j+len(escapedEnd)-1:] // from the closing quote
	}
}

// safeCut returns the largest position at most cut (or len(s)) where s can be split without
// changing how encoding/json escapes it: a boundary of s's decoding into runes and invalid
// bytes, so that no valid rune is cut in two. A rune-start byte always begins a boundary; in
// a run of continuation bytes, only the first three can belong to a valid rune.
func safeCut(s string, cut int) int {
	if cut >= len(s) {
		return len(s)
	}
	r := cut
	for r > 0 && cut-r < 2*utf8.UTFMax && !utf8.RuneStart(s[r]) {
		r--
	}
	if r > 0 && !utf8.RuneStart(s[r]) {
		return cut // deep in a run of continuation bytes, each of which is invalid alone
	}
	for r < cut {
		_, n := utf8.DecodeRuneInString(s[r:])
		if r+n > cut {
			break
		}
		r += n
	}
	return r
}

// len returns the length of the body.
func (b *lazyBody) len() int {
	n := 0
	b.walk(func(p []byte) error { n += len(p); return nil })
	return n
}

// bytes returns the whole body, for tests.
func (b *lazyBody) bytes() []byte {
	var out []byte
	b.walk(func(p []byte) error { out = append(out, p...); return nil })
	return out
}
