package cookiefile

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// The records of the native file, written by hand: the same bytes
// encoding/json writes for fileRecord and tombRecord (without HTML
// escaping), at a fraction of the cost, since a save writes every record
// of the file. TestNativeEncoderWritesWhatEncodingJSONWrites and its fuzz
// target hold the two to the same output.

// appendRecord appends r as encoding/json encodes it. ok is false if r
// holds a time JSON cannot write (a year outside 0 to 9999): the caller
// lets encoding/json report it.
func appendRecord(b []byte, r *fileRecord) (_ []byte, ok bool) {
	for _, t := range []time.Time{r.Created, r.LastAccess, r.Updated} {
		if !jsonTime(t) {
			return b, false
		}
	}
	if r.Expires != nil && !jsonTime(*r.Expires) {
		return b, false
	}
	b = appendKey(b, '{', "name")
	b = appendString(b, r.Name)
	b = appendKey(b, ',', "value")
	b = appendString(b, r.Value)
	b = appendKey(b, ',', "domain")
	b = appendString(b, r.Domain)
	b = appendKey(b, ',', "path")
	b = appendString(b, r.Path)
	b = appendKey(b, ',', "hostOnly")
	b = strconv.AppendBool(b, r.HostOnly)
	b = appendKey(b, ',', "secure")
	b = strconv.AppendBool(b, r.Secure)
	b = appendKey(b, ',', "httpOnly")
	b = strconv.AppendBool(b, r.HttpOnly)
	b = appendOptional(b, "sameSite", r.SameSite)
	if r.Partitioned {
		b = append(b, `,"partitioned":true`...)
	}
	if r.Quoted {
		b = append(b, `,"quoted":true`...)
	}
	if r.Expires != nil {
		b = appendKey(b, ',', "expires")
		b = appendTime(b, *r.Expires)
	}
	b = appendKey(b, ',', "created")
	b = appendTime(b, r.Created)
	b = appendKey(b, ',', "lastAccess")
	b = appendTime(b, r.LastAccess)
	b = appendOptional(b, "nameBase64", r.NameBase64)
	b = appendOptional(b, "valueBase64", r.ValueBase64)
	b = appendOptional(b, "pathBase64", r.PathBase64)
	b = appendKey(b, ',', "updated")
	b = appendTime(b, r.Updated)
	if r.Seq != 0 {
		b = appendKey(b, ',', "seq")
		b = strconv.AppendUint(b, r.Seq, 10)
	}
	b = appendOptional(b, "partitionKey", r.Partition)
	return append(b, '}'), true
}

// appendTomb appends t as encoding/json encodes it; ok as for appendRecord.
func appendTomb(b []byte, t *tombRecord) (_ []byte, ok bool) {
	if !jsonTime(t.Deleted) {
		return b, false
	}
	b = appendKey(b, '{', "name")
	b = appendString(b, t.Name)
	b = appendKey(b, ',', "domain")
	b = appendString(b, t.Domain)
	b = appendKey(b, ',', "path")
	b = appendString(b, t.Path)
	b = appendKey(b, ',', "hostOnly")
	b = strconv.AppendBool(b, t.HostOnly)
	b = appendOptional(b, "partitionKey", t.Partition)
	b = appendKey(b, ',', "deleted")
	b = appendTime(b, t.Deleted)
	b = appendOptional(b, "nameBase64", t.NameBase64)
	b = appendOptional(b, "pathBase64", t.PathBase64)
	b = appendOptional(b, "expiredSet", t.ExpiredSet)
	return append(b, '}'), true
}

func appendKey(b []byte, sep byte, key string) []byte {
	b = append(b, sep, '"')
	b = append(b, key...)
	return append(b, '"', ':')
}

// appendOptional appends a string field that encoding/json omits when empty.
func appendOptional(b []byte, key, value string) []byte {
	if value == "" {
		return b
	}
	return appendString(appendKey(b, ',', key), value)
}

// jsonTime reports whether time.Time.MarshalJSON can write t.
func jsonTime(t time.Time) bool {
	y := t.Year()
	return y >= 0 && y <= 9999
}

func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

// appendString appends s quoted as encoding/json quotes it without HTML
// escaping: '"', '\\' and control characters escaped, invalid UTF-8 as
// U+FFFD, and U+2028 and U+2029 escaped.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
