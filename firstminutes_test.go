package httpsession

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// What a new user meets in the first ten minutes (issue "requests.Session,
// line for line"): each test names the item of that issue it keeps fixed.

// Item 1: the README's test command runs every module's tests.
func TestScriptsTestRunsEveryModule(t *testing.T) {
	script, err := os.ReadFile("scripts/test")
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^for mod in ([^;]+);`).FindSubmatch(script)
	require.NotNil(t, m, "scripts/test loops over the modules")
	listed := strings.Fields(string(m[1]))
	var modules []string
	err = filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".") && path != ".") {
			return filepath.SkipDir
		}
		if d.Name() == "go.mod" {
			modules = append(modules, filepath.Dir(path))
		}
		return nil
	})
	require.NoError(t, err)
	assert.ElementsMatch(t, modules, listed, "every module with a go.mod is tested by scripts/test")
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	assert.Contains(t, string(readme), "\nscripts/test ", "the README's test command is scripts/test")
}

// Item 13: a nested module requires the core by the version it is
// released with, which `go get` can download; v0.0.0 exists nowhere.
func TestNestedModulesRequireTheReleasedCore(t *testing.T) {
	for _, mod := range nestedModules(t) {
		gomod, err := os.ReadFile(filepath.Join(mod, "go.mod"))
		require.NoError(t, err)
		m := regexp.MustCompile(`(?m)^\s*(?:require\s+)?github\.com/httpsession/httpsession (\S+)`).FindSubmatch(gomod)
		require.NotNil(t, m, "%s requires the core", mod)
		assert.Equal(t, "v"+Version, string(m[1]), mod)
	}
}

// nestedModules lists the directories below the root that hold a go.mod.
func nestedModules(t *testing.T) []string {
	t.Helper()
	var mods []string
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != "." && (d.Name() == "testdata" || d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) {
			return filepath.SkipDir
		}
		if d.Name() == "go.mod" && path != "go.mod" {
			mods = append(mods, filepath.Dir(path))
		}
		return nil
	})
	require.NoError(t, err)
	return mods
}

// Item 13: go.mod and go.sum are tidy in every module.
func TestGoModTidy(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		requireInCI(t, "the go command is not on PATH")
		return
	}
	for _, dir := range append([]string{"."}, nestedModules(t)...) {
		cmd := exec.Command(goCmd, "mod", "tidy", "-diff")
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		assert.NoError(t, err, "go mod tidy -diff in %s:\n%s", dir, out)
	}
}

// requireInCI skips a test whose program is missing, and fails it when
// CI=true, where everything the tests need is installed.
func requireInCI(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s (CI=true: .ci/run installs it)", why)
	}
	t.Skip(why)
}

// Item 3: a per-request cookie is checked as Jar.Set checks a cookie, and a
// bad one sends nothing.
func TestPerRequestCookiesAreValidated(t *testing.T) {
	rec := &sessRecorder{}
	ts := sessServer(t, rec, nil)
	s := sessNew(t)
	bad := []struct {
		name   string
		cookie *http.Cookie
	}{
		{"a ';' would smuggle a second cookie (RFC 6265bis §4.1.1)", &http.Cookie{Name: "q", Value: "x;admin=true"}},
		{"a control character (§4.1.1)", &http.Cookie{Name: "q", Value: "x\x01y"}},
		{"a line break (§4.1.1)", &http.Cookie{Name: "q", Value: "x\r\nX-Evil: 1"}},
		{"DEL (§4.1.1)", &http.Cookie{Name: "q", Value: "x\x7f"}},
		{"a double quote net/http drops (§4.1.1)", &http.Cookie{Name: "q", Value: `x"y`}},
		{"a backslash net/http drops (§4.1.1)", &http.Cookie{Name: "q", Value: `x\y`}},
		{"UTF-8 net/http drops (§4.1.1)", &http.Cookie{Name: "q", Value: "café"}},
		{"a name with '=' (§4.1.1: a token)", &http.Cookie{Name: "a=b", Value: "x"}},
		{"a name with a space (§4.1.1)", &http.Cookie{Name: "a b", Value: "x"}},
		{"an empty name", &http.Cookie{Name: "", Value: "x"}},
		{"nil", nil},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Get(context.Background(), ts.URL+"/bad", Cookies(&http.Cookie{Name: "fine", Value: "1"}, tt.cookie))
			require.ErrorIs(t, err, ErrInvalidCookie)
			var ue *url.Error
			assert.ErrorAs(t, err, &ue)
			if tt.cookie != nil && tt.cookie.Value != "x" {
				assert.NotContains(t, err.Error(), tt.cookie.Value, "the value is not shown")
			}
		})
	}
	_, err := s.Get(context.Background(), ts.URL+"/bad", CookieMap(map[string]string{"q": "x;admin=true"}))
	require.ErrorIs(t, err, ErrInvalidCookie, "a map is checked too")
	assert.Empty(t, rec.byPath("/bad"), "nothing was sent")

	sessDone(t)(s.Get(context.Background(), ts.URL+"/good",
		Cookies(&http.Cookie{Name: "q", Value: "a b,c=d"}, &http.Cookie{Name: "t", Value: "x", Quoted: true})))
	assert.Equal(t, []string{`q="a b,c=d"; t="x"`}, rec.one(t, "/good").Header.Values("Cookie"),
		"spaces, commas, '=' and quoting are fine; a space or a comma is sent quoted")
}

// Item 3: a per-request value with a space or a comma goes in double
// quotes, as net/http's Cookie.String sends it: a space and a comma are no
// cookie-octets (RFC 6265bis §4.1.1), and unquoted, "theme=dark is_admin=1"
// is two cookies to Python's http.cookies.SimpleCookie. The jar's own
// cookies and pairs the caller wrote into a Cookie header go as they are.
func TestPerRequestCookiesWithASpaceOrACommaAreQuoted(t *testing.T) {
	rec := &sessRecorder{}
	ts := sessServer(t, rec, nil)
	j := NewJar()
	require.NoError(t, j.Set(Cookie{Name: "stored", Value: "a b", Domain: "127.0.0.1", HostOnly: true}))
	s := sessNew(t, WithJar(j))
	sessDone(t)(s.Get(context.Background(), ts.URL+"/map",
		CookieMap(map[string]string{"theme": "dark is_admin=1", "list": "a,b", "plain": "x"})))
	assert.Equal(t, `stored=a b; list="a,b"; plain=x; theme="dark is_admin=1"`, rec.one(t, "/map").Header.Get("Cookie"))

	given := &http.Cookie{Name: "q", Value: "a b"}
	sessDone(t)(s.Get(context.Background(), ts.URL+"/cookies",
		Cookies(given, &http.Cookie{Name: "r", Value: "c d", Quoted: true}),
		Header("Cookie", "hdr=e f")))
	assert.Equal(t, `stored=a b; q="a b"; r="c d"; hdr=e f`, rec.one(t, "/cookies").Header.Get("Cookie"),
		"quoted once, and the caller's own Cookie header as written")
	assert.False(t, given.Quoted, "the caller's cookie is not changed")

	// net/http quotes the same values.
	assert.Equal(t, `theme="dark is_admin=1"`, (&http.Cookie{Name: "theme", Value: "dark is_admin=1"}).String())
}

// Item 4: a nil context is an error, not a panic.
func TestNilContextIsAnError(t *testing.T) {
	s := sessNew(t)
	var ctx context.Context // nil
	calls := map[string]func() (*http.Response, error){
		"Get":      func() (*http.Response, error) { return s.Get(ctx, "http://127.0.0.1:1/") },
		"Head":     func() (*http.Response, error) { return s.Head(ctx, "http://127.0.0.1:1/") },
		"Delete":   func() (*http.Response, error) { return s.Delete(ctx, "http://127.0.0.1:1/") },
		"Post":     func() (*http.Response, error) { return s.Post(ctx, "http://127.0.0.1:1/", nil) },
		"Put":      func() (*http.Response, error) { return s.Put(ctx, "http://127.0.0.1:1/", nil) },
		"Patch":    func() (*http.Response, error) { return s.Patch(ctx, "http://127.0.0.1:1/", nil) },
		"PostForm": func() (*http.Response, error) { return s.PostForm(ctx, "http://127.0.0.1:1/", nil) },
		"PostJSON": func() (*http.Response, error) { return s.PostJSON(ctx, "http://127.0.0.1:1/", 1) },
		"Do(nil)":  func() (*http.Response, error) { return s.Do(nil) },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			var resp *http.Response
			var err error
			require.NotPanics(t, func() { resp, err = call() })
			require.Error(t, err)
			assert.Nil(t, resp)
			var ue *url.Error
			assert.ErrorAs(t, err, &ue)
		})
	}
}

// Item 5: Open("") is an error and leaves no lock file anywhere.
func TestOpenEmptyPathIsAnError(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "work")
	require.NoError(t, os.Mkdir(dir, 0o700))
	// t.Chdir needs Go 1.24; this module supports 1.23. The test is not
	// parallel, so no other test runs while the directory is changed.
	old, err := os.Getwd()
	require.NoError(t, err)
	require.NoError(t, os.Chdir(dir))
	t.Cleanup(func() { _ = os.Chdir(old) })
	s, err := Open("")
	require.ErrorIs(t, err, ErrUnsafePath)
	assert.Nil(t, s)
	for _, d := range []string{parent, dir} {
		entries, err := os.ReadDir(d)
		require.NoError(t, err)
		for _, e := range entries {
			assert.NotContains(t, e.Name(), ".lock", "no lock file in %s", d)
		}
	}
}

// Item 6 and 11: Do resolves a relative URL against the base URL, leaves
// the caller's request alone, and fails with a *url.Error as http.Client.Do.
func TestDoResolvesARelativeURLAgainstTheBaseURL(t *testing.T) {
	rec := &sessRecorder{}
	ts := sessServer(t, rec, nil)
	s := sessNew(t, WithBaseURL(ts.URL+"/api/"), WithQuery("k", "v"))
	req, err := http.NewRequest(http.MethodGet, "items?page=2", nil)
	require.NoError(t, err)
	sessDone(t)(s.Do(req))
	seen := rec.one(t, "/api/items")
	assert.Equal(t, "page=2&k=v", seen.RawQuery, "the session's query parameters too")
	assert.Equal(t, "items?page=2", req.URL.String(), "the caller's request is not changed")

	noBase := sessNew(t)
	_, err = noBase.Do(req)
	var ue *url.Error
	require.ErrorAs(t, err, &ue)
	assert.Equal(t, "Get", ue.Op)
	assert.ErrorIs(t, err, errNoBaseURL)

	req, err = http.NewRequest(http.MethodPost, "http://"+sessClosedAddr(t)+"/x?token=DOSECRET", nil)
	require.NoError(t, err)
	_, err = s.Do(req)
	require.ErrorAs(t, err, &ue)
	assert.Equal(t, "Post", ue.Op)
	assert.NotContains(t, err.Error(), "DOSECRET")
	assert.Contains(t, ue.URL, "token=REDACTED")
}

// Item 7: a new path ending in .txt is kept as cookies.txt, which curl
// reads.
func TestOpenNewTxtPathKeepsCookiesTxt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cookies.txt")
	s, err := Open(path)
	require.NoError(t, err)
	require.NoError(t, s.Jar().Set(Cookie{Name: "a", Value: "1", Domain: "example.com", Path: "/"}))
	require.NoError(t, s.Close())
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(data), "# Netscape HTTP Cookie File"), "%s", data)
	assert.Contains(t, string(data), ".example.com\tTRUE\t/\tFALSE\t0\ta\t1")
}

// Item 8: a Domain with a port is refused: cookies do not depend on ports
// (RFC 6265bis §8.5), so such a cookie would be stored and never sent.
func TestDomainWithAPortIsRefused(t *testing.T) {
	j := NewJar()
	for _, d := range []string{"127.0.0.1:8000", "example.com:443", "localhost:3000", ".example.com:80"} {
		for _, hostOnly := range []bool{true, false} {
			err := j.Set(Cookie{Name: "a", Value: "1", Domain: d, HostOnly: hostOnly})
			assert.ErrorIs(t, err, ErrInvalidCookie, "%s host-only=%v", d, hostOnly)
			assert.ErrorContains(t, err, "port")
		}
	}
	assert.Zero(t, j.Len())
	require.NoError(t, j.Set(Cookie{Name: "a", Value: "1", Domain: "::1", HostOnly: true}), "an IPv6 literal is not a port")
	assert.Equal(t, "a=1", j.CookieHeader(mustURL(t, "http://[::1]:8000/")))
	// From a server, "Domain=127.0.0.1:8000" does not match the host
	// (§5.7 step 10).
	err := j.SetRawCookie(mustURL(t, "http://127.0.0.1:8000/"), "b=2; Domain=127.0.0.1:8000")
	assert.ErrorIs(t, err, ErrInvalidCookie)
}

// An IP literal given as a cookie's Domain, with or without brackets, is
// stored as canonicalHost writes a URL's host, so that it is sent to that
// host, and host-only: an IP address domain-matches only itself (RFC
// 6265bis §5.1.3), so it is no public suffix either.
func TestSetCanonicalisesAnIPDomain(t *testing.T) {
	tests := []struct {
		domain   string
		hostOnly bool
		stored   string
		url      string
	}{
		{"::1", false, "::1", "http://[::1]/"},
		{"[::1]", false, "::1", "http://[::1]/"},
		{"[::1]", true, "::1", "http://[::1]:8080/"},
		{".::1", false, "::1", "http://[::1]/"},
		{"0:0:0:0:0:0:0:1", true, "::1", "http://[::1]/"},
		{"0:0:0:0:0:0:0:1", false, "::1", "http://[0:0::1]/"},
		{"2001:0DB8::1", true, "2001:db8::1", "http://[2001:db8::1]/"},
		{"[2001:0DB8:0:0::1]", false, "2001:db8::1", "http://[2001:DB8::0001]/"},
		{"fe80::1%eth0", true, "fe80::1", "http://[fe80::1%25eth0]/"},
		{"::FFFF:127.0.0.1", true, "::ffff:127.0.0.1", "http://[::ffff:127.0.0.1]/"},
		{"127.0.0.1", false, "127.0.0.1", "http://127.0.0.1/"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s host-only=%v", tt.domain, tt.hostOnly), func(t *testing.T) {
			j := NewJar()
			require.NoError(t, j.Set(Cookie{Name: "a", Value: "1", Domain: tt.domain, HostOnly: tt.hostOnly}))
			all := j.All()
			require.Len(t, all, 1)
			assert.Equal(t, tt.stored, all[0].Domain)
			assert.True(t, all[0].HostOnly, "§5.1.3: an IP address matches only itself")
			assert.Equal(t, "a=1", j.CookieHeader(mustURL(t, tt.url)))
		})
	}
	j := NewJar()
	assert.ErrorIs(t, j.Set(Cookie{Name: "a", Value: "1", Domain: "[::1]:8080"}), ErrInvalidCookie, "a port (§8.5)")
	assert.ErrorContains(t, j.Set(Cookie{Name: "a", Value: "1", Domain: "[::1]:8080"}), "port")
	assert.ErrorIs(t, j.Set(Cookie{Name: "a", Value: "1", Domain: "[example.com]"}), ErrInvalidCookie)
	assert.ErrorIs(t, j.Set(Cookie{Name: "a", Value: "1", Domain: "[::1"}), ErrInvalidCookie)
	assert.Zero(t, j.Len())
}

// Mistakes in a session's set-up are errors at New (and Open).
func TestNewRefusesMistakes(t *testing.T) {
	tests := []struct {
		name string
		opt  Option
	}{
		{"an empty base URL", WithBaseURL("")},
		{"a relative base URL", WithBaseURL("/api/")},
		{"a base URL without a host", WithBaseURL("http:///x")},
		{"a base URL that is not http(s)", WithBaseURL("ftp://example.com/")},
		{"a base URL that does not parse", WithBaseURL("http://exa mple.com/")},
		{"a header name that is not a token (RFC 9110 §5.1)", WithHeader("X Bad", "1")},
		{"a header name with a colon (RFC 9110 §5.1)", WithHeader("X-Bad:", "1")},
		{"a header value with a line break (RFC 9110 §5.5)", WithHeader("X-Token", "HSECRET\r\nX-Evil: 1")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(tt.opt)
			require.Error(t, err)
			assert.Nil(t, s)
			assert.NotContains(t, err.Error(), "HSECRET")
			s, err = Open(filepath.Join(t.TempDir(), "c.json"), tt.opt)
			require.Error(t, err)
			assert.Nil(t, s)
		})
	}
	s := sessNew(t)
	_, err := s.Get(context.Background(), "http://127.0.0.1:1/", Header("X-Token", "RSECRET\nX-Evil: 1"))
	require.Error(t, err, "a bad per-request header fails the request")
	assert.NotContains(t, err.Error(), "RSECRET")
}

// Item 9: query values never reach a debug log or an error; their keys do.
func TestQuerySecretsStayOutOfLogsAndErrors(t *testing.T) {
	rec := &sessRecorder{}
	ts := sessServer(t, rec, nil)
	logger, buf := sessLogger()
	s := sessNew(t, WithLogger(logger), WithQuery("api_key", "QSECRET1"))
	sessDone(t)(s.Get(context.Background(), ts.URL+"/p?token=QSECRET2&page=3#frag=QSECRET3"))
	assert.Equal(t, "token=QSECRET2&page=3&api_key=QSECRET1", rec.one(t, "/p").RawQuery, "the server gets the real values")
	_, err := s.Get(context.Background(), "http://user:QSECRET4@"+sessClosedAddr(t)+"/p?token=QSECRET2", Query("sig", "QSECRET5"))
	require.Error(t, err)
	log := strings.Join(buf.lines(), "\n")
	for _, text := range []string{log, err.Error()} {
		for _, secret := range []string{"QSECRET1", "QSECRET2", "QSECRET3", "QSECRET4", "QSECRET5"} {
			assert.NotContains(t, text, secret)
		}
		assert.Contains(t, text, "token=REDACTED")
	}
	assert.Contains(t, log, "api_key=REDACTED")
	assert.Contains(t, err.Error(), "sig=REDACTED")
}

// A token as a URL's user name, and query parts with no value, are secrets
// as much as a password and a query value are (issue 20, point 3).
func TestUserNameTokensAndBareQueryKeysStayOutOfLogsAndErrors(t *testing.T) {
	rec := &sessRecorder{}
	ts := sessServer(t, rec, nil)
	logger, buf := sessLogger()
	s := sessNew(t, WithLogger(logger))
	u := strings.Replace(ts.URL, "http://", "http://ghp_USECRET1@", 1)
	sessDone(t)(s.Get(context.Background(), u+"/p?USECRET2&a=1&token%3DUSECRET3", Query("USECRET4", "")))
	_, err := s.Get(context.Background(), "http://ghp_USECRET1@"+sessClosedAddr(t)+"/p?USECRET2", Query("USECRET4", ""))
	require.Error(t, err)
	log := strings.Join(buf.lines(), "\n")
	for _, text := range []string{log, err.Error()} {
		for _, secret := range []string{"USECRET1", "USECRET2", "USECRET3", "USECRET4"} {
			assert.NotContains(t, text, secret)
		}
		assert.Contains(t, text, "REDACTED@")
	}
}

// Item 9: a Set-Cookie line that net/http cannot parse does not carry its
// value into an error or a log: net/textproto quotes the whole line.
func TestMalformedSetCookieLineStaysOutOfErrors(t *testing.T) {
	addr := rawHTTPServer(t, "HTTP/1.1 200 OK\r\nSet-Cookie: sid=CSECRET\x01x\r\nContent-Length: 0\r\n\r\n")
	logger, buf := sessLogger()
	s := sessNew(t, WithLogger(logger))
	_, err := s.Get(context.Background(), "http://"+addr+"/")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "malformed MIME header", "net/http's reason is kept")
	assert.Contains(t, err.Error(), "Set-Cookie: REDACTED", "with the header's name")
	assert.NotContains(t, err.Error(), "CSECRET")
	assert.NotContains(t, strings.Join(buf.lines(), "\n"), "CSECRET")
}

// rawHTTPServer answers every connection with response, whatever the
// request, and returns its address.
func rawHTTPServer(t *testing.T, response string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var wg sync.WaitGroup
	t.Cleanup(func() { _ = l.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			r := bufio.NewReader(c)
			for {
				line, err := r.ReadString('\n')
				if err != nil || line == "\r\n" {
					break
				}
			}
			_, _ = c.Write([]byte(response))
			_ = c.Close()
		}
	}()
	return l.Addr().String()
}

// Item 9: a URL that does not parse is never shown, but for its scheme:
// which part of it is the password cannot be told ("https://bob:PW/X@h/"
// fails to parse because of it). A message that reports something
// malformed (a URL, a Location header, a status line) shows none of the
// text it quotes. A fragment is hidden whole, and query keys stay.
func TestUnparsableURLsAndMalformedRepliesStayOutOfErrors(t *testing.T) {
	logger, buf := sessLogger()
	s := sessNew(t, WithLogger(logger))
	ctx := context.Background()
	secrets := []string{"SECRET"}
	checkErr := func(t *testing.T, err error, words ...string) {
		t.Helper()
		require.Error(t, err)
		for _, w := range append(words, secrets...) {
			assert.NotContains(t, err.Error(), w)
		}
	}

	t.Run("request URLs that do not parse", func(t *testing.T) {
		for _, tt := range []struct{ raw, shown string }{
			{"https://bob:PW1/SECRET@api.example.com/", "https://REDACTED"},
			{"https://bob:PW2 SECRET@h/", "https://REDACTED"},
			{"https://bob:PW3#SECRET@h/", "https://REDACTED"},
			{"http://h/%zz?key=a SECRET", "http://REDACTED"},
			{"http://h:bad/?key=abc'SECRET", "http://REDACTED"},
		} {
			_, err := s.Get(ctx, tt.raw)
			checkErr(t, err, "PW1", "PW2", "PW3")
			var ue *url.Error
			require.ErrorAs(t, err, &ue)
			assert.Equal(t, tt.shown, ue.URL, tt.raw)
		}
	})

	t.Run("a base URL that does not parse", func(t *testing.T) {
		opt := WithBaseURL("https://bob:PW4?SECRET@api.example.com/")
		_, err := New(opt)
		checkErr(t, err, "PW4")
		_, err = Open(filepath.Join(t.TempDir(), "c.json"), opt)
		checkErr(t, err, "PW4")
	})

	t.Run("a Location header that does not parse", func(t *testing.T) {
		ts := sessServer(t, &sessRecorder{}, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Location", "http://h:bad/?tok=a SECRET")
			w.WriteHeader(http.StatusFound)
		})
		_, err := s.Get(ctx, ts.URL+"/redirect")
		checkErr(t, err)
		assert.Contains(t, err.Error(), `failed to parse Location header "REDACTED"`, "net/http's reason is kept")
	})

	t.Run("a malformed status line", func(t *testing.T) {
		addr := rawHTTPServer(t, "Set-Cookie: sid=SECRET\r\n\r\n")
		_, err := s.Get(ctx, "http://"+addr+"/")
		checkErr(t, err)
		assert.Contains(t, err.Error(), `malformed HTTP status code "REDACTED"`)
	})

	t.Run("fragments and query keys", func(t *testing.T) {
		rec := &sessRecorder{}
		ts := sessServer(t, rec, nil)
		sessDone(t)(s.Get(ctx, ts.URL+"/frag?token=FSECRET1&flag#access_tokenFSECRET2"))
		_, err := s.Get(ctx, "http://"+sessClosedAddr(t)+"/frag?token=FSECRET1&flag#FSECRET2")
		checkErr(t, err, "FSECRET1", "FSECRET2")
		var ue *url.Error
		require.ErrorAs(t, err, &ue)
		assert.True(t, strings.HasSuffix(ue.URL, "/frag?token=REDACTED&REDACTED#REDACTED"), ue.URL)
	})

	log := strings.Join(buf.lines(), "\n")
	for _, w := range append([]string{"PW1", "PW2", "PW3", "PW4", "FSECRET1", "FSECRET2"}, secrets...) {
		assert.NotContains(t, log, w)
	}
	assert.Contains(t, log, "?token=REDACTED&REDACTED#REDACTED")
}

// redactText, on the texts net/http, net/url and net/textproto quote.
func TestRedactText(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`Get "https://bob:PW/SECRET@api.example.com/": parse "https://bob:PW/SECRET@api.example.com/": invalid port ":PW" after host`,
			`Get "REDACTED": parse "REDACTED": invalid port "REDACTED" after host`},
		{`failed to parse Location header "http://h:bad/?tok=a SECRET": parse "http://h:bad/?tok=a SECRET": invalid port ":bad" after host`,
			`failed to parse Location header "REDACTED": parse "REDACTED": invalid port "REDACTED" after host`},
		{`parse "https://bob:PW SECRET@h/": net/url: invalid userinfo`, `parse "REDACTED": net/url: invalid userinfo`},
		{`net/http: HTTP/1.x transport connection broken: malformed HTTP status code "sid=SECRET"`,
			`net/http: HTTP/1.x transport connection broken: malformed HTTP status code "REDACTED"`},
		{`malformed MIME header line: "Set-Cookie: sid=SECRET"`, `malformed MIME header line: "Set-Cookie: REDACTED"`},
		{`malformed HTTP response "HTTP/1.1 200 \"cut short`, `malformed HTTP response "REDACTED"`},
		{`Get "http://h/?key=abc'SECRET&flag#SECRET": EOF`, `Get "http://h/?key=REDACTED&REDACTED#REDACTED": EOF`},
		{`Get "http://h/?key=a SECRET": EOF`, `Get "http://h/?key=REDACTED": EOF`},
		{`Get http://bob:PW@h/?x=SECRET: EOF`, `Get http://REDACTED@h/?x=REDACTED: EOF`},
		{`Get http://ghp_SECRET@h/: EOF`, `Get http://REDACTED@h/: EOF`},
		{`Get http://h/?a=1&SECRET&b=2;token%3DSECRET: EOF`, `Get http://h/?a=REDACTED&REDACTED&b=REDACTED;REDACTED: EOF`},
		{`Get http://h/?SECRET=: EOF`, `Get http://h/?REDACTED: EOF`},
		{`Get http://bob:PW/SECRET@h/: EOF`, `Get http://REDACTED: EOF`},
		{`see /p?key=abc'SECRET and //bob:PW@h/`, `see /p?key=REDACTED and //REDACTED@h/`},
		{`dial tcp 127.0.0.1:8080: connect: connection refused (per-request cookie #1)`,
			`dial tcp 127.0.0.1:8080: connect: connection refused (per-request cookie #1)`},
		{`unsupported protocol scheme "ftp"`, `unsupported protocol scheme "ftp"`},
	} {
		got := redactText(tt.in)
		assert.Equal(t, tt.want, got, tt.in)
		assert.NotContains(t, got, "SECRET")
		assert.NotContains(t, got, "PW")
	}
	assert.Equal(t, "https://REDACTED", redactRawURL("https://bob:PW?SECRET@api.example.com/"))
	assert.Equal(t, "http://h/?token=REDACTED&REDACTED#REDACTED", redactRawURL("http://h/?token=x&flag#access_token"))
}

// A nil option of any kind (Option, JarOption, RequestOption, SaveOption)
// is skipped, not called.
func TestNilOptionsAreIgnored(t *testing.T) {
	rec := &sessRecorder{}
	ts := sessServer(t, rec, nil)
	ctx := context.Background()
	dir := t.TempDir()
	var s *Session
	var err error
	require.NotPanics(t, func() { s, err = New(nil) }, "New(nil)")
	require.NoError(t, err)
	require.NoError(t, s.Close())
	require.NotPanics(t, func() { s, err = New(WithJarOptions(nil), WithSaveOptions(nil)) }, "WithJarOptions(nil)")
	require.NoError(t, err)
	require.NoError(t, s.Close())
	require.NotPanics(t, func() { s, err = Open(filepath.Join(dir, "s.json"), nil, WithSaveOptions(nil)) }, "Open(path, nil)")
	require.NoError(t, err)
	require.NoError(t, s.Close(), "saves with a nil SaveOption")

	s = sessNew(t)
	require.NotPanics(t, func() {
		sessDone(t)(s.Get(ctx, ts.URL+"/nil", nil, Header("X-A", "1"), nil))
	}, "Get(ctx, url, nil)")
	assert.Equal(t, "1", rec.one(t, "/nil").Header.Get("X-A"), "the other options apply")

	var j *Jar
	require.NotPanics(t, func() { j = NewJar(nil, WithLimits(10, 10), nil) }, "NewJar(nil)")
	require.NoError(t, j.Set(Cookie{Name: "a", Value: "1", Domain: "example.com"}))
	require.NotPanics(t, func() {
		err = j.SaveContext(ctx, filepath.Join(dir, "j.json"), nil, LockTimeout(time.Second), nil)
	}, "SaveContext(ctx, path, nil)")
	require.NoError(t, err)
	require.NotPanics(t, func() { err = j.SaveNetscapeContext(ctx, filepath.Join(dir, "j.txt"), nil) }, "SaveNetscapeContext")
	require.NoError(t, err)
}
