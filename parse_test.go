package httpsession

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseSetCookie(t *testing.T) {
	date := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name string
		line string
		ok   bool
		want setCookie
	}{
		{"plain name and value (§5.6 step 3)", "a=b", true, setCookie{name: "a", value: "b"}},
		{"no '=' makes a nameless cookie (§5.6 step 3)", "foo", true, setCookie{value: "foo"}},
		{"leading '=' makes a nameless cookie (§5.6 step 3)", "=foo", true, setCookie{value: "foo"}},
		{"value keeps later '=' signs (§5.6 step 3)", "a=b=c==", true, setCookie{name: "a", value: "b=c=="}},
		{"whitespace around name and value is trimmed (§5.6 step 4)", " \ta \t= \tb c\t ", true, setCookie{name: "a", value: "b c"}},
		{"quotes stay part of the value (§5.6 step 3)", `a="b"`, true, setCookie{name: "a", value: `"b"`}},
		{"UTF-8 name and value are kept (§5.6)", "ñame=välue✓", true, setCookie{name: "ñame", value: "välue✓"}},
		{"odd name characters are kept (§5.6)", `a@(b) "c"=1`, true, setCookie{name: `a@(b) "c"`, value: "1"}},
		{"no percent-decoding (§5.6)", "a=%41%3B", true, setCookie{name: "a", value: "%41%3B"}},
		{"tab inside the value is allowed (§5.6 step 1)", "a=b\tc", true, setCookie{name: "a", value: "b\tc"}},
		{"NUL rejects the line (§5.6 step 1)", "a=b\x00c", false, setCookie{}},
		{"CR rejects the line (§5.6 step 1)", "a=b\rc", false, setCookie{}},
		{"LF in an attribute rejects the line (§5.6 step 1)", "a=b; Path=/\n", false, setCookie{}},
		{"DEL rejects the line (§5.6 step 1)", "a=b\x7f", false, setCookie{}},
		{"empty name and value are ignored (§5.7 step 2)", "=", false, setCookie{}},
		{"empty line is ignored (§5.7 step 2)", "", false, setCookie{}},
		{"only attributes is ignored (§5.7 step 2)", "; Secure", false, setCookie{}},
		{"name plus value of 4096 bytes is kept (§5.6 step 5)", "a=" + strings.Repeat("v", 4095), true, setCookie{name: "a", value: strings.Repeat("v", 4095)}},
		{"name plus value over 4096 bytes is rejected (§5.6 step 5)", "a=" + strings.Repeat("v", 4096), false, setCookie{}},
		{"attribute names are case-insensitive (§5.6)", "a=b; sEcUrE; HTTPONLY; pATh=/x", true, setCookie{name: "a", value: "b", secure: true, httpOnly: true, path: "/x"}},
		{"attribute whitespace is trimmed (§5.6)", "a=b ;  Path =  /x  ; Domain\t=\t.Example.COM ", true, setCookie{name: "a", value: "b", path: "/x", domain: "example.com", hasDomain: true}},
		{"last Domain wins (§5.7 step 7)", "a=b; Domain=x.com; Domain=y.com", true, setCookie{name: "a", value: "b", domain: "y.com", hasDomain: true}},
		{"an empty last Domain means host-only (§5.6.3)", "a=b; Domain=x.com; Domain=", true, setCookie{name: "a", value: "b", hasDomain: true}},
		{"one leading dot of Domain is dropped (§5.6.3)", "a=b; Domain=..x.com", true, setCookie{name: "a", value: "b", domain: ".x.com", hasDomain: true}},
		{"relative Path means default-path (§5.6.4)", "a=b; Path=x", true, setCookie{name: "a", value: "b"}},
		{"empty last Path means default-path (§5.6.4)", "a=b; Path=/x; Path=", true, setCookie{name: "a", value: "b"}},
		{"attribute value over 1024 bytes is ignored (§5.6)", "a=b; Path=/" + strings.Repeat("p", 1024), true, setCookie{name: "a", value: "b"}},
		{"attribute value of 1024 bytes is used (§5.6)", "a=b; Path=/" + strings.Repeat("p", 1023), true, setCookie{name: "a", value: "b", path: "/" + strings.Repeat("p", 1023)}},
		{"Expires is parsed as a cookie-date (§5.6.1)", "a=b; Expires=Wed, 02-Jan-2030 03:04:05 GMT", true, setCookie{name: "a", value: "b", expires: date}},
		{"an invalid Expires is ignored (§5.6.1)", "a=b; Expires=Wed, 02-Jan-2030 03:04:05 GMT; Expires=never", true, setCookie{name: "a", value: "b", expires: date}},
		{"Max-Age is parsed (§5.6.2)", "a=b; Max-Age=60", true, setCookie{name: "a", value: "b", maxAge: 60, hasMaxAge: true}},
		{"negative Max-Age is kept (§5.6.2)", "a=b; Max-Age=-1", true, setCookie{name: "a", value: "b", maxAge: -1, hasMaxAge: true}},
		{"Max-Age with a non-digit is ignored (§5.6.2)", "a=b; Max-Age=6O", true, setCookie{name: "a", value: "b"}},
		{"Max-Age with a plus sign is ignored (§5.6.2)", "a=b; Max-Age=+6", true, setCookie{name: "a", value: "b"}},
		{"empty Max-Age is ignored (§5.6.2)", "a=b; Max-Age=", true, setCookie{name: "a", value: "b"}},
		{"huge Max-Age saturates (§5.6.2)", "a=b; Max-Age=99999999999999999999999", true, setCookie{name: "a", value: "b", maxAge: 1<<63 - 1, hasMaxAge: true}},
		{"SameSite values are case-insensitive (§5.6.7)", "a=b; SameSite=sTRICT", true, setCookie{name: "a", value: "b", sameSite: http.SameSiteStrictMode}},
		{"unknown SameSite is Default (§5.6.7)", "a=b; SameSite=bogus", true, setCookie{name: "a", value: "b", sameSite: http.SameSiteDefaultMode}},
		{"Partitioned is recorded (CHIPS)", "a=b; Secure; Partitioned", true, setCookie{name: "a", value: "b", secure: true, partitioned: true}},
		{"unknown attributes are ignored (§5.6)", "a=b; Foo=bar; Comment=x", true, setCookie{name: "a", value: "b"}},
		{"empty attributes are ignored (§5.6)", "a=b;;; ;", true, setCookie{name: "a", value: "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseSetCookie(tt.line)
			require.Equal(t, tt.ok, ok)
			if ok {
				assert.Equal(t, tt.want, got)
			}
		})
	}
}

func TestParseMaxAge(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true}, {"-0", 0, true}, {"007", 7, true}, {"-", 0, false}, {"--1", 0, false},
		{"1.5", 0, false}, {" 1", 0, false}, {"", 0, false},
	} {
		got, ok := parseMaxAge(tt.in)
		assert.Equal(t, tt.ok, ok, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
}

func TestFromHTTPCookie(t *testing.T) {
	tests := []struct {
		name string
		in   http.Cookie
		ok   bool
		want setCookie
	}{
		{"quoted flag carries over", http.Cookie{Name: "a", Value: "b", Quoted: true}, true, setCookie{name: "a", value: "b", quoted: true}},
		{"space in value is sent quoted, as net/http does", http.Cookie{Name: "a", Value: "b c"}, true, setCookie{name: "a", value: "b c", quoted: true}},
		{"MaxAge < 0 means delete now", http.Cookie{Name: "a", Value: "b", MaxAge: -1}, true, setCookie{name: "a", value: "b", hasMaxAge: true}},
		{"Domain is lower-cased without its dot", http.Cookie{Name: "a", Value: "b", Domain: ".EXAMPLE.com"}, true, setCookie{name: "a", value: "b", domain: "example.com", hasDomain: true}},
		{"control character is refused (§5.7 step 3)", http.Cookie{Name: "a", Value: "b\x01"}, false, setCookie{}},
		{"';' in a value is refused", http.Cookie{Name: "a", Value: "b;c"}, false, setCookie{}},
		{"'=' in a name is refused", http.Cookie{Name: "a=b", Value: "c"}, false, setCookie{}},
		{"empty cookie is refused (§5.7 step 2)", http.Cookie{}, false, setCookie{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := fromHTTPCookie(&tt.in)
			require.Equal(t, tt.ok, ok)
			if ok {
				assert.Equal(t, tt.want, got)
			}
		})
	}
}

func FuzzParseSetCookie(f *testing.F) {
	for _, s := range []string{
		"a=b", "foo", "=foo", `a="b"; Path=/`, "a=b; Domain=.example.com; Secure; HttpOnly; SameSite=Lax",
		"a=b; Max-Age=-1", "a=b; Expires=Thu, 01 Jan 1970 00:00:00 GMT", "ñ=ü; Partitioned; Secure",
		"a=b;;;=;Domain=;Path", "a\tb = c\td ;\tpath\t=\t/x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		c, ok := parseSetCookie(line)
		if !ok {
			return
		}
		// What the parser accepts obeys §5.6: no control characters but
		// tab, bounded size, never both name and value empty, no ';'.
		if hasCTL(c.name) || hasCTL(c.value) || hasCTL(c.domain) || hasCTL(c.path) {
			t.Fatalf("control character survived in %q", line)
		}
		if len(c.name)+len(c.value) > maxNameValueBytes {
			t.Fatalf("oversized cookie accepted: %q", line)
		}
		if c.name == "" && c.value == "" {
			t.Fatalf("empty cookie accepted: %q", line)
		}
		if strings.ContainsRune(c.name+c.value+c.path+c.domain, ';') {
			t.Fatalf("';' inside a field: %q", line)
		}
		if c.path != "" && c.path[0] != '/' {
			t.Fatalf("relative path kept: %q", line)
		}
		// Storing it must not panic either, over http and https.
		j := NewJar()
		for _, o := range []origin{{host: "www.example.com", defaultPath: "/"}, {host: "127.0.0.1", secure: true, defaultPath: "/a"}} {
			j.mu.Lock()
			_ = j.store1(o, c, time.Unix(1e9, 0), nil)
			j.mu.Unlock()
		}
		_ = j.All()
	})
}
