package cookiefile

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// checkNativeDecoder holds decodeOurs to what the one-pass decode it stands
// in for would do with data: decide nothing, or decode the same records
// from a file that decode would have trusted.
func checkNativeDecoder(t testing.TB, data []byte) {
	t.Helper()
	got, ok := decodeOurs(data)
	if !ok {
		return
	}
	require.True(t, checkKeys(data, nil), "only the keys of a native file")
	require.True(t, utf8.Valid(data) && !loneSurrogate(data), "only UTF-8 text")
	require.True(t, fewRecords(data), "no more records than the bytes allow")
	var want nativeFile
	require.NoError(t, json.Unmarshal(data, &want), "a file encoding/json reads")
	assert.Equal(t, want.Version, got.Version)
	assert.Equal(t, len(want.Cookies), len(got.Cookies))
	for i := range min(len(want.Cookies), len(got.Cookies)) {
		assert.Equal(t, want.Cookies[i], got.Cookies[i], "record %d", i)
	}
	assert.Equal(t, len(want.Deleted), len(got.Deleted))
	for i := range min(len(want.Deleted), len(got.Deleted)) {
		assert.Equal(t, want.Deleted[i], got.Deleted[i], "tombstone %d", i)
	}
}

func TestNativeDecoderReadsWhatEncodingJSONReads(t *testing.T) {
	// What a jar saves: a cookie with an expiry and SameSite, a quoted
	// one, one whose value is not UTF-8, one with a line separator, and a
	// deletion.
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	c := Cookie{Domain: "example.com", Path: "/", HostOnly: true, Created: at, LastAccess: at}
	records := []Record{
		{Cookie: c, Updated: at, Seq: 1},
		{Cookie: c, Updated: at, Seq: 2},
		{Cookie: c, Updated: at, Seq: 3},
		{Cookie: c, Updated: at, Seq: 4},
	}
	records[0].Name, records[0].Value, records[0].Expires, records[0].SameSite = "a", "1", at.Add(time.Minute), http.SameSiteLaxMode
	records[1].Name, records[1].Value, records[1].Quoted, records[1].Secure, records[1].HttpOnly = "q", "x y", true, true, true
	records[2].Name, records[2].Value = "bin", "\xff\xfe"
	records[3].Name, records[3].Value = "uni", "日本\u2028"
	tombs := []Tomb{{Name: "gone", Domain: "example.com", Path: "/", Deleted: at.Add(time.Second)}}
	var b bytes.Buffer
	require.NoError(t, EncodeNative(&b, records, tombs, nil))
	data := b.Bytes()
	_, ok := decodeOurs(data)
	require.True(t, ok, "a file this package wrote takes the fast path")
	checkNativeDecoder(t, data)

	for _, doc := range []string{
		`{"version": 2, "cookies": []}`,
		`{"cookies": [], "version": 1, "deleted": []}`,
		`{"version": 2, "cookies": [{"name":"a\u00e9\n\"","value":"\/x","domain":"d","path":"/","hostOnly":true,"secure":false,"httpOnly":false,"created":"2026-01-01T00:00:00Z","lastAccess":"2026-01-01T00:00:00+02:00","updated":"2026-01-01T00:00:00.5Z","seq":7}]}`,
		`{"version": 2, "cookies": null}`,
		`{"version": 2, "cookies": [], "cookies": []}`,
		`{"version": 2.0, "cookies": []}`,
		`{"version": 2, "Cookies": []}`,
		`{"version": 2, "cookies": [{"name":"\ud800"}]}`,
		`{"version": 2, "cookies": [{"na\u006de":"x"}]}`,
		`{"version": 2, "cookies": [{"seq":01}]}`,
		`{"version": 2, "cookies": [{"expires":"2026-13-01T00:00:00Z"}]}`,
		`{"version": 2, "cookies": []} x`,
		"\xef\xbb\xbf" + `{"version": 2, "cookies": []}`,
	} {
		checkNativeDecoder(t, []byte(doc))
	}
}

func FuzzNativeDecoder(f *testing.F) {
	f.Add([]byte(`{"version": 2, "cookies": [{"name":"a","value":"1","domain":"d","path":"/","hostOnly":true,"secure":false,"httpOnly":false,"created":"2026-01-01T00:00:00Z","lastAccess":"2026-01-01T00:00:00Z","updated":"2026-01-01T00:00:00Z"}], "deleted": [{"name":"x","domain":"d","path":"/","hostOnly":true,"deleted":"2026-01-01T00:00:00Z","expiredSet":"0123456789abcdef"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkNativeDecoder(t, data)
	})
}
