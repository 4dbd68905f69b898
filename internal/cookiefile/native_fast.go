package cookiefile

import (
	"bytes"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// The native file read in one pass, by hand, when it is as this package
// writes it: the same records encoding/json would decode, and the same
// checks the one-pass decode makes before it trusts encoding/json (known
// keys, each once and written plainly, UTF-8 text, no lone surrogate, no
// more records than the bytes allow), at a fraction of the cost. Anything
// else (a null, a key in another case, an escape in a key, a number that
// is not a plain integer, a surrogate escape) is left to decodeNative's
// other paths, which decide. FuzzNativeDecoder holds the two to the same
// records.

// decodeOurs decodes data as a native file of this package's writing. ok
// is false when it would not decide, never when encoding/json would
// decode the file differently.
func decodeOurs(data []byte) (f nativeFile, ok bool) {
	d := ourDecoder{data: data}
	var seen [3]bool
	ok = d.object(func(key []byte) bool {
		switch string(key) {
		case "version":
			if seen[0] {
				return false
			}
			seen[0] = true
			v, ok := d.uint(1 << 31)
			f.Version = int(v)
			return ok
		case "cookies":
			if seen[1] {
				return false
			}
			seen[1] = true
			// Sized for the records as this package writes them, one a
			// line, so that appending copies none of them again.
			f.Cookies = make([]fileRecord, 0, min(bytes.Count(data, []byte("\n  {")), len(data)/128))
			return d.array(func() bool {
				// No more records than the bytes allow (see below): a
				// file of "{}" stops here, before it costs a record each.
				if len(f.Cookies) >= len(data)/128 {
					return false
				}
				f.Cookies = append(f.Cookies, fileRecord{})
				return d.record(&f.Cookies[len(f.Cookies)-1])
			})
		case "deleted":
			if seen[2] {
				return false
			}
			seen[2] = true
			return d.array(func() bool {
				if len(f.Cookies)+len(f.Deleted) >= len(data)/128 {
					return false
				}
				f.Deleted = append(f.Deleted, tombRecord{})
				return d.tomb(&f.Deleted[len(f.Deleted)-1])
			})
		}
		return false
	})
	if !ok || !seen[0] || !seen[1] || d.space() != len(data) ||
		len(f.Cookies)+len(f.Deleted) > len(data)/128 {
		return nativeFile{}, false
	}
	return f, true
}

// ourDecoder walks a native file.
type ourDecoder struct {
	data []byte
	i    int
}

// space skips JSON white space and returns the offset of what follows.
func (d *ourDecoder) space() int {
	d.i = skipSpace(d.data, d.i)
	return d.i
}

// next skips white space and takes the byte c, if it comes next.
func (d *ourDecoder) next(c byte) bool {
	if d.space() < len(d.data) && d.data[d.i] == c {
		d.i++
		return true
	}
	return false
}

// object reads an object, calling member with each key (written plainly)
// with the decoder at its value.
func (d *ourDecoder) object(member func(key []byte) bool) bool {
	if !d.next('{') {
		return false
	}
	if d.next('}') {
		return true
	}
	for {
		key, ok := d.plainString()
		if !ok || !d.next(':') || !member(key) {
			return false
		}
		if d.next('}') {
			return true
		}
		if !d.next(',') {
			return false
		}
	}
}

// array reads an array, calling element with the decoder at each element.
func (d *ourDecoder) array(element func() bool) bool {
	if !d.next('[') {
		return false
	}
	if d.next(']') {
		return true
	}
	for {
		if !element() {
			return false
		}
		if d.next(']') {
			return true
		}
		if !d.next(',') {
			return false
		}
	}
}

// plainString reads a string without escapes (a key), as bytes of data.
func (d *ourDecoder) plainString() ([]byte, bool) {
	if !d.next('"') {
		return nil, false
	}
	start := d.i
	for ; d.i < len(d.data); d.i++ {
		switch c := d.data[d.i]; {
		case c == '"':
			d.i++
			return d.data[start : d.i-1], true
		case c == '\\' || c < 0x20:
			return nil, false
		}
	}
	return nil, false
}

// string reads a string value: UTF-8 text with JSON's escapes, but for
// those of surrogates.
func (d *ourDecoder) string() (string, bool) {
	if !d.next('"') {
		return "", false
	}
	start := d.i
	var buf []byte // only for a string with escapes
	for d.i < len(d.data) {
		c := d.data[d.i]
		switch {
		case c == '"':
			s := d.data[start:d.i]
			d.i++
			if buf != nil {
				return string(append(buf, s...)), true
			}
			return string(s), true
		case c < 0x20:
			return "", false
		case c == '\\':
			buf = append(buf, d.data[start:d.i]...)
			r, ok := d.escape()
			if !ok {
				return "", false
			}
			buf = utf8.AppendRune(buf, r)
			start = d.i
		case c < utf8.RuneSelf:
			d.i++
		default:
			r, size := utf8.DecodeRune(d.data[d.i:])
			if r == utf8.RuneError && size == 1 {
				return "", false // encoding/json would replace it
			}
			d.i += size
		}
	}
	return "", false
}

// escape reads one escape at d.data[d.i] ('\\').
func (d *ourDecoder) escape() (rune, bool) {
	if d.i+1 >= len(d.data) {
		return 0, false
	}
	c := d.data[d.i+1]
	d.i += 2
	switch c {
	case '"', '\\', '/':
		return rune(c), true
	case 'b':
		return '\b', true
	case 'f':
		return '\f', true
	case 'n':
		return '\n', true
	case 'r':
		return '\r', true
	case 't':
		return '\t', true
	case 'u':
		if d.i+4 > len(d.data) {
			return 0, false
		}
		r := rune(0)
		for _, h := range d.data[d.i : d.i+4] {
			switch {
			case h >= '0' && h <= '9':
				r = r<<4 | rune(h-'0')
			case h >= 'a' && h <= 'f':
				r = r<<4 | rune(h-'a'+10)
			case h >= 'A' && h <= 'F':
				r = r<<4 | rune(h-'A'+10)
			default:
				return 0, false
			}
		}
		d.i += 4
		if utf16.IsSurrogate(r) {
			return 0, false // pairs and lone ones: the other paths
		}
		return r, true
	}
	return 0, false
}

// bool reads true or false.
func (d *ourDecoder) bool() (bool, bool) {
	d.space()
	switch {
	case hasAt(d.data, d.i, "true"):
		d.i += 4
		return true, true
	case hasAt(d.data, d.i, "false"):
		d.i += 5
		return false, true
	}
	return false, false
}

func hasAt(b []byte, i int, s string) bool {
	return len(b)-i >= len(s) && string(b[i:i+len(s)]) == s
}

// uint reads a plain non-negative integer below limit, written as JSON
// writes it (no sign, fraction, exponent or leading zero).
func (d *ourDecoder) uint(limit uint64) (uint64, bool) {
	start := d.space()
	for d.i < len(d.data) && d.data[d.i] >= '0' && d.data[d.i] <= '9' {
		d.i++
	}
	digits := d.data[start:d.i]
	if len(digits) == 0 || len(digits) > 1 && digits[0] == '0' {
		return 0, false
	}
	if d.i < len(d.data) {
		if c := d.data[d.i]; c == '.' || c == 'e' || c == 'E' {
			return 0, false
		}
	}
	v, err := strconv.ParseUint(string(digits), 10, 64)
	return v, err == nil && v < limit
}

// time reads a time as time.Time's UnmarshalJSON does: itself.
func (d *ourDecoder) time() (time.Time, bool) {
	start := d.space()
	if _, ok := d.plainString(); !ok {
		return time.Time{}, false
	}
	var t time.Time
	return t, t.UnmarshalJSON(d.data[start:d.i]) == nil
}

// fields reads an object whose keys are among keys, each once, calling
// field with each key's index.
func (d *ourDecoder) fields(keys keySet, field func(k int) bool) bool {
	var seen uint32
	return d.object(func(key []byte) bool {
		bit, ok := keys.bit(key)
		if !ok || seen&bit != 0 {
			return false
		}
		seen |= bit
		k := 0
		for bit>>k != 1 {
			k++
		}
		return field(k)
	})
}

// record reads a cookie record.
func (d *ourDecoder) record(r *fileRecord) bool {
	return d.fields(recordKeys, func(k int) bool {
		var ok bool
		switch recordKeys[k] {
		case "name":
			r.Name, ok = d.string()
		case "value":
			r.Value, ok = d.string()
		case "domain":
			r.Domain, ok = d.string()
		case "path":
			r.Path, ok = d.string()
		case "hostOnly":
			r.HostOnly, ok = d.bool()
		case "secure":
			r.Secure, ok = d.bool()
		case "httpOnly":
			r.HttpOnly, ok = d.bool()
		case "sameSite":
			r.SameSite, ok = d.string()
		case "partitioned":
			r.Partitioned, ok = d.bool()
		case "quoted":
			r.Quoted, ok = d.bool()
		case "expires":
			var t time.Time
			if t, ok = d.time(); ok {
				r.Expires = &t
			}
		case "created":
			r.Created, ok = d.time()
		case "lastAccess":
			r.LastAccess, ok = d.time()
		case "nameBase64":
			r.NameBase64, ok = d.string()
		case "valueBase64":
			r.ValueBase64, ok = d.string()
		case "pathBase64":
			r.PathBase64, ok = d.string()
		case "updated":
			r.Updated, ok = d.time()
		case "seq":
			r.Seq, ok = d.uint(1<<64 - 1)
		case "partitionKey":
			r.Partition, ok = d.string()
		}
		return ok
	})
}

// tomb reads a tombstone record.
func (d *ourDecoder) tomb(t *tombRecord) bool {
	return d.fields(tombKeys, func(k int) bool {
		var ok bool
		switch tombKeys[k] {
		case "name":
			t.Name, ok = d.string()
		case "domain":
			t.Domain, ok = d.string()
		case "path":
			t.Path, ok = d.string()
		case "hostOnly":
			t.HostOnly, ok = d.bool()
		case "partitionKey":
			t.Partition, ok = d.string()
		case "deleted":
			t.Deleted, ok = d.time()
		case "nameBase64":
			t.NameBase64, ok = d.string()
		case "pathBase64":
			t.PathBase64, ok = d.string()
		case "expiredSet":
			t.ExpiredSet, ok = d.string()
		}
		return ok
	})
}
