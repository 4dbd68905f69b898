package cookiefile

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// netscapeFile joins lines with "\n" and ends the file with one.
func netscapeFile(lines ...string) string {
	return strings.Join(lines, "\n") + "\n"
}

func TestDecodeNetscapeNULIsCorrupt(t *testing.T) {
	good := "www.example.com\tFALSE\t/\tFALSE\t0\tnew\tv\n"
	for _, tt := range []struct{ name, file string }{
		{"NUL in a value", good + "www.example.com\tFALSE\t/\tFALSE\t0\ta\tb\x00c\n"},
		{"NUL in a comment", good + "# \x00\n"},
		{"NUL in the discarded part of an overlong line", good + strings.Repeat("x", 2*maxNetscapeLine) + "\x00\n" + good},
		{"UTF-16 file", "\xff\xfe#\x00 \x00N\x00"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, err := DecodeNetscape(tt.file)
			assert.ErrorIs(t, err, ErrCorrupt)
			assert.Nil(t, f, "no cookie and no bad line")
		})
	}
}

func TestDecodeNetscapeLongLines(t *testing.T) {
	// A line of exactly the limit is read; one byte more is not.
	pad := func(n int) string {
		l := "www.example.com\tFALSE\t/\tFALSE\t0\tn\t"
		return l + strings.Repeat("v", n-len(l)-1) + "\n"
	}
	f, err := DecodeNetscape(pad(maxNetscapeLine) + pad(maxNetscapeLine+1))
	require.NoError(t, err)
	require.Len(t, f.Bad, 1)
	assert.Equal(t, 2, f.Bad[0].Line)
	require.Len(t, f.Records, 1)
	assert.Equal(t, 1, f.LineOf(&f.Records[0]))
}

func TestDecodeNetscape(t *testing.T) {
	past := strconv.FormatInt(t0.Add(-time.Hour).Unix(), 10)
	f, err := DecodeNetscape(netscapeFile(
		"#HttpOnly_.example.com\tTRUE\t/p\tTRUE\t"+past+"\ta\tb",
		"bad",
		".co.uk\tTRUE\t/\tFALSE\t0\tsuper\tc",
	))
	require.NoError(t, err)
	var cookies []Cookie
	for _, r := range f.Records {
		cookies = append(cookies, r.Cookie)
	}
	bad := f.Bad
	assert.Equal(t, []Cookie{
		{Name: "a", Value: "b", Domain: "example.com", Path: "/p", Secure: true, HttpOnly: true, Expires: t0.Add(-time.Hour)},
		{Name: "super", Value: "c", Domain: "co.uk", Path: "/"},
	}, cookies, "parsing alone keeps expired records and leaves the cookie rules to Set")
	require.Len(t, bad, 1)
	assert.Equal(t, 2, bad[0].Line)
}

func TestParseNetscapeExpiry(t *testing.T) {
	tests := []struct {
		in   string
		want int64 // Unix seconds; 0 for a session cookie
		ok   bool
	}{
		{"", 0, true},
		{"0", 0, true},
		{"0.0", 0, true},
		{"-0", 0, true},
		{"1700000000", 1700000000, true},
		{"1700000000.5", 1700000000, true},
		{"1700000000.", 1700000000, true},
		{" 1700000000 ", 1700000000, true},
		{"-5", -1, true},
		{"-99999999999999999999", -1, true},
		{"99999999999999999999", latestExpiry, true},
		{"253402300800", latestExpiry, true},
		{".5", 0, false},
		{"1.5.5", 0, false},
		{"1e9", 0, false},
		{"+5", 0, false},
		{"-", 0, false},
		{"0x10", 0, false},
		{"١٢", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseNetscapeExpiry(tt.in)
		assert.Equal(t, tt.ok, ok, "%q", tt.in)
		if tt.want == 0 {
			assert.True(t, got.IsZero(), "%q", tt.in)
		} else {
			assert.Equal(t, tt.want, got.Unix(), "%q", tt.in)
		}
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestEncodeNetscapeKeepsOutcomesApart(t *testing.T) {
	cookies := []Cookie{
		{Name: "ok", Value: "v", Domain: "example.com", Path: "/"},
		{Name: "tab", Value: "a\tb", Domain: "example.com", Path: "/"},
	}
	var b strings.Builder
	skipped, err := EncodeNetscape(&b, nil, cookies)
	require.NoError(t, err, "the output is complete")
	require.Error(t, skipped)
	assert.Contains(t, skipped.Error(), `name "tab"`)

	skipped, err = EncodeNetscape(failingWriter{}, nil, cookies)
	require.Error(t, err, "the output is incomplete")
	assert.Contains(t, err.Error(), "disk full")
	require.Error(t, skipped)
	assert.NotContains(t, err.Error(), "tab")
}
