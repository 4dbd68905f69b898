//go:build unix

package e2e

import (
	"context"
	"io"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/httpsession/httpsession"
)

// goScraper is the README's Go scraper ("From requests", 5), its output
// returned instead of printed.
func goScraper(ctx context.Context, file, base, pw string) (string, error) {
	s, err := httpsession.Open(file, httpsession.WithBaseURL(base),
		httpsession.WithLogin(httpsession.FormLogin("/accounts/login/", url.Values{"username": {"alice"}, "password": {pw}})))
	if err != nil {
		return "", err
	}
	defer s.Close()
	page, err := s.Get(ctx, "/private/")
	if err != nil {
		return "", err
	}
	defer page.Body.Close()
	var out strings.Builder
	_, err = io.Copy(&out, page.Body)
	return out.String(), err
}

// The README's two scrapers, each run twice against the real Django site:
// the first run of each logs in, the second uses the saved login.
func TestReadmeScrapersLogInOnceAcrossRuns(t *testing.T) {
	srv := djangoServer(t)
	requirePackages(t, "python3-requests")
	ctx := testContext(t)
	endSessions(t, srv)

	file := filepath.Join(t.TempDir(), "cookies.json")
	before := djangoLogins(t, srv)
	for run := 1; run <= 2; run++ {
		out, err := goScraper(ctx, file, srv.url, djangoPassword)
		require.NoError(t, err, "Go, run %d", run)
		assert.Contains(t, out, "Logged in as "+djangoUser, "Go, run %d", run)
	}
	assert.Equal(t, 1, djangoLogins(t, srv)-before, "the Go scraper logged in once")

	script, err := filepath.Abs(filepath.Join("testdata", "scraper.py"))
	require.NoError(t, err)
	dir := t.TempDir()
	before = djangoLogins(t, srv)
	for run := 1; run <= 2; run++ {
		cmd := exec.CommandContext(ctx, pythonPath, script, srv.url, djangoPassword)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "Python, run %d: %s", run, out)
		assert.Contains(t, string(out), "Logged in as "+djangoUser, "Python, run %d", run)
	}
	assert.Equal(t, 1, djangoLogins(t, srv)-before, "the Python scraper logged in once")
}
