package httpsession

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests hand cookie files to the real programs that share the format:
// Debian's curl and Debian's Python (http.cookiejar.MozillaCookieJar). The
// programs are named by absolute path so that a curl or python3 elsewhere on
// PATH (pyenv, Homebrew) cannot stand in for the ones CI installs.
const (
	interopCurl   = "/usr/bin/curl"
	interopPython = "/usr/bin/python3"
)

// interopSetCookie is what the test server sends from /set, and what the
// jar side of the tests stores: host-only and domain cookies, session and
// persistent ones, Secure, HttpOnly, path cookies, an empty value and a
// quoted one.
var interopSetCookie = []string{
	"host=h1; Path=/",
	"hostp=h2; Path=/; Max-Age=7200",
	"dom=d1; Domain=example.test; Path=/",
	"domp=d2; Domain=example.test; Path=/; Max-Age=3600",
	"sec=s1; Path=/; Secure",
	"ho=x1; Path=/; HttpOnly; Max-Age=3600",
	"app=a1; Path=/app",
	"domapp=a2; Domain=example.test; Path=/app; Secure; HttpOnly",
	"empty=; Path=/",
	`quoted="q v"; Path=/`,
}

// requireProgram skips the test when a peer program is missing, except in
// CI, where a missing program means the CI script failed to install it and
// the interoperability claims would go untested.
func requireProgram(t *testing.T, path string) {
	t.Helper()
	if _, err := exec.LookPath(path); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required in CI: %v", path, err)
		}
		t.Skipf("%s not found, skipping the test against it: %v", path, err)
	}
}

// runPeer runs a peer program with a deadline, so that a hung program fails
// the test instead of stalling the suite.
func runPeer(t *testing.T, stdin []byte, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	require.NoError(t, err, "%s %s\nstderr: %s", name, strings.Join(args, " "), stderr.String())
	return stdout.String()
}

// interopServers runs the same handler over https and plain http on
// 127.0.0.1: /set sends interopSetCookie, and every other path echoes the
// Cookie header it received. Two schemes, because curl takes Secure cookies
// only over https and the tests check that they are withheld over http.
type interopServers struct {
	tls, plain *httptest.Server
}

func newInteropServers(t *testing.T) *interopServers {
	t.Helper()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/set" {
			for _, c := range interopSetCookie {
				w.Header().Add("Set-Cookie", c)
			}
			return
		}
		_, _ = w.Write([]byte(strings.Join(r.Header.Values("Cookie"), "; ")))
	})
	s := &interopServers{tls: httptest.NewTLSServer(h), plain: httptest.NewServer(h)}
	t.Cleanup(s.tls.Close)
	t.Cleanup(s.plain.Close)
	return s
}

func serverPort(t *testing.T, s *httptest.Server) string {
	t.Helper()
	u, err := url.Parse(s.URL)
	require.NoError(t, err)
	return u.Port()
}

// The names the tests use. Domain cookies need a real domain, which an IP
// address is not; curl's --resolve points these at the test servers.
var interopHosts = []string{"www.example.test", "api.example.test", "example.test"}

// urls returns the request URLs whose Cookie headers the tests compare:
// the setting host, a path below a path cookie, a path that only shares its
// prefix, plain http (no Secure cookies), a sibling host (domain cookies
// only) and the parent domain itself.
func (s *interopServers) urls(t *testing.T) []string {
	tls, plain := serverPort(t, s.tls), serverPort(t, s.plain)
	return []string{
		"https://www.example.test:" + tls + "/",
		"https://www.example.test:" + tls + "/app/page",
		"https://www.example.test:" + tls + "/application",
		"http://www.example.test:" + plain + "/app/page",
		"https://api.example.test:" + tls + "/app",
		"https://example.test:" + tls + "/",
	}
}

// curl runs curl against the test servers with every test name resolved to
// 127.0.0.1.
func (s *interopServers) curl(t *testing.T, args ...string) string {
	t.Helper()
	// -q first: ignore any ~/.curlrc. --noproxy: a proxy from the
	// environment must not see these requests. -k: httptest's certificate
	// is self-signed.
	all := []string{"-q", "-sS", "-k", "--noproxy", "*", "--max-time", "4"}
	for _, h := range interopHosts {
		for _, srv := range []*httptest.Server{s.tls, s.plain} {
			all = append(all, "--resolve", h+":"+serverPort(t, srv)+":127.0.0.1")
		}
	}
	return runPeer(t, nil, interopCurl, append(all, args...)...)
}

// cookieSet splits a Cookie header into its cookies, sorted. Peers agree on
// which cookies to send but not on their order among equal path lengths:
// RFC 6265bis orders those by creation time, which cookies.txt does not
// carry; curl orders them by domain and name length, Python by its
// dictionary order.
func cookieSet(header string) []string {
	if header == "" {
		return nil
	}
	parts := strings.Split(header, "; ")
	slices.Sort(parts)
	return parts
}

// interopFile makes a path for a cookie file in a private directory.
func interopFile(t *testing.T, name string) string {
	return filepath.Join(t.TempDir(), name)
}

// TestInteropCurlWritesWeRead: curl's own cookie jar (-c), loaded by us,
// gives the Cookie header curl itself sends from it (-b).
func TestInteropCurlWritesWeRead(t *testing.T) {
	requireProgram(t, interopCurl)
	s := newInteropServers(t)
	file := interopFile(t, "curl.txt")
	s.curl(t, "-c", file, "https://www.example.test:"+serverPort(t, s.tls)+"/set")

	data, err := os.ReadFile(file)
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(data, []byte("# Netscape HTTP Cookie File\n")), "curl wrote:\n%s", data)

	viaReader := NewJar()
	f, err := os.Open(file)
	require.NoError(t, err)
	defer f.Close()
	require.NoError(t, viaReader.ReadNetscape(f))
	viaLoad := NewJar()
	require.NoError(t, viaLoad.Load(file))
	require.Equal(t, len(interopSetCookie), viaReader.Len(), "every cookie curl kept is loaded; curl wrote:\n%s", data)

	// The attributes curl recorded arrive intact.
	for _, c := range viaReader.All() {
		switch c.Name {
		case "host", "hostp", "sec", "ho", "app", "empty", "quoted":
			assert.Equal(t, "www.example.test", c.Domain, c.Name)
			assert.True(t, c.HostOnly, c.Name)
		default:
			assert.Equal(t, "example.test", c.Domain, c.Name)
			assert.False(t, c.HostOnly, c.Name)
		}
		assert.Equal(t, c.Name == "sec" || c.Name == "domapp", c.Secure, c.Name)
		assert.Equal(t, c.Name == "ho" || c.Name == "domapp", c.HttpOnly, c.Name)
		assert.Equal(t, c.Name == "hostp" || c.Name == "domp" || c.Name == "ho", !c.Expires.IsZero(), c.Name)
	}

	for _, u := range s.urls(t) {
		sent := s.curl(t, "-b", file, u)
		assert.Equal(t, cookieSet(sent), cookieSet(viaReader.CookieHeader(mustURL(t, u))), "ReadNetscape, %s", u)
		assert.Equal(t, cookieSet(sent), cookieSet(viaLoad.CookieHeader(mustURL(t, u))), "Load, %s", u)
	}
}

// interopPythonScript loads a cookies.txt file into MozillaCookieJar, or
// fills a jar from Set-Cookie lines and saves it, then prints the Cookie
// header Python would send to each URL. No network: add_cookie_header only
// needs a Request.
const interopPythonScript = `
import email.message, json, sys, urllib.request
from http.cookiejar import MozillaCookieJar

job = json.load(sys.stdin)
jar = MozillaCookieJar()
if job["mode"] == "load":
    # Known Python quirk: MozillaCookieJar takes expiry 0, which curl and
    # httpsession write for session cookies, as a time in 1970. load()
    # drops such cookies unless ignore_expires=True, and add_cookie_header
    # still withholds them as expired, so they are turned into what Python
    # itself uses for a session cookie: no expiry, discard.
    jar.load(job["file"], ignore_discard=True, ignore_expires=True)
    for c in jar:
        if c.expires == 0:
            c.expires, c.discard = None, True
else:
    class Response:
        def __init__(self, lines):
            self.msg = email.message.Message()
            for line in lines:
                self.msg["Set-Cookie"] = line
        def info(self):
            return self.msg
    jar.extract_cookies(Response(job["set_cookie"]), urllib.request.Request(job["origin"]))
    jar.save(job["file"], ignore_discard=True)

headers = []
for u in job["urls"]:
    req = urllib.request.Request(u)
    jar.add_cookie_header(req)
    headers.append(req.get_header("Cookie") or "")
print(json.dumps(headers))
`

// pythonHeaders runs interopPythonScript with job and returns its headers.
func pythonHeaders(t *testing.T, job map[string]any) []string {
	t.Helper()
	in, err := json.Marshal(job)
	require.NoError(t, err)
	// -I: isolated mode, so no PYTHON* variable or user site-packages can
	// change the standard library under test.
	out := runPeer(t, in, interopPython, "-I", "-c", interopPythonScript)
	var headers []string
	require.NoError(t, json.Unmarshal([]byte(out), &headers), "python printed %q", out)
	return headers
}

// TestInteropWeWriteCurlAndPythonRead: a file from SaveNetscape is read by
// curl (-b) and by Python's MozillaCookieJar, and each sends the header we
// would send.
func TestInteropWeWriteCurlAndPythonRead(t *testing.T) {
	requireProgram(t, interopCurl)
	requireProgram(t, interopPython)
	s := newInteropServers(t)
	urls := s.urls(t)

	jar := NewJar()
	jar.SetRawCookies(mustURL(t, "https://www.example.test/set"), interopSetCookie)
	// A cookie net/http parsed, whose quotes live in Quoted, not Value.
	require.NoError(t, jar.Set(Cookie{Name: "nq", Value: "a b", Quoted: true, Domain: "example.test", Path: "/"}))
	require.Equal(t, len(interopSetCookie)+1, jar.Len())

	file := interopFile(t, "ours.txt")
	require.NoError(t, jar.SaveNetscape(file))
	fi, err := os.Stat(file)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "cookie files hold credentials")

	for _, u := range urls {
		sent := s.curl(t, "-b", file, u)
		assert.Equal(t, cookieSet(jar.CookieHeader(mustURL(t, u))), cookieSet(sent), "curl, %s", u)
	}

	// A nameless cookie only for Python: curl 7.88 splits lines with
	// strtok, which merges the empty name field with the next, so it reads
	// the value as a name and sends "solo=".
	jar.SetRawCookies(mustURL(t, "https://www.example.test/"), []string{"solo; Path=/"})
	require.NoError(t, jar.SaveNetscape(file))
	py := pythonHeaders(t, map[string]any{"mode": "load", "file": file, "urls": urls})
	require.Len(t, py, len(urls))
	for i, u := range urls {
		assert.Equal(t, cookieSet(jar.CookieHeader(mustURL(t, u))), cookieSet(py[i]), "python, %s", u)
	}
}

// TestInteropPythonWritesWeRead: a file from MozillaCookieJar.save, which
// writes session cookies with an empty expiry and nameless cookies with an
// empty name, gives the header Python sends.
func TestInteropPythonWritesWeRead(t *testing.T) {
	requireProgram(t, interopPython)
	s := newInteropServers(t)
	urls := s.urls(t)
	file := interopFile(t, "python.txt")
	py := pythonHeaders(t, map[string]any{
		"mode":       "save",
		"file":       file,
		"origin":     "https://www.example.test/set",
		"set_cookie": append(slices.Clone(interopSetCookie), "solo; Path=/"),
		"urls":       urls,
	})
	require.Len(t, py, len(urls))

	data, err := os.ReadFile(file)
	require.NoError(t, err)
	jar := NewJar()
	f, err := os.Open(file)
	require.NoError(t, err)
	defer f.Close()
	require.NoError(t, jar.ReadNetscape(f), "python wrote:\n%s", data)
	require.Equal(t, len(interopSetCookie)+1, jar.Len(), "python wrote:\n%s", data)
	for i, u := range urls {
		assert.Equal(t, cookieSet(py[i]), cookieSet(jar.CookieHeader(mustURL(t, u))), "%s; python wrote:\n%s", u, data)
	}
}
