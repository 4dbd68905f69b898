//go:build unix

package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/internal/loginrounds"
)

// Automatic re-login (WithLogin) against the real Django site: the site
// ends every session on the server mid-run (/e2e/end-sessions/, as a
// deploy that drops sessions does), its login_required page then
// redirects to /accounts/login/?next=..., and Django counts the logins
// that succeed (/e2e/logins/, from its user_logged_in signal). Every
// caller must see the page, and logins must equal expiries.

// djangoAutoLogin is the LoginFunc a Django user writes: fetch the login
// form for its csrftoken cookie, post it, and check where it ended.
func djangoAutoLogin(ctx context.Context, s *httpsession.Session) error {
	form, err := s.Get(ctx, "/accounts/login/")
	if err != nil {
		return err
	}
	drainBody(form)
	csrf, ok := s.Cookie("csrftoken")
	if !ok {
		return errors.New("no csrftoken cookie with the login form")
	}
	// The token goes with the very cookie it was read from: other
	// processes' answers may change the shared csrftoken cookie meanwhile.
	resp, err := s.PostForm(ctx, "/accounts/login/", url.Values{
		"username": {djangoUser}, "password": {djangoPassword},
		"csrfmiddlewaretoken": {csrf.Value}, "next": {"/private/"},
	}, httpsession.Cookies(&http.Cookie{Name: "csrftoken", Value: csrf.Value}))
	if err != nil {
		return err
	}
	drainBody(resp)
	if resp.Request.URL.Path != "/private/" {
		return fmt.Errorf("login ended on %s with status %d", resp.Request.URL.Path, resp.StatusCode)
	}
	return nil
}

func drainBody(resp *http.Response) {
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
}

// reloginOptions are the options of a session that logs in to Django by
// itself.
func reloginOptions(base string) []httpsession.Option {
	return []httpsession.Option{
		httpsession.WithBaseURL(base),
		httpsession.WithLogin(djangoAutoLogin),
		httpsession.WithLoggedOut(httpsession.RedirectedTo("/accounts/login/")),
	}
}

// fetchPrivate fetches the login_required page and checks it was served.
func fetchPrivate(ctx context.Context, s *httpsession.Session) error {
	resp, err := s.Get(ctx, "/private/")
	if err != nil {
		if resp != nil {
			drainBody(resp)
		}
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.Request.URL.Path != "/private/" || !strings.Contains(string(body), "Logged in as "+djangoUser) {
		return fmt.Errorf("ended on %s with status %d", resp.Request.URL.Path, resp.StatusCode)
	}
	return nil
}

// djangoLogins returns how many logins Django has counted.
func djangoLogins(t *testing.T, srv *server) int {
	t.Helper()
	resp, err := http.Get(srv.url + "/e2e/logins/")
	require.NoError(t, err)
	defer resp.Body.Close()
	var v struct{ Logins int }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&v))
	return v.Logins
}

// endSessions ends every session on the Django server.
func endSessions(t *testing.T, srv *server) {
	t.Helper()
	resp, err := http.Post(srv.url+"/e2e/end-sessions/", "", nil)
	require.NoError(t, err)
	drainBody(resp)
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

// pageRound fetches the private page n times from each of g goroutines and
// returns the failures.
func pageRound(ctx context.Context, s *httpsession.Session, g, n int) []string {
	return loginrounds.Round(g, n, func() error { return fetchPrivate(ctx, s) })
}

func TestDjangoReloginOncePerExpiryAcrossGoroutines(t *testing.T) {
	srv := djangoServer(t)
	endSessions(t, srv)
	s := newSession(t, reloginOptions(srv.url)...)
	ctx := testContext(t)
	before := djangoLogins(t, srv)
	const expiries = 4
	for round := 1; round <= expiries; round++ {
		assert.Empty(t, pageRound(ctx, s, 8, 3), "round %d", round)
		assert.Equal(t, round, djangoLogins(t, srv)-before, "logins after %d expiries", round)
		endSessions(t, srv)
	}
}

// reloginWorkerEnv makes the test binary a worker process of
// TestDjangoReloginOncePerExpiryAcrossProcesses (see TestMain).
const reloginWorkerEnv = "E2E_RELOGIN_WORKER"

// reloginWorker opens the session file named by the environment and
// fetches the private page in rounds (see package loginrounds).
func reloginWorker() int {
	spec := strings.SplitN(os.Getenv(reloginWorkerEnv), " ", 2) // FILE BASE
	if len(spec) != 2 {
		fmt.Println("fail: bad", reloginWorkerEnv)
		return 1
	}
	opts := append(reloginOptions(spec[1]), httpsession.WithTransport(workerTransport()))
	if os.Getenv("E2E_RELOGIN_LOG") != "" {
		opts = append(opts, httpsession.WithLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("pid", os.Getpid())))
	}
	s, err := httpsession.Open(spec[0], opts...)
	if err != nil {
		fmt.Println("fail:", err)
		return 1
	}
	defer s.Close()
	err = loginrounds.Serve(os.Stdin, os.Stdout, func() []string { return pageRound(context.Background(), s, 3, 2) })
	if err != nil {
		return 1
	}
	return 0
}

// workerTransport is a worker's transport: no proxy, loopback only.
func workerTransport() *http.Transport {
	return httpsession.LoopbackTransport(&http.Transport{Proxy: nil})
}

func TestDjangoReloginOncePerExpiryAcrossProcesses(t *testing.T) {
	srv := djangoServer(t)
	endSessions(t, srv)
	file := filepath.Join(t.TempDir(), "cookies.json")
	const procs, expiries = 3, 4
	var workers []loginrounds.Worker
	for range procs {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), reloginWorkerEnv+"="+file+" "+srv.url)
		cmd.Stderr = os.Stderr
		workers = append(workers, loginrounds.Start(t, cmd))
	}
	loginrounds.Run(t, workers, expiries, func() int { return djangoLogins(t, srv) }, func() { endSessions(t, srv) })
}
