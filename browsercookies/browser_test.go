//go:build linux

package browsercookies

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/httpsession/httpsession"
)

// The real browsers, from Debian (installed by .ci/run): headless Chromium
// with --password-store=basic and headless Firefox ESR visit a local server
// that sets cookies of every kind, and Read on their profiles returns each
// with its attributes, while the browser is still running and after it has
// quit.

// findBrowser returns the first of names on PATH, or skips the test (fails
// it under CI=true, where .ci/run has installed it).
func findBrowser(t *testing.T, names ...string) string {
	t.Helper()
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	msg := fmt.Sprintf("no %s on PATH: install it (apt-get install %s) to run this test; .ci/run does", names[0], names[0])
	if os.Getenv("CI") == "true" {
		require.Fail(t, msg)
	}
	t.Skip(msg)
	return ""
}

// wantCookie is a cookie the server sets and what Read must return for it.
type wantCookie struct {
	setCookie string // the Set-Cookie header
	host      string // "www" (www.example.test) or "localhost"
	want      httpsession.Cookie
	maxAge    time.Duration // 0: a session cookie
	session   bool          // not on disk in Firefox
}

func cookieTable() []wantCookie {
	return []wantCookie{
		{"hostonly=1; Max-Age=86400", "www", httpsession.Cookie{Name: "hostonly", Value: "1", Domain: "www.example.test", HostOnly: true, Path: "/"}, day, false},
		{"domain=2; Domain=example.test; Path=/; Max-Age=86400", "www", httpsession.Cookie{Name: "domain", Value: "2", Domain: "example.test", Path: "/"}, day, false},
		{"pathed=3; Path=/sub; Max-Age=86400", "www", httpsession.Cookie{Name: "pathed", Value: "3", Domain: "www.example.test", HostOnly: true, Path: "/sub"}, day, false},
		{"httponly=4; HttpOnly; Max-Age=86400", "www", httpsession.Cookie{Name: "httponly", Value: "4", Domain: "www.example.test", HostOnly: true, Path: "/", HttpOnly: true}, day, false},
		{"lax=5; SameSite=Lax; Max-Age=86400", "www", httpsession.Cookie{Name: "lax", Value: "5", Domain: "www.example.test", HostOnly: true, Path: "/", SameSite: http.SameSiteLaxMode}, day, false},
		{"strict=6; SameSite=Strict; Max-Age=86400", "www", httpsession.Cookie{Name: "strict", Value: "6", Domain: "www.example.test", HostOnly: true, Path: "/", SameSite: http.SameSiteStrictMode}, day, false},
		{"utf8=héllo wörld ✓; Max-Age=86400", "www", httpsession.Cookie{Name: "utf8", Value: "héllo wörld ✓", Domain: "www.example.test", HostOnly: true, Path: "/"}, day, false},
		{`json={"user":"alice","roles":["admin",1,null]}; Max-Age=86400`, "www", httpsession.Cookie{Name: "json", Value: `{"user":"alice","roles":["admin",1,null]}`, Domain: "www.example.test", HostOnly: true, Path: "/"}, day, false},
		{"hour=8; Max-Age=3600; Domain=example.test", "www", httpsession.Cookie{Name: "hour", Value: "8", Domain: "example.test", Path: "/"}, time.Hour, false},
		{"session=9", "www", httpsession.Cookie{Name: "session", Value: "9", Domain: "www.example.test", HostOnly: true, Path: "/"}, 0, true},
		// localhost is a secure context over http in both browsers, so
		// Secure cookies can be set without TLS.
		{"secure=10; Secure; Max-Age=86400", "localhost", httpsession.Cookie{Name: "secure", Value: "10", Domain: "localhost", HostOnly: true, Path: "/", Secure: true}, day, false},
		{"none=11; SameSite=None; Secure; Max-Age=86400", "localhost", httpsession.Cookie{Name: "none", Value: "11", Domain: "localhost", HostOnly: true, Path: "/", Secure: true, SameSite: http.SameSiteNoneMode}, day, false},
		{"__Host-prefixed=12; Secure; Path=/; Max-Age=86400", "localhost", httpsession.Cookie{Name: "__Host-prefixed", Value: "12", Domain: "localhost", HostOnly: true, Path: "/", Secure: true}, day, false},
		{"chips=13; Secure; Partitioned; SameSite=None; Path=/; Max-Age=86400", "localhost", httpsession.Cookie{Name: "chips", Value: "13", Domain: "localhost", HostOnly: true, Path: "/", Secure: true, SameSite: http.SameSiteNoneMode, Partitioned: true}, day, false},
	}
}

// cookieServer serves the pages the browser goes through: www.example.test
// sets its cookies and sends the browser on to localhost, which sets the
// Secure ones and sends it to /done. done is closed when /done is asked for.
type cookieServer struct {
	*httptest.Server
	port string
	done chan struct{}
	once sync.Once
}

func newCookieServer(t *testing.T) *cookieServer {
	t.Helper()
	s := &cookieServer{done: make(chan struct{})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	_, s.port, _ = net.SplitHostPort(ln.Addr().String())
	table := cookieTable()
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, _ := net.SplitHostPort(r.Host)
		page := func(next string) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, `<!doctype html><meta http-equiv="refresh" content="0; url=%s"><p>cookies set</p>`, next)
		}
		switch {
		case host == "www.example.test" && r.URL.Path == "/":
			for _, c := range table {
				if c.host == "www" {
					w.Header().Add("Set-Cookie", c.setCookie)
				}
			}
			page("http://localhost:" + s.port + "/secure")
		case host == "localhost" && r.URL.Path == "/secure":
			for _, c := range table {
				if c.host == "localhost" {
					w.Header().Add("Set-Cookie", c.setCookie)
				}
			}
			page("http://localhost:" + s.port + "/done")
		case r.URL.Path == "/done":
			s.once.Do(func() { close(s.done) })
			fmt.Fprint(w, "done")
		default:
			http.NotFound(w, r)
		}
	}))
	s.Server.Listener.Close()
	s.Server.Listener = ln
	s.Start()
	t.Cleanup(s.Close)
	return s
}

// startBrowser starts a browser in a process group of its own and stops the
// group (SIGTERM, then SIGKILL) when stop is called or the test ends.
func startBrowser(t *testing.T, home string, name string, args ...string) (stop func()) {
	t.Helper()
	return startProcess(t, home, nil, "", name, args...)
}

// startProcess starts a program with HOME (and the XDG directories) in
// home and env added, stdin as its input, in a process group of its own,
// and stops the group when stop is called or the test ends. Its output goes
// to a log in home, shown when the test fails.
func startProcess(t *testing.T, home string, env []string, stdin string, name string, args ...string) (stop func()) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_CACHE_HOME="+filepath.Join(home, ".cache"), "XDG_DATA_HOME="+filepath.Join(home, ".local", "share"),
		"MOZ_CRASHREPORTER_DISABLE=1")
	cmd.Env = append(cmd.Env, env...)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	logPath := filepath.Join(home, filepath.Base(name)+".log")
	logFile, err := os.Create(logPath)
	require.NoError(t, err)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Pdeathsig: the kernel kills the browser if the test binary dies
	// first (a run cut short by -timeout skips every cleanup).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	require.NoError(t, cmd.Start())
	exited := make(chan struct{})
	go func() { cmd.Wait(); logFile.Close(); close(exited) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
			select {
			case <-exited:
			case <-time.After(30 * time.Second):
				syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
				<-exited
			}
			// Helpers that outlived the main process.
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		})
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			if log, err := os.ReadFile(logPath); err == nil {
				t.Logf("%s output (last 3000 bytes):\n%s", name, tail(log, 3000))
			}
		}
	})
	return stop
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// deadline is a hang guard for waiting on a browser: generous, and ending a
// little before the test binary's own timeout.
func deadline(t *testing.T) time.Time {
	d := time.Now().Add(5 * time.Minute)
	if td, ok := t.Deadline(); ok && td.Add(-30*time.Second).Before(d) {
		d = td.Add(-30 * time.Second)
	}
	return d
}

// waitDone waits for the browser to reach /done.
func waitDone(t *testing.T, s *cookieServer, by time.Time) {
	t.Helper()
	select {
	case <-s.done:
	case <-time.After(time.Until(by)):
		require.Fail(t, "the browser did not reach /done")
	}
}

// pollRead calls Read on spec until it returns every cookie of want (the
// browser writes its database on its own schedule: Firefox soon after a
// change, Chromium every 30 seconds or so), and returns what it returned.
func pollRead(t *testing.T, spec string, want []wantCookie, by time.Time) ([]httpsession.Cookie, error) {
	t.Helper()
	var cookies []httpsession.Cookie
	var err error
	for {
		// Until the browser has created its database, Read finds none.
		cookies, err = Read(context.Background(), spec)
		got := byName(cookies)
		missing := 0
		for _, w := range want {
			if c, ok := got[w.want.Name]; !ok || c.Value != w.want.Value {
				missing++
			}
		}
		if missing == 0 {
			return cookies, err
		}
		if time.Now().After(by) {
			require.Failf(t, "cookies still missing", "Read(%s): %d of %d cookies still missing; got %v, %v", spec, missing, len(want), cookies, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// checkCookies compares what Read returned with want, attribute by
// attribute; Max-Age is checked against the time the page was served.
func checkCookies(t *testing.T, cookies []httpsession.Cookie, err error, want []wantCookie, setAt time.Time) {
	t.Helper()
	assert.NoError(t, err, "Read reported cookies it could not read")
	got := byName(cookies)
	assert.Len(t, got, len(want), "Read returned %v", cookies)
	for _, w := range want {
		if !assert.Contains(t, got, w.want.Name, "missing") {
			continue
		}
		c := got[w.want.Name]
		assert.Equal(t, attributesOf(w.want), attributesOf(c), w.want.Name)
		if w.maxAge == 0 {
			assert.True(t, c.Expires.IsZero(), "%s: Expires %v, want a session cookie", w.want.Name, c.Expires)
		} else {
			exp := setAt.Add(w.maxAge)
			assert.WithinRange(t, c.Expires, exp.Add(-time.Minute), exp.Add(10*time.Minute), "%s: Expires, want about %v (Max-Age from %v)", w.want.Name, exp, setAt)
		}
		// A zero Created is out of range too.
		assert.WithinRange(t, c.Created, setAt.Add(-time.Minute), time.Now().Add(time.Minute), "%s: Created, want about %v", w.want.Name, setAt)
	}
}

func TestChromiumBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	bin := findBrowser(t, "chromium", "chromium-browser")
	home := t.TempDir()
	userData := filepath.Join(home, ".config", "chromium")
	srv := newCookieServer(t)
	setAt := time.Now()
	stop := startBrowser(t, home, bin,
		"--headless", "--no-sandbox", "--disable-crash-reporter", "--disable-breakpad", "--password-store=basic", "--user-data-dir="+userData,
		"--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--no-first-run", "--no-proxy-server", "--host-resolver-rules=MAP * 127.0.0.1",
		"http://www.example.test:"+srv.port+"/")
	by := deadline(t)
	waitDone(t, srv, by)
	want := cookieTable()

	// While it runs: its database, copied from under it.
	cookies, err := pollRead(t, userData, want, by)
	checkCookies(t, cookies, err, want, setAt)

	// After it quit, by every spec form for this profile.
	stop()
	db := filepath.Join(userData, "Default", "Cookies")
	for _, spec := range []string{userData, filepath.Join(userData, "Default"), db} {
		cookies, err := Read(context.Background(), spec)
		checkCookies(t, cookies, err, want, setAt)
	}
	// By name, with HOME as the browser had it.
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", "")
	for _, spec := range []string{"chromium", "chromium:Default"} {
		cookies, err := Read(context.Background(), spec)
		checkCookies(t, cookies, err, want, setAt)
	}
	// Values were encrypted (v10), under version 24's host hash.
	assertEncrypted(t, db)
}

// assertEncrypted checks that the browser wrote its values encrypted, so
// that the test went through decryption.
func assertEncrypted(t *testing.T, path string) {
	t.Helper()
	src, err := resolvePath(path)
	require.NoError(t, err)
	conn, closeDB, err := openCopy(context.Background(), src.db)
	require.NoError(t, err)
	defer closeDB()
	var plain, v10 int
	var version string
	require.NoError(t, conn.QueryRow(`SELECT count(*) FILTER (WHERE value != ''), count(*) FILTER (WHERE hex(substr(encrypted_value, 1, 3)) = hex('v10')) FROM cookies`).Scan(&plain, &v10))
	require.NoError(t, conn.QueryRow(`SELECT value FROM meta WHERE key = 'version'`).Scan(&version))
	t.Logf("Chromium database version %s: %d v10 values, %d in the clear", version, v10, plain)
	assert.NotZero(t, v10, "want every value v10-encrypted: %d v10, %d plain", v10, plain)
	assert.Zero(t, plain, "want every value v10-encrypted: %d v10, %d plain", v10, plain)
}

func TestFirefoxBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	bin := findBrowser(t, "firefox-esr", "firefox")
	home := t.TempDir()
	root := filepath.Join(home, ".mozilla", "firefox")
	profile := filepath.Join(root, "test.default-esr")
	mkdirAll(t, profile)
	// The test names resolve to loopback; no HTTPS upgrade, no proxy, no
	// first-run pages, no network of its own.
	writeFile(t, filepath.Join(profile, "user.js"), `
user_pref("network.dns.localDomains", "www.example.test,example.test,localhost");
user_pref("network.proxy.type", 0);
user_pref("dom.security.https_first", false);
user_pref("dom.security.https_only_mode", false);
user_pref("browser.shell.checkDefaultBrowser", false);
user_pref("browser.startup.homepage_override.mstone", "ignore");
user_pref("browser.aboutwelcome.enabled", false);
user_pref("datareporting.policy.dataSubmissionEnabled", false);
user_pref("toolkit.telemetry.reportingpolicy.firstRun", false);
user_pref("app.update.enabled", false);
user_pref("app.normandy.enabled", false);
user_pref("browser.safebrowsing.malware.enabled", false);
user_pref("browser.safebrowsing.phishing.enabled", false);
user_pref("network.captive-portal-service.enabled", false);
user_pref("network.connectivity-service.enabled", false);
`)
	writeFile(t, filepath.Join(root, "profiles.ini"), `[Profile0]
Name=test
IsRelative=1
Path=test.default-esr
Default=1

[General]
StartWithLastProfile=1
Version=2
`)
	srv := newCookieServer(t)
	setAt := time.Now()
	stop := startBrowser(t, home, bin, "-headless", "-no-remote", "-profile", profile,
		"http://www.example.test:"+srv.port+"/")
	by := deadline(t)
	waitDone(t, srv, by)
	var want []wantCookie
	for _, c := range cookieTable() {
		if !c.session { // Firefox keeps session cookies in memory only
			want = append(want, c)
		}
	}

	// While it runs: its database and write-ahead log, copied from
	// under it.
	cookies, err := pollRead(t, profile, want, by)
	t.Logf("while running: cookies.sqlite-wal %+v", stateOf(filepath.Join(profile, "cookies.sqlite-wal"), true))
	checkCookies(t, cookies, err, want, setAt)

	stop()
	for _, spec := range []string{profile, root, filepath.Join(profile, "cookies.sqlite")} {
		cookies, err := Read(context.Background(), spec)
		checkCookies(t, cookies, err, want, setAt)
	}
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", "")
	for _, spec := range []string{"firefox", "firefox:test", "firefox-esr:test.default-esr"} {
		cookies, err := Read(context.Background(), spec)
		checkCookies(t, cookies, err, want, setAt)
	}
}

// Chromium with the Secret Service (GNOME Keyring on a private session
// bus): it keeps a random password in the keyring and writes v11 values
// under it, which Read decrypts with the password read over D-Bus.
func TestChromiumBrowserSecretService(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser and a keyring")
	}
	bin := findBrowser(t, "chromium", "chromium-browser")
	dbusDaemon := findBrowser(t, "dbus-daemon")
	keyring := findBrowser(t, "gnome-keyring-daemon")
	home := t.TempDir()
	runtimeDir := filepath.Join(home, "run")
	mkdirAll(t, runtimeDir)
	bus := "unix:path=" + filepath.Join(runtimeDir, "bus")
	env := []string{"XDG_RUNTIME_DIR=" + runtimeDir, "DBUS_SESSION_BUS_ADDRESS=" + bus}
	startProcess(t, home, env, "", dbusDaemon, "--session", "--nofork", "--address="+bus)
	by := deadline(t)
	for !exists(filepath.Join(runtimeDir, "bus")) {
		if time.Now().After(by) {
			require.Fail(t, "dbus-daemon did not create its socket")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The login keyring, created and unlocked with the password on stdin.
	startProcess(t, home, env, "keyring password", keyring, "--unlock", "--components=secrets", "--foreground")
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", bus)
	waitForName(t, secretsService, by)

	userData := filepath.Join(home, ".config", "chromium")
	srv := newCookieServer(t)
	setAt := time.Now()
	stop := startProcess(t, home, env, "", bin,
		"--headless", "--no-sandbox", "--disable-crash-reporter", "--disable-breakpad", "--password-store=gnome-libsecret", "--user-data-dir="+userData,
		"--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--no-first-run", "--no-proxy-server", "--host-resolver-rules=MAP * 127.0.0.1",
		"http://www.example.test:"+srv.port+"/")
	waitDone(t, srv, by)
	want := cookieTable()
	cookies, err := pollRead(t, userData, want, by)
	checkCookies(t, cookies, err, want, setAt)
	stop()

	db := filepath.Join(userData, "Default", "Cookies")
	conn, closeDB, err := openCopy(context.Background(), db)
	require.NoError(t, err)
	var v11, all int
	require.NoError(t, conn.QueryRow(`SELECT count(*) FILTER (WHERE hex(substr(encrypted_value, 1, 3)) = hex('v11')), count(*) FROM cookies`).Scan(&v11, &all))
	closeDB()
	require.NotZero(t, v11, "want every value v11-encrypted (the keyring's password): %d of %d", v11, all)
	require.Equal(t, all, v11, "want every value v11-encrypted (the keyring's password)")

	// Without the Secret Service, each v11 value is reported, none read.
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(home, "no-bus"))
	cookies, err = Read(context.Background(), userData)
	assert.Empty(t, cookies, "without the keyring, Read returned cookies")
	lines := lineErrors(t, err, db)
	assert.Len(t, lines, all, "without the keyring, the cookies reported: %v", err)
	for line, e := range lines {
		assert.ErrorIs(t, e, ErrNoKey, "line %d", line)
	}
}

// waitForName waits until a D-Bus name has an owner on the session bus.
func waitForName(t *testing.T, name string, by time.Time) {
	t.Helper()
	for {
		conn, err := dbus.SessionBusPrivate()
		if err == nil {
			if err = conn.Auth(nil); err == nil {
				if err = conn.Hello(); err == nil {
					var has bool
					err = conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, name).Store(&has)
					if err == nil && !has {
						err = fmt.Errorf("no owner for %s", name)
					}
				}
			}
			conn.Close()
		}
		if err == nil {
			return
		}
		if time.Now().After(by) {
			require.NoError(t, err, "D-Bus name %s", name)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
