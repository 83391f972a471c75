package bedrock

import "encoding/json"

// A tiny scanner over JSON text that encoding/json has already accepted (json.Valid), used on
// the hot path to find a member of an object without allocating. On text that is not valid
// JSON it returns garbage but never reads out of bounds.

// members iterates over the members of a JSON object.
type members struct {
	data []byte
	i    int
}

// objectMembers returns an iterator over data's members, or false if data is not an object.
func objectMembers(data []byte) (members, bool) {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return members{}, false
	}
	return members{data: data, i: i + 1}, true
}

// next returns the next member's raw key (between the quotes, escapes untouched) and raw
// value, and false after the last member.
func (m *members) next() (key, val []byte, ok bool) {
	d := m.data
	i := skipSpace(d, m.i)
	if i < len(d) && d[i] == ',' {
		i = skipSpace(d, i+1)
	}
	if i >= len(d) || d[i] != '"' {
		m.i = len(d)
		return nil, nil, false
	}
	kend := stringEnd(d, i)
	if kend-1 < i+1 {
		m.i = len(d)
		return nil, nil, false
	}
	key = d[i+1 : kend-1]
	i = skipSpace(d, kend)
	if i < len(d) && d[i] == ':' {
		i++
	}
	i = skipSpace(d, i)
	vend := valueEnd(d, i)
	m.i = vend
	return key, d[i:vend], true
}

// elements iterates over the elements of a JSON array.
type elements struct {
	data []byte
	i    int
}

// arrayElements returns an iterator over data's elements, or false if data is not an array.
func arrayElements(data []byte) (elements, bool) {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '[' {
		return elements{}, false
	}
	return elements{data: data, i: i + 1}, true
}

// next returns the next element's raw value, and false after the last one.
func (e *elements) next() ([]byte, bool) {
	d := e.data
	i := skipSpace(d, e.i)
	if i < len(d) && d[i] == ',' {
		i = skipSpace(d, i+1)
	}
	if i >= len(d) || d[i] == ']' {
		e.i = len(d)
		return nil, false
	}
	end := valueEnd(d, i)
	e.i = end
	return d[i:end], true
}

func skipSpace(d []byte, i int) int {
	for i < len(d) && (d[i] == ' ' || d[i] == '\t' || d[i] == '\n' || d[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index just after the string that opens at d[i].
func stringEnd(d []byte, i int) int {
	for i++; i < len(d); i++ {
		switch d[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(d)
}

// valueEnd returns the index just after the value that starts at d[i].
func valueEnd(d []byte, i int) int {
	if i >= len(d) {
		return len(d)
	}
	switch d[i] {
	case '"':
		return stringEnd(d, i)
	case '{', '[':
		depth := 0
		for ; i < len(d); i++ {
			switch d[i] {
			case '"':
				i = stringEnd(d, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
		return len(d)
	}
	for ; i < len(d); i++ {
		switch d[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i
		}
	}
	return len(d)
}

// keyIs reports whether the raw key k (as next returns it) names name, escapes resolved.
func keyIs(k []byte, name string) bool {
	if !hasByte(k, '\\') {
		return string(k) == name
	}
	var s string
	q := make([]byte, 0, len(k)+2)
	q = append(append(append(q, '"'), k...), '"')
	return json.Unmarshal(q, &s) == nil && s == name
}

// hasByte reports whether b holds c.
func hasByte(b []byte, c byte) bool {
	for _, x := range b {
		if x == c {
			return true
		}
	}
	return false
}

// parseUint parses a JSON number made of digits only; ok is false for anything else.
func parseUint(b []byte) (n int64, ok bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}
