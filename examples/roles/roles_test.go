package roles_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/examples/internal/demoserver"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The site's accounts, one per role.
var roles = map[string]string{"admin": "admin-pw", "editor": "editor-pw", "viewer": "viewer-pw"}

// Set by TestMain before any test runs, and only read by the tests.
var (
	site *demoserver.LoginSite
	pool *httpsession.Pool
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	site = demoserver.NewAccountsSite(roles)
	srv, err := demoserver.Start(site)
	if err != nil {
		fmt.Fprintln(os.Stderr, "start the demo site:", err)
		return 1
	}
	defer srv.Close()

	// A directory of the suite's own: a suite that must stay logged in
	// between runs would use a fixed one (say, under os.UserCacheDir).
	dir, err := os.MkdirTemp("", "roles-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	var ids []httpsession.Identity
	for role, pw := range roles {
		ids = append(ids, httpsession.Identity{
			Name:  role,
			Login: httpsession.FormLogin("/login", url.Values{"username": {role}, "password": {pw}}),
		})
	}
	pool, err = httpsession.OpenPool(dir, ids, httpsession.WithSessionOptions(
		httpsession.WithBaseURL(srv.URL),
		// Only stops a hung test: a busy machine can take seconds.
		httpsession.WithTimeout(time.Minute)))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer pool.Close()

	code := m.Run()
	for role := range roles {
		if n := site.LoginsOf(role); code == 0 && n != 1 {
			fmt.Fprintf(os.Stderr, "%s logged in %d times; want once\n", role, n)
			code = 1
		}
	}
	return code
}

// as returns the session of role for the test, given back to the pool
// when the test ends. Tests that need one role run one after another;
// tests of different roles run side by side.
func as(t *testing.T, role string) *httpsession.Session {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	lease, err := pool.AcquireName(ctx, role)
	require.NoError(t, err)
	t.Cleanup(lease.Release)
	return lease.Session()
}

func account(t *testing.T, s *httpsession.Session) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	resp, err := s.Get(ctx, "/account")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return strings.TrimSpace(string(body))
}

func TestAdminSeesTheAccountPage(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "Signed in as admin", account(t, as(t, "admin")))
}

func TestEditorSeesTheAccountPage(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "Signed in as editor", account(t, as(t, "editor")))
}

func TestViewerSeesTheAccountPage(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "Signed in as viewer", account(t, as(t, "viewer")))
}

// Two tests of one role: the second waits for the first's lease, and does
// not log in again.
func TestAdminAgain(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "Signed in as admin", account(t, as(t, "admin")))
}

// A test may hold two roles at once, as one that checks what an editor's
// change looks like to a viewer does. (Tests that take several roles take
// them in one order, as locks are taken, lest two wait for each other.)
func TestEditorAndViewerTogether(t *testing.T) {
	t.Parallel()
	editor, viewer := as(t, "editor"), as(t, "viewer")
	assert.Equal(t, "Signed in as editor", account(t, editor))
	assert.Equal(t, "Signed in as viewer", account(t, viewer))
}
