package dump

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"

	"github.com/framewire/eventstream"
)

// parseLine reads the JSON form of one frame strictly. encoding/json alone would change some
// inputs silently instead of refusing them: invalid UTF-8 and unpaired UTF-16 surrogate
// escapes become U+FFFD, the last of two equal keys wins, keys match fields case-insensitively,
// null or a missing field leaves the zero value. Each of these is an error here.
func parseLine(line []byte) (*eventstream.Frame, error) {
	if err := checkText(line); err != nil {
		return nil, err
	}
	j, err := readFrame(line)
	if err != nil {
		return nil, err
	}
	return j.ToFrame()
}

// checkText refuses text that a JSON decoder would accept but change: bytes that are not
// UTF-8, and \u escapes of UTF-16 surrogates that do not form a pair. Column numbers are
// 1-based byte positions in the line.
func checkText(b []byte) error {
	if !utf8.Valid(b) {
		i := 0
		for i < len(b) {
			r, n := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && n == 1 {
				break
			}
			i += n
		}
		return &columnError{i + 1, fmt.Sprintf("invalid UTF-8 (byte 0x%02x): the line must be UTF-8; "+
			"give a string value's exact bytes in \"base64\"", b[i])}
	}
	// Backslashes occur only inside strings in valid JSON; anywhere else the JSON parser
	// refuses the line later, so the escapes can be scanned without tracking strings.
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' || i+1 >= len(b) {
			continue
		}
		if b[i+1] != 'u' {
			i++ // an escaped character: skip it, it may be a backslash
			continue
		}
		r, ok := hex4(b[i+2:])
		if !ok {
			continue // a malformed escape: a syntax error for the JSON parser
		}
		if r >= 0xD800 && r <= 0xDBFF && i+12 <= len(b) && b[i+6] == '\\' && b[i+7] == 'u' {
			if r2, ok := hex4(b[i+8:]); ok && r2 >= 0xDC00 && r2 <= 0xDFFF {
				i += 11
				continue
			}
		}
		if r >= 0xD800 && r <= 0xDFFF {
			return &columnError{i + 1, fmt.Sprintf("%s is half of a UTF-16 surrogate pair, without the other half", b[i:i+6])}
		}
		i += 5
	}
	return nil
}

// A columnError is a defect at a known place in the line: column is its 1-based byte position.
type columnError struct {
	column int
	msg    string
}

func (e *columnError) Error() string { return fmt.Sprintf("column %d: %s", e.column, e.msg) }

// hex4 reads four hexadecimal digits.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// A reader walks one line's JSON tokens along the form's schema.
type reader struct{ dec *json.Decoder }

// token returns the next token; a syntax error or the end of the line is an error.
func (r reader) token() (json.Token, error) {
	t, err := r.dec.Token()
	if err == io.EOF {
		return nil, errors.New("not a JSON frame: the line ends inside the object")
	}
	if err != nil {
		return nil, fmt.Errorf("not a JSON frame: %v", err)
	}
	return t, nil
}

// object reads an object whose members field reads, refusing a key given twice and requiring
// every key of required.
func (r reader) object(what string, field func(key string) error, required ...string) error {
	t, err := r.token()
	if err != nil {
		return err
	}
	if t != json.Delim('{') {
		return fmt.Errorf("%s is %s, not a JSON object", what, tokenKind(t))
	}
	seen := make(map[string]bool, 4)
	for r.dec.More() {
		t, err := r.token()
		if err != nil {
			return err
		}
		key := t.(string) // inside an object, the decoder returns only string keys
		if seen[key] {
			return fmt.Errorf("%s has the key %q twice", what, key)
		}
		seen[key] = true
		if err := field(key); err != nil {
			return err
		}
	}
	if _, err := r.token(); err != nil { // the closing brace
		return err
	}
	for _, k := range required {
		if !seen[k] {
			return fmt.Errorf("%s has no %q", what, k)
		}
	}
	return nil
}

// str reads a JSON string (not null).
func (r reader) str(what string) (string, error) {
	t, err := r.token()
	if err != nil {
		return "", err
	}
	s, ok := t.(string)
	if !ok {
		return "", fmt.Errorf("%s is %s, not a string", what, tokenKind(t))
	}
	return s, nil
}

// tokenKind names a token that is not what was expected.
func tokenKind(t json.Token) string {
	switch t := t.(type) {
	case nil:
		return "null"
	case json.Delim:
		if t == '[' {
			return "an array"
		}
		return "an object"
	case bool:
		return strconv.FormatBool(t)
	case json.Number:
		return "the number " + t.String()
	case string:
		return strconv.Quote(t)
	}
	return fmt.Sprint(t)
}

// readFrame reads the JSON form of a frame: an object with "headers" and "payload", and
// optionally "offset" and "text", nothing else, nothing after it.
func readFrame(line []byte) (*Frame, error) {
	r := reader{json.NewDecoder(bytes.NewReader(line))}
	r.dec.UseNumber()
	var j Frame
	err := r.object("the frame", func(key string) error {
		var err error
		switch key {
		case "offset":
			var t json.Token
			if t, err = r.token(); err != nil {
				return err
			}
			n, ok := t.(json.Number)
			if ok {
				j.Offset, err = strconv.ParseInt(n.String(), 10, 64)
			}
			if !ok || err != nil {
				return fmt.Errorf("offset is %s, not an integer", tokenKind(t))
			}
		case "headers":
			j.Headers, err = r.headers()
		case "payload":
			j.Payload, err = r.str("payload")
		case "text":
			var s string
			s, err = r.str("text")
			j.Text = &s
		default:
			err = fmt.Errorf("unknown field %q", key)
		}
		return err
	}, "headers", "payload")
	if err != nil {
		return nil, err
	}
	if _, err := r.dec.Token(); err != io.EOF {
		return nil, errors.New("text after the JSON object")
	}
	return &j, nil
}

// headers reads the array of headers.
func (r reader) headers() ([]Header, error) {
	t, err := r.token()
	if err != nil {
		return nil, err
	}
	if t != json.Delim('[') {
		return nil, fmt.Errorf("headers is %s, not an array", tokenKind(t))
	}
	hs := []Header{}
	for i := 0; r.dec.More(); i++ {
		var h Header
		what := fmt.Sprintf("header %d", i)
		err := r.object(what, func(key string) error {
			var err error
			switch key {
			case "name":
				h.Name, err = r.str(what + ": name")
			case "type":
				h.Type, err = r.str(what + ": type")
			case "value":
				// The value's syntax depends on the type, which may come later; it is
				// kept raw and read by Header.value.
				if err = r.dec.Decode(&h.Value); err != nil {
					err = fmt.Errorf("not a JSON frame: %v", err)
				}
			case "base64":
				h.Base64, err = r.str(what + ": base64")
				if err == nil && h.Base64 == "" {
					err = fmt.Errorf("%s: base64 is empty (it is only for string values that are not UTF-8)", what)
				}
			default:
				err = fmt.Errorf("%s: unknown field %q", what, key)
			}
			return err
		}, "name", "type", "value")
		if err != nil {
			return nil, err
		}
		hs = append(hs, h)
	}
	if _, err := r.token(); err != nil { // the closing bracket
		return nil, err
	}
	return hs, nil
}
