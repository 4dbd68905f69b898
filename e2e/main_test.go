//go:build unix

// Package e2e proves the library against real, independently written
// programs from Debian: a Django site (python3-django), httpbin
// (python3-httpbin), Python requests (python3-requests) and curl.
//
// The servers run under /usr/bin/python3 on 127.0.0.1, on ports the kernel
// picks, started on first use and stopped by TestMain (they also stop when
// the test process dies: their stdin closes). Without a Debian package the
// tests that need it skip and name it; with CI=true they fail instead.
//
// Every host name the tests use (www.example.test, shop.github.io, ...)
// dials 127.0.0.1: no traffic leaves the machine.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/httpsession/httpsession"
)

// The programs, by absolute path: Debian's, not a pyenv or Homebrew python3
// that happens to be first on PATH.
const (
	pythonPath = "/usr/bin/python3"
	curlPath   = "/usr/bin/curl"
)

// The user the Django site is created with.
const (
	djangoUser     = "alice"
	djangoPassword = "wonderland-e2e"
)

// Debian packages the tests need, each with how to tell it is there.
var packageChecks = map[string]func() error{
	"python3":          func() error { _, err := os.Stat(pythonPath); return err },
	"python3-django":   func() error { return pythonImports("django") },
	"python3-httpbin":  func() error { return pythonImports("httpbin", "flask") },
	"python3-requests": func() error { return pythonImports("requests") },
	"curl":             func() error { _, err := os.Stat(curlPath); return err },
}

var (
	checkMu sync.Mutex
	checked = map[string]error{}
)

// patience bounds one wait for a program or a server: Python importing a
// module, a server starting, one request. It only stops a test whose
// program hangs, so it is generous: on a machine busy with other work,
// Django's start or its password hashing can take many times what it takes
// on an idle one. A whole test is bounded by testContext.
const patience = 3 * time.Minute

func pythonImports(modules ...string) error {
	if _, err := os.Stat(pythonPath); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	out, err := exec.CommandContext(ctx, pythonPath, "-c", "import "+strings.Join(modules, ", ")).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s cannot import %s: %v: %s", pythonPath, strings.Join(modules, ", "), err, bytes.TrimSpace(out))
	}
	return nil
}

// requirePackages skips the test when a Debian package it needs is
// missing, naming the package; with CI=true, where .ci/run installs them,
// a missing package fails the test instead.
func requirePackages(t *testing.T, pkgs ...string) {
	t.Helper()
	var missing []string
	var reasons []string
	for _, pkg := range pkgs {
		checkMu.Lock()
		err, ok := checked[pkg]
		if !ok {
			err = packageChecks[pkg]()
			checked[pkg] = err
		}
		checkMu.Unlock()
		if err != nil {
			missing = append(missing, pkg)
			reasons = append(reasons, err.Error())
		}
	}
	if len(missing) == 0 {
		return
	}
	msg := fmt.Sprintf("missing Debian package(s) %s (apt-get install -y %s): %s",
		strings.Join(missing, ", "), strings.Join(missing, " "), strings.Join(reasons, "; "))
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// server is one of testdata/serve.py's applications, running.
type server struct {
	name  string
	url   string // http://127.0.0.1:PORT
	port  string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	dir   string // its temporary files (Django's database), removed by stop
	log   *syncBuffer
}

// syncBuffer collects a server's stderr while tests read it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

var (
	serversMu sync.Mutex
	servers   = map[string]*server{}
	startErrs = map[string]error{}
)

func TestMain(m *testing.M) {
	if os.Getenv(reloginWorkerEnv) != "" {
		os.Exit(reloginWorker())
	}
	code := m.Run()
	serversMu.Lock()
	for _, s := range servers {
		s.stop()
	}
	serversMu.Unlock()
	os.Exit(code)
}

// djangoServer returns the Django site, started on first use with a fresh
// SQLite database and the user djangoUser.
func djangoServer(t *testing.T) *server {
	t.Helper()
	requirePackages(t, "python3", "python3-django")
	return sharedServer(t, "django", "/accounts/login/")
}

// httpbinServer returns httpbin, started on first use.
func httpbinServer(t *testing.T) *server {
	t.Helper()
	requirePackages(t, "python3", "python3-httpbin")
	return sharedServer(t, "httpbin", "/get")
}

// sharedServer starts the named application once for the whole package.
// A server that does not start fails every test that needs it.
func sharedServer(t *testing.T, name, readyPath string) *server {
	t.Helper()
	serversMu.Lock()
	defer serversMu.Unlock()
	defer markStart(t)
	if s := servers[name]; s != nil {
		t.Cleanup(func() { s.logOnFailure(t) })
		return s
	}
	if err := startErrs[name]; err != nil {
		t.Fatalf("the %s server did not start earlier: %v", name, err)
	}
	s, err := startServer(name, readyPath)
	if err != nil {
		startErrs[name] = err
		t.Fatalf("start the %s server: %v", name, err)
	}
	servers[name] = s
	t.Cleanup(func() { s.logOnFailure(t) })
	return s
}

// logOnFailure shows the server's log, tracebacks included, under a
// failed test.
func (s *server) logOnFailure(t *testing.T) {
	if t.Failed() {
		t.Logf("%s server log:\n%s", s.name, s.log.String())
	}
}

// startServer runs testdata/serve.py name in its own process group, reads
// the address it listens on and polls readyPath until it answers, within
// a deadline that only catches a server that never starts.
func startServer(name, readyPath string) (_ *server, err error) {
	const startTimeout = patience
	deadline := time.Now().Add(startTimeout)
	wd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "httpsession-e2e-"+name+"-")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(pythonPath, filepath.Join(wd, "testdata", "serve.py"), name)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"E2E_DJANGO_DB="+filepath.Join(dir, "db.sqlite3"),
		"E2E_DJANGO_USER="+djangoUser,
		"E2E_DJANGO_PASSWORD="+djangoPassword,
		"E2E_SERVER_LOG=1",
		"PYTHONDONTWRITEBYTECODE=1",
		"PYTHONUNBUFFERED=1",
	)
	cmd.SysProcAttr = serverSysProcAttr()
	s := &server{name: name, cmd: cmd, dir: dir, log: &syncBuffer{}}
	defer func() {
		if err != nil {
			s.stop()
			err = fmt.Errorf("%w; log:\n%s", err, s.log.String())
		}
	}()
	cmd.Stderr = s.log
	if s.stdin, err = cmd.StdinPipe(); err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	// The first line says where it listens; the rest is drained.
	lines := make(chan string, 1)
	go func() {
		r := bufio.NewReader(stdout)
		line, _ := r.ReadString('\n')
		lines <- strings.TrimSpace(line)
		_, _ = io.Copy(io.Discard, r)
	}()
	select {
	case line := <-lines:
		u, ok := strings.CutPrefix(line, "READY ")
		if !ok {
			return nil, fmt.Errorf("serve.py %s said %q, not READY", name, line)
		}
		s.url = u
	case <-time.After(time.Until(deadline)):
		return nil, fmt.Errorf("serve.py %s not listening after %v", name, startTimeout)
	}
	pu, err := url.Parse(s.url)
	if err != nil {
		return nil, err
	}
	s.port = pu.Port()
	// It listens; poll until it answers, within the deadline. (Django
	// answers its first request only once it has loaded the application:
	// there is no line to wait for, only an answer.)
	client := &http.Client{
		Transport:     &http.Transport{Proxy: nil},
		Timeout:       time.Until(deadline),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	defer client.CloseIdleConnections()
	for {
		resp, err := client.Get(s.url + readyPath)
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode < 500 {
				return s, nil
			}
			err = fmt.Errorf("status %s", resp.Status)
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("serve.py %s does not answer %s: %w", name, readyPath, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop ends the server's process group, waits for it and removes its
// files.
func (s *server) stop() {
	if s.stdin != nil {
		_ = s.stdin.Close()
	}
	if s.cmd.Process != nil {
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		_ = s.cmd.Wait()
	}
	_ = os.RemoveAll(s.dir)
}

// at returns the server's URL under another host name (which dials
// 127.0.0.1 all the same with loopbackTransport) and path.
func (s *server) at(host, path string) string {
	return "http://" + net.JoinHostPort(host, s.port) + path
}

// loopbackTransport dials 127.0.0.1 whatever host a request names, keeping
// its port: http://www.example.test:PORT reaches the test server as
// Django's ALLOWED_HOSTS and the cookie rules see that name. No proxy.
func loopbackTransport(t *testing.T) *http.Transport {
	t.Helper()
	d := &net.Dialer{Timeout: patience}
	tr := &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			_, port, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			return d.DialContext(ctx, "tcp", net.JoinHostPort("127.0.0.1", port))
		},
		ResponseHeaderTimeout: patience,
	}
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

// newSession returns an in-memory session that reaches the test servers
// under any name.
func newSession(t *testing.T, opts ...httpsession.Option) *httpsession.Session {
	t.Helper()
	s, err := httpsession.New(append([]httpsession.Option{httpsession.WithTransport(loopbackTransport(t))}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// openSession returns a session kept in the file at path.
func openSession(t *testing.T, path string, opts ...httpsession.Option) *httpsession.Session {
	t.Helper()
	s, err := httpsession.Open(path, append([]httpsession.Option{httpsession.WithTransport(loopbackTransport(t))}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// testContext bounds one test's requests and programs: it ends a little
// before the test binary's deadline (go test -timeout), so that a test that
// runs out of time fails with its own message and the servers' logs, and
// the servers are stopped, instead of the binary panicking. How long a
// test takes depends on the machine and how busy it is, so no fixed budget
// both holds on a slow machine and is shorter than -timeout. Without a
// deadline (-timeout 0) the context never ends.
func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	if deadline, ok := t.Deadline(); ok {
		// A tenth of the time left for the report, between 5 seconds and
		// a minute.
		margin := min(max(time.Until(deadline)/10, 5*time.Second), time.Minute)
		ctx, cancel = context.WithDeadline(context.Background(), deadline.Add(-margin))
	}
	t.Cleanup(cancel)
	return ctx
}

// processStart is when the test binary started.
var processStart = time.Now()

// testStarts holds when each running test got its server (markStart).
var testStarts sync.Map // *testing.T → time.Time

// markStart records that t starts now, for testStart.
func markStart(t *testing.T) {
	if _, loaded := testStarts.LoadOrStore(t, time.Now()); !loaded {
		t.Cleanup(func() { testStarts.Delete(t) })
	}
}

// testStart returns when t got its server, before any of its requests;
// for a test that got none (a subtest), when the test binary started.
func testStart(t *testing.T) time.Time {
	if v, ok := testStarts.Load(t); ok {
		return v.(time.Time)
	}
	return processStart
}

// result is a response read whole.
type result struct {
	status int
	body   string
	resp   *http.Response // body closed
}

// read returns a function that reads and closes a response, failing the
// test on a transport error: read(t)(s.Get(ctx, u)).
func read(t *testing.T) func(*http.Response, error) result {
	return func(resp *http.Response, err error) result {
		t.Helper()
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return result{status: resp.StatusCode, body: string(b), resp: resp}
	}
}

// hop is one request of a redirect chain, as the server saw it.
type hop struct {
	URL    string  `json:"url"`
	Status int     `json:"status"`
	Cookie *string `json:"cookie"` // the Cookie header received; nil for none
}

// hops returns the chain of requests that led to resp, first first, each
// with the Cookie header the server received (testdata/serve.py echoes it
// in X-Echo-Cookie).
func hops(resp *http.Response) []hop {
	var out []hop
	for r := resp; r != nil; {
		h := hop{URL: r.Request.URL.String(), Status: r.StatusCode}
		if v := r.Header.Values("X-Echo-Cookie"); len(v) > 0 {
			s := strings.Join(v, ", ")
			h.Cookie = &s
		}
		out = append([]hop{h}, out...)
		r = r.Request.Response
	}
	return out
}

// sentCookie returns the Cookie header the server received for the last
// request of resp's chain, "" for none.
func sentCookie(resp *http.Response) string {
	return resp.Header.Get("X-Echo-Cookie")
}

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	return u
}

// cookieByName returns the jar's cookies by name; names must be unique.
func cookieByName(t *testing.T, jar *httpsession.Jar) map[string]httpsession.Cookie {
	t.Helper()
	out := map[string]httpsession.Cookie{}
	for _, c := range jar.All() {
		_, dup := out[c.Name]
		require.False(t, dup, "two cookies named %q in the jar: %v", c.Name, jar.All())
		out[c.Name] = c
	}
	return out
}
