package cookiefile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// Reading JSON without decoding it: the other programs' formats and the
// native file are walked element by element, so that a file of millions of
// elements that are no cookie costs no more than its own bytes, and each
// record is checked as strictly as the native reader checks its own (UTF-8
// only, no key twice) before encoding/json, which would quietly change it,
// sees it.

// decodeRecord decodes a cookie object of the other programs' formats as
// strictly as the native file's records are read: a record holding a
// string that is not UTF-8 text (which encoding/json would turn into
// U+FFFD, and a save would write back changed) or a key given twice (of
// which encoding/json would keep the last) is refused.
func decodeRecord(raw []byte) (jsonRecord, error) {
	if !utf8.Valid(raw) || loneSurrogate(raw) {
		return nil, errNotUTF8
	}
	var r jsonRecord
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, err
	}
	n := 0
	for l := openList(raw); ; n++ {
		if _, _, ok := l.member(); !ok {
			break
		}
	}
	if n != len(r) {
		return nil, fmt.Errorf("the key %q is given twice", twiceGiven(raw))
	}
	return r, nil
}

// twiceGiven returns the first key of the JSON object raw given twice.
func twiceGiven(raw []byte) string {
	seen := make(map[string]bool)
	for l := openList(raw); ; {
		quoted, _, ok := l.member()
		if !ok {
			return ""
		}
		key := string(keyText(quoted))
		if seen[key] {
			return key
		}
		seen[key] = true
	}
}

// loneSurrogate reports whether the JSON text b holds a \u escape of half
// a UTF-16 surrogate pair without its other half, which encoding/json
// turns into U+FFFD.
func loneSurrogate(b []byte) bool {
	for i := 0; ; {
		j := bytes.IndexByte(b[i:], '\\')
		if j < 0 || i+j+1 >= len(b) {
			return false
		}
		i += j
		if b[i+1] != 'u' {
			i += 2 // an escape of one character: \\ among them
			continue
		}
		switch r := hex4(b, i+2); {
		case r >= 0xD800 && r < 0xDC00:
			if i+12 <= len(b) && b[i+6] == '\\' && b[i+7] == 'u' {
				if r2 := hex4(b, i+8); r2 >= 0xDC00 && r2 < 0xE000 {
					i += 12
					continue
				}
			}
			return true
		case r >= 0xDC00 && r < 0xE000:
			return true
		}
		i += 2
	}
}

// hex4 reads the four hexadecimal digits at b[i:], or returns -1.
func hex4(b []byte, i int) int {
	if i+4 > len(b) {
		return -1
	}
	r := 0
	for _, c := range b[i : i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return -1
		}
		r = r<<4 | int(c)
	}
	return r
}

// jsonList walks the elements of a JSON array, or the members of a JSON
// object, as they are written, without decoding them: one pass over the
// bytes, nothing allocated. The text must be valid JSON (json.Valid); on
// other text it stops early, never loops or panics.
type jsonList struct {
	b []byte
	i int // where the next element or member starts
}

// openList starts a walk of the array or object at the start of b, after
// white space.
func openList(b []byte) jsonList {
	i := skipSpace(b, 0)
	if i < len(b) && (b[i] == '[' || b[i] == '{') {
		return jsonList{b: b, i: skipSpace(b, i+1)}
	}
	return jsonList{b: b, i: len(b)}
}

// element returns the next element of an array and its offset in the text.
func (l *jsonList) element() (off int, raw []byte, ok bool) {
	if l.i >= len(l.b) || l.b[l.i] == ']' || l.b[l.i] == '}' {
		return 0, nil, false
	}
	off = l.i
	end := valueEnd(l.b, l.i)
	if end <= off {
		l.i = len(l.b)
		return 0, nil, false
	}
	l.i = skipSpace(l.b, end)
	if l.i < len(l.b) && l.b[l.i] == ',' {
		l.i = skipSpace(l.b, l.i+1)
	}
	return off, l.b[off:end], true
}

// member returns the next member of an object: its key as written, quotes
// and escapes included (see keyText), and its value.
func (l *jsonList) member() (key, value []byte, ok bool) {
	if l.i >= len(l.b) || l.b[l.i] != '"' {
		return nil, nil, false
	}
	end := stringEnd(l.b, l.i)
	key = l.b[l.i:end]
	i := skipSpace(l.b, end)
	if i >= len(l.b) || l.b[i] != ':' {
		l.i = len(l.b)
		return nil, nil, false
	}
	l.i = skipSpace(l.b, i+1)
	_, value, ok = l.element()
	return key, value, ok
}

// keyText returns the text of a key written with its quotes.
func keyText(quoted []byte) []byte {
	inner := quoted[1 : len(quoted)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return inner
	}
	var s string
	if json.Unmarshal(quoted, &s) != nil {
		return inner
	}
	return []byte(s)
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the offset just past the JSON string that starts at
// b[i].
func stringEnd(b []byte, i int) int {
	start := i
	for i++; ; i++ {
		j := bytes.IndexByte(b[i:], '"')
		if j < 0 {
			return len(b)
		}
		i += j
		// The quote ends the string unless an odd number of backslashes
		// escapes it.
		k := i
		for k-1 > start && b[k-1] == '\\' {
			k--
		}
		if (i-k)%2 == 0 {
			return i + 1
		}
	}
}

// valueEnd returns the offset just past the JSON value that starts at
// b[i].
func valueEnd(b []byte, i int) int {
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				i = stringEnd(b, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
		return len(b)
	}
	for ; i < len(b); i++ {
		switch b[i] {
		case ',', ']', '}', ':', ' ', '\t', '\r', '\n':
			return i
		}
	}
	return i
}
