package httpsession

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/httpsession/httpsession/internal/cookiefile"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var allFormats = []Format{FormatJSON, FormatNetscape, FormatPlaywright, FormatCookieEditor, FormatCDP}

var foreignFormats = []Format{FormatPlaywright, FormatCookieEditor, FormatCDP}

func TestParseFormatReadsEveryName(t *testing.T) {
	for _, f := range allFormats {
		got, err := ParseFormat(f.String())
		require.NoError(t, err)
		assert.Equal(t, f, got, "String and ParseFormat agree")
	}
	for name, want := range map[string]Format{
		"native": FormatJSON, "JSON": FormatJSON, "cookies.txt": FormatNetscape, "txt": FormatNetscape,
		"Playwright": FormatPlaywright, "storageState": FormatPlaywright, "cookieeditor": FormatCookieEditor,
		"EditThisCookie": FormatCookieEditor, "puppeteer": FormatCDP, " cdp ": FormatCDP,
	} {
		got, err := ParseFormat(name)
		require.NoError(t, err, name)
		assert.Equal(t, want, got, name)
	}
	_, err := ParseFormat("yaml")
	assert.ErrorContains(t, err, `unknown cookie file format "yaml"`)
	assert.Equal(t, "Format(9)", Format(9).String())
	assert.Error(t, NewJar().Export(&bytes.Buffer{}, Format(9)))
}

func TestDetectFormat(t *testing.T) {
	rec := `{"name":"a","value":"1","domain":"example.com","path":"/"}`
	for _, tc := range []struct {
		name, data string
		want       Format
	}{
		{"native as Save writes it", `{"version": 2, "cookies": []}`, FormatJSON},
		{"native, keys in another order", `{ "cookies": [], "version": 2 }`, FormatJSON},
		{"native without a version is the native decoder's to refuse", `{"cookies": [], "deleted": []}`, FormatJSON},
		{"nor is a mistyped version a storageState", `{"Version": 2, "cookies": []}`, FormatJSON},
		{"nor native records", `{"cookies": [{"name":"a","value":"1","domain":"x.com","hostOnly":false,"created":"2026-01-01T00:00:00Z"}]}`, FormatJSON},
		{"storageState", `{"cookies": [` + rec + `], "origins": []}`, FormatPlaywright},
		{"storageState without origins", `{"cookies": [{"name":"a","value":"1","domain":"x.com","path":"/","expires":-1}]}`, FormatPlaywright},
		{"storageState, byte order mark", "\ufeff\n{\"cookies\": []}", FormatPlaywright},
		{"Network.getAllCookies", `{"cookies": [{"name":"a","value":"1","domain":"x.com","path":"/","expires":-1,"size":2,"session":true}]}`, FormatCDP},
		{"origins win over CDP keys", `{"cookies": [{"name":"a","size":2}], "origins": []}`, FormatPlaywright},
		{"Cookie-Editor", `[{"domain":".x.com","hostOnly":false,"name":"a","value":"1","session":true,"storeId":"0"}]`, FormatCookieEditor},
		{"EditThisCookie", `[{"domain":"x.com","expirationDate":1.8e9,"name":"a","value":"1","id":1}]`, FormatCookieEditor},
		{"an empty array", ` [ ] `, FormatCookieEditor},
		{"Puppeteer's page.cookies()", `[{"name":"a","value":"1","domain":"x.com","path":"/","expires":-1,"size":2,"session":true,"priority":"Medium"}]`, FormatCDP},
		{"Playwright's context.cookies()", `[{"name":"a","value":"1","domain":"x.com","path":"/","expires":-1,"sameSite":"Lax"}]`, FormatCDP},
		{"an array of bare cookies", `[` + rec + `]`, FormatCDP},
		{"cookies.txt", "# Netscape HTTP Cookie File\n.x.com\tTRUE\t/\tFALSE\t0\ta\t1\n", FormatNetscape},
		{"cookies.txt with an IPv6 domain", "[::1]\tFALSE\t/\tFALSE\t0\ta\t1\n", FormatNetscape},
		{"empty", " \n", FormatNetscape},
	} {
		got, err := DetectFormat([]byte(tc.data))
		require.NoError(t, err, tc.name)
		assert.Equal(t, tc.want, got, tc.name)
	}
	for _, tc := range []struct{ name, data, msg string }{
		{"keys of both array formats", `[{"name":"a","hostOnly":true},{"name":"b","size":1}]`, "keys of both"},
		{"an array of no cookies", `[1, 2, {"x": 1}]`, "holds no cookie"},
		{"cookies given twice", `{"cookies": [], "cookies": []}`, "given twice"},
		{"cookies not an array", `{"cookies": {"a": 1}}`, `"cookies" is not an array`},
		{"cookies of no cookie", `{"cookies": [1, {"id": 2}]}`, "holds no cookie"},
		{"a broken array", "[\n{\"name\": ", "line 2"},
	} {
		_, err := DetectFormat([]byte(tc.data))
		require.ErrorIs(t, err, ErrCorrupt, tc.name)
		assert.ErrorContains(t, err, tc.msg, tc.name)
		// Import refuses it whole, and Load too.
		j := NewJar()
		require.ErrorIs(t, j.Import(strings.NewReader(tc.data)), ErrCorrupt, tc.name)
		assert.Zero(t, j.Len(), tc.name)
	}
}

// variety holds cookies of every kind the formats can say something about.
func variety(t *testing.T, clock *testClock) *Jar {
	t.Helper()
	j := NewJar(WithClock(clock.now))
	j.SetRawCookies(mustURL(t, "https://www.example.com/app/login"), []string{
		"sid=abc; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=3600",
		"pref=dark; Domain=example.com; Expires=Wed, 01 Apr 2026 12:00:00 GMT; SameSite=Strict",
		"cross=1; Path=/; Secure; SameSite=None",
		"__Host-chips=p; Path=/; Secure; Partitioned",
		"deep=1",                              // default path /app
		`quoted="a b"`,                        // kept with its quotes
		"json={\"k\":[1,2]}; Path=/",          // JSON-looking value
		"utf8=héllo wörld ☃; Path=/",          // UTF-8 value
		"nameless-value-only; Path=/nameless", // no name
	})
	clock.advance(time.Millisecond)
	require.NoError(t, j.Set(Cookie{Name: "micro", Value: "1", Domain: "example.com",
		Expires: t0.Add(48*time.Hour + 123456789*time.Nanosecond)}))
	require.NoError(t, j.Set(Cookie{Name: "ip", Value: "1", Domain: "127.0.0.1", HostOnly: true}))
	require.Equal(t, 11, j.Len())
	return j
}

// kept is what a format keeps of a cookie.
type kept struct {
	Name, Value, Domain, Path  string // Value as sent, quotes included
	HostOnly, Secure, HttpOnly bool
	SameSite                   http.SameSite
	Partitioned                bool
	Partition                  string
	Expires                    time.Time
}

func keptOf(j *Jar, f Format) map[string]kept {
	out := map[string]kept{}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.store.each(func(e *entry) bool {
		k := kept{Name: e.Name, Value: e.String(), Domain: e.Domain, Path: e.Path, HostOnly: e.HostOnly,
			Secure: e.Secure, HttpOnly: e.HttpOnly, SameSite: e.SameSite, Partitioned: e.Partitioned,
			Partition: e.partition, Expires: e.Expires}
		switch f {
		case FormatNetscape:
			k.SameSite, k.Partitioned, k.Partition = 0, false, ""
			k.Expires = k.Expires.Truncate(time.Second)
		case FormatJSON:
		default:
			k.Expires = k.Expires.Truncate(time.Microsecond)
		}
		out[e.Domain+e.Path+"|"+e.Name] = k
		return true
	})
	return out
}

func TestExportImportRoundTripsEveryFormat(t *testing.T) {
	for _, f := range allFormats {
		t.Run(f.String(), func(t *testing.T) {
			clock := newTestClock()
			j := variety(t, clock)
			var buf bytes.Buffer
			require.NoError(t, j.Export(&buf, f))
			got, err := DetectFormat(buf.Bytes())
			require.NoError(t, err)
			assert.Equal(t, f, got, "Export's output is detected as its format")

			back := NewJar(WithClock(clock.now))
			require.NoError(t, back.Import(bytes.NewReader(buf.Bytes())))
			// Every attribute the format has a place for comes back
			// (cookies.txt has none for SameSite and partitions, and
			// keeps seconds; the JSON formats keep microseconds).
			assert.Equal(t, keptOf(j, f), keptOf(back, f))
			// The same header for the pages of the site, in the same order
			// but for cookies.txt, which is written sorted and has no
			// creation times: there cookies of equal paths may change
			// places.
			for _, u := range []string{"https://www.example.com/app/x", "https://example.com/", "https://www.example.com/nameless"} {
				want, got := j.CookieHeader(mustURL(t, u)), back.CookieHeader(mustURL(t, u))
				if f == FormatNetscape {
					assert.ElementsMatch(t, strings.Split(want, "; "), strings.Split(got, "; "), u)
				} else {
					assert.Equal(t, want, got, u)
				}
			}
			// Exporting again gives the same bytes.
			var again bytes.Buffer
			require.NoError(t, back.Export(&again, f))
			if f != FormatJSON { // the native file has change times
				assert.Equal(t, buf.String(), again.String())
			}
		})
	}
}

func TestExportWritesEachFormatsSpelling(t *testing.T) {
	clock := newTestClock()
	j := NewJar(WithClock(clock.now))
	require.NoError(t, j.Set(Cookie{Name: "host", Value: "1", Domain: "www.example.com", HostOnly: true,
		Secure: true, SameSite: http.SameSiteNoneMode, Expires: t0.Add(time.Hour + 500*time.Millisecond)}))
	clock.advance(time.Second)
	require.NoError(t, j.Set(Cookie{Name: "dom", Value: "2", Domain: "example.com", SameSite: http.SameSiteDefaultMode}))
	out := func(f Format) string {
		var b bytes.Buffer
		require.NoError(t, j.Export(&b, f))
		return b.String()
	}
	pw := out(FormatPlaywright)
	assert.Contains(t, pw, `"domain": "www.example.com"`, "host-only: no dot")
	assert.Contains(t, pw, `"domain": ".example.com"`, "domain cookie: a leading dot")
	assert.Contains(t, pw, `"expires": 1772370000.5,`, "seconds, a float")
	assert.Contains(t, pw, `"expires": -1,`, "a session cookie")
	assert.Contains(t, pw, `"sameSite": "None"`)
	assert.Equal(t, 1, strings.Count(pw, `"sameSite"`), "none written for a cookie without SameSite (nor Default)")
	assert.True(t, strings.HasSuffix(pw, "  ],\n  \"origins\": []\n}\n"), pw)
	assert.Less(t, strings.Index(pw, `"host"`), strings.Index(pw, `"dom"`), "in creation order")

	ce := out(FormatCookieEditor)
	assert.Contains(t, ce, `"expirationDate": 1772370000.5,`)
	assert.Contains(t, ce, `"sameSite": "no_restriction"`)
	assert.Contains(t, ce, `"sameSite": "unspecified"`)
	assert.Contains(t, ce, `"hostOnly": true`)
	assert.Contains(t, ce, `"session": true`)
	assert.NotContains(t, ce, "storeId")

	var viaWrite bytes.Buffer
	require.NoError(t, j.WriteNetscape(&viaWrite))
	assert.Equal(t, viaWrite.String(), out(FormatNetscape), "Export(FormatNetscape) is WriteNetscape")

	cdp := out(FormatCDP)
	for _, s := range []string{`"expires": -1,`, `"size": 5,`, `"session": true,`, `"priority": "Medium"`,
		`"sourceScheme": "Unset"`, `"sourcePort": -1`, `"domain": ".example.com"`} {
		assert.Contains(t, cdp, s)
	}
}

func TestExportWritesPartitionsAsEachProgramTakesThem(t *testing.T) {
	j := NewJar()
	j.SetRawCookies(mustURL(t, "https://cdn.example.com/"), []string{"chips=1; Secure; Path=/; Partitioned"})
	var pw, cdp bytes.Buffer
	require.NoError(t, j.Export(&pw, FormatPlaywright))
	require.NoError(t, j.Export(&cdp, FormatCDP))
	assert.Contains(t, pw.String(), "\"partitionKey\": \"https://example.com\",\n      \"_crHasCrossSiteAncestor\": false\n")
	assert.Contains(t, cdp.String(), "\"partitionKey\": {\n      \"topLevelSite\": \"https://example.com\",\n      \"hasCrossSiteAncestor\": false\n    }")
}

func TestExportLeavesOutWhatAFormatCannotHold(t *testing.T) {
	j := NewJar()
	require.NoError(t, j.Set(Cookie{Name: "bin", Value: "\xff\xfe", Domain: "example.com", HostOnly: true}))
	require.NoError(t, j.Set(Cookie{Name: "ok", Value: "1", Domain: "example.com", HostOnly: true}))
	for _, f := range foreignFormats {
		var b bytes.Buffer
		err := j.Export(&b, f)
		require.Error(t, err, f)
		assert.ErrorContains(t, err, `name "bin": a field is not UTF-8`)
		assert.NotContains(t, err.Error(), "\xff")
		back := NewJar()
		require.NoError(t, back.Import(&b), f)
		assert.Equal(t, "ok=1", back.CookieHeader(mustURL(t, "https://example.com/")), f)
	}
}

// foreignFile makes a file of one format holding the records given in the
// Playwright/CDP spelling, adapted to the format.
func foreignFile(f Format, records ...string) string {
	body := strings.Join(records, ",\n")
	switch f {
	case FormatPlaywright:
		return `{"cookies": [` + body + `], "origins": []}`
	case FormatCookieEditor:
		// A "storeId" makes the array the extensions' format.
		return `[{"name":"marker","value":"1","domain":"marker.example","storeId":"0"},` + body + `]`
	}
	return `[{"name":"marker","value":"1","domain":"marker.example","size":2},` + body + `]`
}

// TestImportChecksEveryCookieAsFromAServer runs each rule of RFC 6265bis's
// storage model (§5.7) and the size limits (§5.6) over the JSON formats: a
// file is checked as if https://domain had sent each cookie, and a refused
// record costs only itself.
func TestImportChecksEveryCookieAsFromAServer(t *testing.T) {
	long := strings.Repeat("v", 4097)
	for _, tc := range []struct {
		rule, record string
	}{
		{"§5.7 step 9: no domain cookie on a public suffix (a supercookie)", `{"name":"a","value":"1","domain":".co.uk","path":"/"}`},
		{"§5.7 step 9: nor on a top-level domain", `{"name":"a","value":"1","domain":".com","path":"/"}`},
		{"§5.7 step 20: __Secure- needs Secure", `{"name":"__Secure-a","value":"1","domain":"example.com","path":"/"}`},
		{"§5.7 step 21: __Host- needs Secure", `{"name":"__Host-a","value":"1","domain":"example.com","path":"/"}`},
		{"§5.7 step 21: __Host- needs no Domain", `{"name":"__Host-a","value":"1","domain":".example.com","path":"/","secure":true}`},
		{"§5.7 step 21: __Host- needs Path=/", `{"name":"__Host-a","value":"1","domain":"example.com","path":"/x","secure":true}`},
		{"§5.4: prefixes in any case", `{"name":"__SECURE-a","value":"1","domain":"example.com","path":"/"}`},
		{"§5.7 step 22: no nameless prefix", `{"name":"","value":"__Host-a","domain":"example.com","path":"/","secure":true}`},
		{"§5.7 step 2: a name or a value", `{"name":"","value":"","domain":"example.com","path":"/"}`},
		{"§5.7 step 4: name and value at most 4096 bytes", `{"name":"a","value":"` + long + `","domain":"example.com","path":"/"}`},
		{"§5.6: attributes at most 1024 bytes", `{"name":"a","value":"1","domain":"example.com","path":"/` + long[:1024] + `"}`},
		{"§5.6.4: a path starts with /", `{"name":"a","value":"1","domain":"example.com","path":"x"}`},
		{"§5.6 step 1: no control character", `{"name":"a","value":"1\u0000","domain":"example.com","path":"/"}`},
		{"§5.6: no ';' in a value", `{"name":"a","value":"1;b=2","domain":"example.com","path":"/"}`},
		{"§5.7 step 8: a domain is ASCII or punycode", `{"name":"a","value":"1","domain":"exa mple.com","path":"/"}`},
		{"§8.5: no port in a domain", `{"name":"a","value":"1","domain":"127.0.0.1:8000","path":"/"}`},
		{"CHIPS: Partitioned needs Secure", `{"name":"a","value":"1","domain":"example.com","path":"/","partitionKey":"https://example.com"}`},
		{"a partition key is a site", `{"name":"a","value":"1","domain":"example.com","path":"/","secure":true,"partitionKey":"example.com"}`},
		{"an opaque partition cannot be kept", `{"name":"a","value":"1","domain":"example.com","path":"/","secure":true,"partitionKey":"https://x.com","partitionKeyOpaque":true}`},
		{"a record has a domain", `{"name":"a","value":"1","url":"https://example.com/"}`},
		{"a record has a value", `{"name":"a","domain":"example.com"}`},
		{"fields have their types", `{"name":"a","value":1,"domain":"example.com"}`},
		{"booleans are booleans", `{"name":"a","value":"1","domain":"example.com","secure":"yes"}`},
		{"a known SameSite", `{"name":"a","value":"1","domain":"example.com","sameSite":"sideways"}`},
		{"a record is an object", `"a=1"`},
	} {
		for _, f := range foreignFormats {
			if f == FormatCookieEditor && strings.Contains(tc.record, "partitionKeyOpaque") {
				continue // a CDP key: such an array is no extensions' file
			}
			t.Run(f.String()+"/"+tc.rule, func(t *testing.T) {
				good := `{"name":"good","value":"1","domain":"example.com","path":"/"}`
				data := foreignFile(f, tc.record, good)
				j := NewJar()
				err := j.Import(strings.NewReader(data))
				var fe *FileError
				require.ErrorAs(t, err, &fe)
				require.Len(t, fe.Lines, 1)
				le := fe.Lines[0]
				want := 1
				if f != FormatPlaywright {
					want = 2 // after the marker
				}
				assert.Equal(t, want, le.Line, "the record's number")
				assert.True(t, le.Record)
				assert.ErrorIs(t, err, ErrInvalidCookie)
				assert.Contains(t, err.Error(), fmt.Sprintf("record %d: ", want))
				assert.NotContains(t, err.Error(), long[:100], "no value in an error")
				assert.Equal(t, "good=1", j.CookieHeader(mustURL(t, "https://example.com/")), "the others load")
			})
		}
	}
}

func TestImportReadsEachFormatsAttributes(t *testing.T) {
	clock := newTestClock()
	year := t0.Add(200 * 24 * time.Hour)
	secs := year.Unix()
	for _, tc := range []struct {
		name   string
		format Format
		record string
		want   Cookie // Name, Domain, HostOnly, Secure, HttpOnly, SameSite, Expires checked
	}{
		{"a dot: a domain cookie", FormatPlaywright, `{"name":"a","value":"1","domain":".example.com","path":"/","expires":-1}`,
			Cookie{Domain: "example.com"}},
		{"no dot: host-only", FormatPlaywright, `{"name":"a","value":"1","domain":"www.example.com","path":"/","expires":-1}`,
			Cookie{Domain: "www.example.com", HostOnly: true}},
		{"seconds", FormatPlaywright, fmt.Sprintf(`{"name":"a","value":"1","domain":"x.com","expires":%d}`, secs),
			Cookie{Domain: "x.com", HostOnly: true, Expires: year}},
		{"a float", FormatPlaywright, fmt.Sprintf(`{"name":"a","value":"1","domain":"x.com","expires":%d.25}`, secs),
			Cookie{Domain: "x.com", HostOnly: true, Expires: year.Add(250 * time.Millisecond)}},
		{"an exponent", FormatCDP, `{"name":"a","value":"1","domain":"x.com","expires":1.8e9}`,
			Cookie{Domain: "x.com", HostOnly: true, Expires: time.Unix(1.8e9, 0).UTC()}},
		{"capped at 400 days (§5.5)", FormatCDP, `{"name":"a","value":"1","domain":"x.com","expires":253402300799}`,
			Cookie{Domain: "x.com", HostOnly: true, Expires: t0.Add(maxAge)}},
		{"past the year 9999 in milliseconds too: clamped, then capped", FormatCDP, `{"name":"a","value":"1","domain":"x.com","expires":1e300}`,
			Cookie{Domain: "x.com", HostOnly: true, Expires: t0.Add(maxAge)}},
		{"milliseconds", FormatCDP, fmt.Sprintf(`{"name":"a","value":"1","domain":"x.com","expires":%d123}`, secs),
			Cookie{Domain: "x.com", HostOnly: true, Expires: year.Add(123 * time.Millisecond)}},
		{"0 is a session cookie", FormatPlaywright, `{"name":"a","value":"1","domain":"x.com","expires":0}`,
			Cookie{Domain: "x.com", HostOnly: true}},
		{"CDP's session flag wins", FormatCDP, fmt.Sprintf(`{"name":"a","value":"1","domain":"x.com","expires":%d,"session":true}`, secs),
			Cookie{Domain: "x.com", HostOnly: true}},
		{"Playwright has no session flag", FormatPlaywright, fmt.Sprintf(`{"name":"a","value":"1","domain":"x.com","expires":%d,"session":true}`, secs),
			Cookie{Domain: "x.com", HostOnly: true, Expires: year}},
		{"CDP SameSite", FormatCDP, `{"name":"a","value":"1","domain":"x.com","sameSite":"Strict","httpOnly":true,"secure":true}`,
			Cookie{Domain: "x.com", HostOnly: true, SameSite: http.SameSiteStrictMode, HttpOnly: true, Secure: true}},
		{"None without Secure, as Firefox reports no SameSite", FormatPlaywright, `{"name":"a","value":"1","domain":"x.com","sameSite":"None"}`,
			Cookie{Domain: "x.com", HostOnly: true}},
		{"None with Secure", FormatPlaywright, `{"name":"a","value":"1","domain":"x.com","sameSite":"None","secure":true}`,
			Cookie{Domain: "x.com", HostOnly: true, Secure: true, SameSite: http.SameSiteNoneMode}},
		{"hostOnly decides", FormatCookieEditor, `{"name":"a","value":"1","domain":".x.com","hostOnly":true}`,
			Cookie{Domain: "x.com", HostOnly: true}},
		{"hostOnly false widens a bare domain", FormatCookieEditor, `{"name":"a","value":"1","domain":"x.com","hostOnly":false}`,
			Cookie{Domain: "x.com"}},
		{"no hostOnly: the dot decides", FormatCookieEditor, `{"name":"a","value":"1","domain":"www.x.com","storeId":"0"}`,
			Cookie{Domain: "www.x.com", HostOnly: true}},
		{"expirationDate", FormatCookieEditor, fmt.Sprintf(`{"name":"a","value":"1","domain":".x.com","hostOnly":false,"expirationDate":%d.5,"session":false}`, secs),
			Cookie{Domain: "x.com", Expires: year.Add(500 * time.Millisecond)}},
		{"session wins over expirationDate", FormatCookieEditor, fmt.Sprintf(`{"name":"a","value":"1","domain":"x.com","hostOnly":true,"expirationDate":%d,"session":true}`, secs),
			Cookie{Domain: "x.com", HostOnly: true}},
		{"the extensions' SameSite", FormatCookieEditor, `{"name":"a","value":"1","domain":"x.com","hostOnly":true,"sameSite":"no_restriction","secure":true}`,
			Cookie{Domain: "x.com", HostOnly: true, Secure: true, SameSite: http.SameSiteNoneMode}},
		{"unspecified", FormatCookieEditor, `{"name":"a","value":"1","domain":"x.com","hostOnly":true,"sameSite":"unspecified"}`,
			Cookie{Domain: "x.com", HostOnly: true}},
		{"null is absent", FormatCookieEditor, `{"name":"a","value":"1","domain":"x.com","hostOnly":true,"sameSite":null,"expirationDate":null,"path":null}`,
			Cookie{Domain: "x.com", HostOnly: true}},
		{"an IP address is host-only (§5.1.3)", FormatPlaywright, `{"name":"a","value":"1","domain":".127.0.0.1"}`,
			Cookie{Domain: "127.0.0.1", HostOnly: true}},
		{"an internationalised domain becomes punycode", FormatPlaywright, `{"name":"a","value":"1","domain":".bücher.example"}`,
			Cookie{Domain: "xn--bcher-kva.example"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := NewJar(WithClock(clock.now))
			require.NoError(t, j.Import(strings.NewReader(foreignFile(tc.format, tc.record))))
			var got *Cookie
			for _, c := range j.All() {
				if c.Name == "a" {
					got = &c
				}
			}
			require.NotNil(t, got)
			w := tc.want
			w.Name, w.Value, w.Path = "a", "1", "/"
			w.Created, w.LastAccess = got.Created, got.LastAccess
			assert.Equal(t, w, *got)
		})
	}
}

func TestImportSkipsExpiredCookies(t *testing.T) {
	j := NewJar()
	require.NoError(t, j.Set(Cookie{Name: "a", Value: "live", Domain: "x.com", HostOnly: true}))
	// A stale record of a file is no reason to log anyone out.
	require.NoError(t, j.Import(strings.NewReader(`[{"name":"a","value":"old","domain":"x.com","expires":1000000000}]`)))
	assert.Equal(t, "a=live", j.CookieHeader(mustURL(t, "https://x.com/")))
}

func TestImportPartitionKeys(t *testing.T) {
	for _, key := range []string{
		`"https://example.com"`, `"https://www.EXAMPLE.com:8443/path"`,
		`{"topLevelSite":"https://example.com","hasCrossSiteAncestor":false}`,
		`{"sourceOrigin":"https://example.com"}`,
	} {
		j := NewJar()
		rec := `{"name":"p","value":"1","domain":"cdn.other.com","path":"/","secure":true,"partitionKey":` + key + `}`
		require.NoError(t, j.Import(strings.NewReader(`{"cookies": [`+rec+`]}`)), key)
		e := func() *entry {
			j.mu.Lock()
			defer j.mu.Unlock()
			var found *entry
			j.store.each(func(e *entry) bool { found = e; return false })
			return found
		}()
		require.NotNil(t, e, key)
		assert.True(t, e.Partitioned, key)
		assert.Equal(t, "https://example.com", e.partition, "the jar's partition: the site with its scheme")
	}
	// An object without a site is no partition.
	j := NewJar()
	require.NoError(t, j.Import(strings.NewReader(`[{"name":"p","value":"1","domain":"x.com","hostOnly":true,"partitionKey":{}}]`)))
	assert.False(t, j.All()[0].Partitioned)
}

func TestImportCookieHeader(t *testing.T) {
	j := NewJar()
	u := mustURL(t, "https://www.example.com/app/page")
	err := j.ImportCookieHeader(u, `Cookie: sid=abc; __Host-t=1;  lang = en ; sid=shadowed; bare; q="x y";`)
	require.NoError(t, err)
	assert.Equal(t, `sid=abc; __Host-t=1; lang=en; bare; q="x y"`, j.CookieHeader(mustURL(t, "https://www.example.com/other")),
		"host-only, Path=/, the first of a name kept")
	assert.Empty(t, j.CookieHeader(mustURL(t, "https://example.com/")), "host-only")
	assert.Empty(t, j.CookieHeader(mustURL(t, "http://www.example.com/")), "Secure, as u is https")
	for _, c := range j.All() {
		assert.True(t, c.HostOnly && c.Secure && c.Expires.IsZero() && c.Path == "/", c.Name)
	}

	// Over http, a __Host- cookie could not have been set (§5.7 step 21):
	// refused, numbered, the others kept.
	j = NewJar()
	err = j.ImportCookieHeader(mustURL(t, "http://example.com/"), "a=1; ; __Host-x=2; b=3")
	var fe *FileError
	require.ErrorAs(t, err, &fe)
	require.Len(t, fe.Lines, 1)
	assert.Equal(t, LineError{Line: 2, Err: fe.Lines[0].Err, Record: true}, fe.Lines[0])
	assert.ErrorIs(t, err, ErrInvalidCookie)
	assert.Contains(t, err.Error(), `record 2: cookie "__Host-x"`)
	assert.Equal(t, "a=1; b=3", j.CookieHeader(mustURL(t, "http://example.com/")))
	assert.False(t, j.All()[0].Secure)

	require.ErrorIs(t, NewJar().ImportCookieHeader(u, "a=1\r\nSet-Cookie: b=2"), ErrInvalidCookie)
	require.ErrorIs(t, NewJar().ImportCookieHeader(mustURL(t, "ftp://example.com/"), "a=1"), ErrInvalidCookie)
	require.ErrorIs(t, NewJar().ImportCookieHeader(nil, "a=1"), ErrInvalidCookie)
	require.NoError(t, NewJar().ImportCookieHeader(u, " ; ; "))
}

func TestImportReadsTheNativeFileAndCookiesTxt(t *testing.T) {
	clock := newTestClock()
	j := variety(t, clock)
	for _, f := range []Format{FormatJSON, FormatNetscape} {
		var b bytes.Buffer
		require.NoError(t, j.Export(&b, f))
		back := NewJar(WithClock(clock.now))
		require.NoError(t, back.Import(&b))
		assert.Equal(t, j.Len(), back.Len(), f)
	}
	// A native file's deletion removes an older copy, as Load's merge does.
	older := NewJar(WithClock(clock.now))
	require.NoError(t, older.Set(Cookie{Name: "sid", Value: "1", Domain: "www.example.com", HostOnly: true}))
	clock.advance(time.Second)
	j.Delete("www.example.com", "/", "sid")
	var b bytes.Buffer
	require.NoError(t, j.Export(&b, FormatJSON))
	require.Contains(t, b.String(), `"deleted": [`)
	require.NoError(t, older.Import(&b))
	assert.False(t, hasCookie(older, "sid"))
	assert.Equal(t, 10, older.Len(), "and takes the file's cookies")

	var fe *FileError
	require.ErrorAs(t, NewJar().Import(strings.NewReader("x.com\tTRUE\t/\tFALSE\t0\ta\t1\n.co.uk\tTRUE\t/\tFALSE\t0\tb\t1\n")), &fe)
	assert.Equal(t, 2, fe.Lines[0].Line)
	assert.False(t, fe.Lines[0].Record)
	require.ErrorIs(t, NewJar().Import(strings.NewReader("<html>hello</html>\n")), ErrCorrupt)
	require.NoError(t, NewJar().Import(strings.NewReader("")))
	require.ErrorIs(t, NewJar().Import(errReader{}), errRead)
}

var errRead = errors.New("read failed")

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errRead }

func TestFormatsNumberedAsCookiefile(t *testing.T) {
	// The root converts a Format to cookiefile's and back by a plain
	// conversion: the numbers must agree.
	for f, cf := range map[Format]cookiefile.Format{
		formatNone: cookiefile.None, FormatJSON: cookiefile.JSON, FormatNetscape: cookiefile.Netscape,
		FormatPlaywright: cookiefile.Playwright, FormatCookieEditor: cookiefile.CookieEditor, FormatCDP: cookiefile.CDP,
	} {
		assert.Equal(t, int(f), int(cf), "%v", f)
	}
	assert.Equal(t, int64(MaxFileSize), int64(cookiefile.MaxSize), "the codec reads what a file may hold")
}
