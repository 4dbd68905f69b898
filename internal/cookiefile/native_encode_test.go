package cookiefile

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// encodingJSON returns v as EncodeNative's encoding/json path writes it.
func encodingJSON(t testing.TB, v any) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	require.NoError(t, enc.Encode(v))
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// checkNativeEncoder holds the hand-written encoder to encoding/json's bytes
// for a record and a tombstone built from the arguments.
func checkNativeEncoder(t testing.TB, name, value, path, extra string, flags uint8, sec, nsec int64, seq uint64) {
	t.Helper()
	at := time.Unix(sec%(1<<40), nsec%1e9).UTC()
	if flags&0x80 != 0 {
		at = at.In(time.FixedZone("x", int(sec%50000)))
	}
	r := fileRecord{
		cookieJSON: cookieJSON{
			Name: name, Value: value, Domain: extra, Path: path,
			HostOnly: flags&1 != 0, Secure: flags&2 != 0, HttpOnly: flags&4 != 0,
			Partitioned: flags&8 != 0, Quoted: flags&16 != 0,
			Created: at, LastAccess: at.Add(time.Duration(nsec)),
		},
		Updated: at.Add(time.Second), Seq: seq,
	}
	if flags&32 != 0 {
		r.SameSite, r.NameBase64, r.ValueBase64, r.PathBase64, r.Partition = extra, value, name, path, extra
	}
	if flags&64 != 0 {
		exp := at.Add(-time.Duration(sec))
		r.Expires = &exp
	}
	got, ok := appendRecord(nil, &r)
	if ok {
		assert.Equal(t, string(encodingJSON(t, &r)), string(got), "a cookie record")
	}
	tb := tombRecord{Name: name, Domain: extra, Path: path, HostOnly: flags&1 != 0, Deleted: at, Partition: value}
	if flags&32 != 0 {
		tb.NameBase64, tb.PathBase64, tb.ExpiredSet = value, name, extra
	}
	if got, ok := appendTomb(nil, &tb); ok {
		assert.Equal(t, string(encodingJSON(t, &tb)), string(got), "a tombstone")
	}
}

func TestNativeEncoderWritesWhatEncodingJSONWrites(t *testing.T) {
	for _, tt := range []struct {
		name, value, path, extra string
		flags                    uint8
	}{
		{"sid", "abc", "/", "example.com", 0},
		{"", "", "", "", 0xff},
		{"q\"uote", "back\\slash", "/a b", "<html>&amp;", 0x7f},
		{"ctl\x00\x01\x1f\x7f", "\b\f\n\r\t", "/é/日本", "\u2028\u2029", 0x21},
		{"bad\xff\xfeutf8", "\xc3", "/\xed\xa0\x80", "ok", 0x40},
	} {
		checkNativeEncoder(t, tt.name, tt.value, tt.path, tt.extra, tt.flags, 1764979200, 123456789, 42)
	}
	t.Run("a year JSON cannot write goes to encoding/json", func(t *testing.T) {
		r := fileRecord{Updated: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}
		_, ok := appendRecord(nil, &r)
		assert.False(t, ok)
		var b bytes.Buffer
		assert.Error(t, EncodeNative(&b, []Record{{Updated: r.Updated}}, nil, nil), "the save fails as before")
	})
}

func FuzzNativeEncoder(f *testing.F) {
	f.Add("sid", "abc", "/", "example.com", uint8(0), int64(1764979200), int64(5), uint64(1))
	f.Add("q\"\\", "\x00\u2028\xff", "/é", "<>&", uint8(0xff), int64(-62135596800), int64(999999999), uint64(0))
	f.Fuzz(func(t *testing.T, name, value, path, extra string, flags uint8, sec, nsec int64, seq uint64) {
		checkNativeEncoder(t, name, value, path, extra, flags, sec, nsec, seq)
	})
}
