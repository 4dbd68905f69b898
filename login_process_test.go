package httpsession

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/httpsession/httpsession/internal/loginrounds"
)

// loginWorker is a child process sharing the session file at path with its
// siblings: for each round it fetches base/page from several goroutines
// (see package loginrounds).
func loginWorker(path, base string) int {
	var calls atomic.Int32
	s, err := Open(path, WithBaseURL(base), WithLogin(formLogin(&calls)))
	if err != nil {
		fmt.Println("fail:", err)
		return 1
	}
	defer s.Close()
	err = loginrounds.Serve(os.Stdin, os.Stdout, func() []string {
		return loginrounds.Round(3, 2, func() error {
			resp, err := s.Get(context.Background(), "/page")
			if err != nil {
				return err
			}
			body, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			if string(body) != "page" {
				return fmt.Errorf("status %d, body %q", resp.StatusCode, body)
			}
			return nil
		})
	})
	if err != nil {
		return 1
	}
	return 0
}

// Several processes on one file, several goroutines each, several expiries:
// one login per expiry, and every request sees the page.
func TestLoginOncePerExpiryAcrossProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("runs processes")
	}
	if runtime.GOOS == "windows" {
		t.Skip("stdin pipes to test binaries")
	}
	site, base := newLoginSite(t, false)
	path := filepath.Join(t.TempDir(), "cookies.json")
	const procs, expiries = 4, 5
	var workers []loginrounds.Worker
	for range procs {
		cmd := helperCmd(t, "login-worker", path)
		cmd.Env = append(cmd.Env, "HTTPSESSION_TEST_BASE="+base)
		workers = append(workers, loginrounds.Start(t, cmd))
	}
	loginrounds.Run(t, workers, expiries, site.count, site.expire)
	rec, err := readLoginFile(path + ".login")
	require.NoError(t, err)
	assert.NotZero(t, rec.Generation)
	assert.Zero(t, rec.Failures, "no login failed")
	assert.Nil(t, rec.Lease, "no lease is left held")
}
