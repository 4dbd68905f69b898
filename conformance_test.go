package httpsession

import (
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/publicsuffix"
)

// The conformance corpus re-expresses the http-state parser tests, with the
// RFC 6265bis expectations of their web-platform-tests copy, and the
// http-state date examples. testdata/conformance/README.md says where each
// came from.

// confCookieCase is one parser test: the Set-Cookie lines a response to
// http://home.example.org:8888/cookie-parser?NAME carries, where the next
// request goes, and the Cookie header it must carry.
type confCookieCase struct {
	Name   string `json:"name"`
	Source string `json:"source"`
	// SetCookie holds the Set-Cookie header values, in order.
	SetCookie []string `json:"set_cookie"`
	// Location, when set, is the test's redirect target, resolved against
	// the setting URL; otherwise the request goes to
	// http://home.example.org:8888/cookie-parser-result?NAME.
	Location string `json:"location"`
	// Expected is the Cookie header value, "" for no header.
	Expected string `json:"expected"`
	Note     string `json:"note"`
}

// urls returns the URL the cookies come from and the one they are sent to.
func (c confCookieCase) urls(t *testing.T) (from, to *url.URL) {
	t.Helper()
	from, err := url.Parse("http://home.example.org:8888/cookie-parser?" + c.Name)
	require.NoError(t, err)
	to, err = url.Parse("http://home.example.org:8888/cookie-parser-result?" + c.Name)
	require.NoError(t, err)
	if c.Location != "" {
		to, err = from.Parse(c.Location)
		require.NoError(t, err)
	}
	return from, to
}

// confDateCase is one cookie-date: Expected is the instant in RFC 3339, or
// null when §5.1.1 fails to parse the input.
type confDateCase struct {
	Input    string  `json:"input"`
	Expected *string `json:"expected"`
	Source   string  `json:"source"`
	Note     string  `json:"note"`
}

func loadConfJSON(t *testing.T, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "conformance", name))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, v))
}

func loadConfCookieCases(t *testing.T) []confCookieCase {
	t.Helper()
	var cases []confCookieCase
	loadConfJSON(t, "cookies.json", &cases)
	require.NotEmpty(t, cases)
	return cases
}

// confPinnedNow is the clock of the raw-parser run. The corpus's Expires
// dates were chosen when 2019 lay ahead (0002, comma0006, comma0007 expect a
// cookie that expires in August 2019), and 2007 and 1980 lie behind it; a
// fixed clock keeps the expectations true on any day.
var confPinnedNow = time.Date(2019, time.January, 1, 0, 0, 0, 0, time.UTC)

// TestConformanceRawParser plays every case through SetRawCookies and
// CookieHeader, the path that parses as RFC 6265bis §5.6 says: every case
// must pass.
func TestConformanceRawParser(t *testing.T) {
	for _, c := range loadConfCookieCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			from, to := c.urls(t)
			jar := NewJar(WithClock(func() time.Time { return confPinnedNow }))
			jar.SetRawCookies(from, c.SetCookie)
			assert.Equal(t, c.Expected, jar.CookieHeader(to),
				"Set-Cookie %q from %s, request to %s (%s) %s", c.SetCookie, from, to, c.Source, c.Note)
		})
	}
}

// confViaNetHTTP plays a case the way http.Client does with a jar: the
// response's cookies as net/http parses them go to SetCookies, and the
// request carries jar.Cookies through req.AddCookie.
func confViaNetHTTP(t *testing.T, jar http.CookieJar, c confCookieCase) string {
	t.Helper()
	from, to := c.urls(t)
	resp := &http.Response{Header: http.Header{"Set-Cookie": c.SetCookie}}
	jar.SetCookies(from, resp.Cookies())
	req, err := http.NewRequest(http.MethodGet, to.String(), nil)
	require.NoError(t, err)
	for _, hc := range jar.Cookies(to) {
		req.AddCookie(hc)
	}
	return req.Header.Get("Cookie")
}

// TestConformanceNetHTTP plays the corpus through net/http's parser into
// our jar and into net/http/cookiejar: net/http's parser loses cases
// (nameless cookies, quotes, non-ASCII), but our jar must pass at least as
// many as net/http/cookiejar. Both run on the real clock, as cookiejar
// cannot be given another, so cases whose Expires has passed fail for both.
func TestConformanceNetHTTP(t *testing.T) {
	cases := loadConfCookieCases(t)
	var ours, theirs int
	for _, c := range cases {
		std, err := cookiejar.New(&cookiejar.Options{PublicSuffixList: publicsuffix.List})
		require.NoError(t, err)
		got := confViaNetHTTP(t, NewJar(), c)
		gotStd := confViaNetHTTP(t, std, c)
		if got == c.Expected {
			ours++
		}
		if gotStd == c.Expected {
			theirs++
		}
		if gotStd == c.Expected && got != c.Expected {
			t.Logf("%s: net/http/cookiejar passes and we do not: want %q, got %q", c.Name, c.Expected, got)
		}
	}
	t.Logf("via net/http's parser: ours %d/%d, net/http/cookiejar %d/%d", ours, len(cases), theirs, len(cases))
	assert.GreaterOrEqual(t, ours, theirs, "our jar must pass at least as many cases as net/http/cookiejar")
}

// TestConformanceDates parses every cookie-date of the corpus with
// parseCookieDate (RFC 6265bis §5.1.1).
func TestConformanceDates(t *testing.T) {
	var cases []confDateCase
	loadConfJSON(t, "dates.json", &cases)
	require.NotEmpty(t, cases)
	for _, c := range cases {
		t.Run(c.Input, func(t *testing.T) {
			got, ok := parseCookieDate(c.Input)
			if c.Expected == nil {
				assert.False(t, ok, "%q parsed as %s; §5.1.1 fails it (%s) %s", c.Input, got, c.Source, c.Note)
				return
			}
			want, err := time.Parse(time.RFC3339, *c.Expected)
			require.NoError(t, err)
			if assert.True(t, ok, "%q did not parse (%s) %s", c.Input, c.Source, c.Note) {
				assert.True(t, want.Equal(got), "%q: want %s, got %s", c.Input, want, got)
				assert.Equal(t, time.UTC, got.Location())
			}
		})
	}
}
