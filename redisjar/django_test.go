package redisjar_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/httpsession/httpsession/internal/loginrounds"
)

// The e2e Django site (../e2e/testdata), which counts its logins
// (/e2e/logins/) and ends every session on request (/e2e/end-sessions/).
type djangoSite struct {
	url string
}

// startDjango serves the e2e Django site with python3-django, or skips the
// test when it is missing (fails it under CI=true).
func startDjango(t *testing.T, env ...string) *djangoSite {
	t.Helper()
	const python = "/usr/bin/python3"
	if out, err := exec.Command(python, "-c", "import django").CombinedOutput(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("python3-django is required under CI=true: %v: %s", err, out)
		}
		t.Skipf("python3-django not installed (apt-get install python3-django): %v", err)
	}
	serve, err := filepath.Abs("../e2e/testdata/serve.py")
	require.NoError(t, err)
	dir := t.TempDir()
	cmd := exec.Command(python, serve, "django")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"E2E_DJANGO_DB="+filepath.Join(dir, "db.sqlite3"),
		"E2E_DJANGO_USER=alice", "E2E_DJANGO_PASSWORD=wonderland-e2e",
		"PYTHONDONTWRITEBYTECODE=1", "PYTHONUNBUFFERED=1")
	cmd.Env = append(cmd.Env, env...)
	log := &lockedBuffer{}
	cmd.Stderr = log
	cmd.SysProcAttr = childSysProcAttr()
	stdin, err := cmd.StdinPipe() // serve.py stops when its stdin closes
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = stdin.Close()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("django log:\n%s", log.String())
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err, "serve.py: %s", log.String())
	base, ok := strings.CutPrefix(strings.TrimSpace(line), "READY ")
	require.True(t, ok, "serve.py said %q", line)
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	// It listens; Django answers once it has loaded. The deadline only
	// catches a server that never does.
	deadline := time.Now().Add(patience)
	for {
		resp, err := http.Get(base + "/accounts/login/")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		require.True(t, time.Now().Before(deadline), "django does not answer: %v\n%s", err, log.String())
		time.Sleep(50 * time.Millisecond)
	}
	return &djangoSite{url: base}
}

func (d *djangoSite) logins(t *testing.T) func() int {
	return func() int {
		resp, err := http.Get(d.url + "/e2e/logins/")
		require.NoError(t, err)
		defer resp.Body.Close()
		var v struct{ Logins int }
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&v))
		return v.Logins
	}
}

func (d *djangoSite) endSessions(t *testing.T) func() {
	return func() {
		resp, err := http.Post(d.url+"/e2e/end-sessions/", "", nil)
		require.NoError(t, err)
		_ = resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
	}
}

// Several processes on one Redis jar against the real Django site, whose
// login_required page redirects to its login form once every session has
// ended: one login per expiry, and every request sees the page.
func TestFleetLogsInToDjangoOncePerExpiry(t *testing.T) {
	t.Parallel()
	srv := startRedis(t)
	site := startDjango(t)
	const procs, expiries = 3, 4
	workers := startLoginWorkers(t, procs, "-addr", srv.addr(), "-prefix", "django", "-base", site.url, "-site", "django")
	loginrounds.Run(t, workers, expiries, site.logins(t), site.endSessions(t))
}

// The held-out shape of the fleet check: 3 processes x 4 goroutines on one
// Redis jar fetch the Django page without pause while the site ends every
// session 3 times in 12 s, with FormLogin and no WithLoggedOut. Every
// request sees the page; one login per end.
func TestFleetStaysLoggedInToDjangoWhileSessionsEnd(t *testing.T) {
	t.Parallel()
	srv := startRedis(t)
	site := startDjango(t)
	workers := startLoginWorkers(t, 3, "-addr", srv.addr(), "-prefix", "djangoloop", "-base", site.url, "-site", "djangoform", "-loop", "4")
	loginrounds.Continuous(t, workers, 3, 3*time.Second, site.logins(t), site.endSessions(t))
}
