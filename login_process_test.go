package httpsession

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// loginWorker is a child process sharing the session file at path with its
// siblings: for each line "go" on standard input it fetches base/page from
// several goroutines, and answers "ok" or "fail: reason".
func loginWorker(path, base string) int {
	var calls atomic.Int32
	s, err := Open(path, WithBaseURL(base), WithLogin(formLogin(&calls)))
	if err != nil {
		fmt.Println("fail:", err)
		return 1
	}
	defer s.Close()
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		var wg sync.WaitGroup
		var mu sync.Mutex
		var failures []string
		for range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 2 {
					resp, err := s.Get(context.Background(), "/page")
					if err == nil {
						body, _ := io.ReadAll(resp.Body)
						_ = resp.Body.Close()
						if string(body) != "page" {
							err = fmt.Errorf("status %d, body %q", resp.StatusCode, body)
						}
					}
					if err != nil {
						mu.Lock()
						failures = append(failures, err.Error())
						mu.Unlock()
					}
				}
			}()
		}
		wg.Wait()
		if len(failures) > 0 {
			fmt.Println("fail:", strings.Join(failures, "; "))
		} else {
			fmt.Println("ok")
		}
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
	type worker struct {
		in  io.WriteCloser
		out *bufio.Scanner
	}
	var workers []worker
	for range procs {
		cmd := helperCmd(t, "login-worker", path)
		cmd.Env = append(cmd.Env, "HTTPSESSION_TEST_BASE="+base)
		in, err := cmd.StdinPipe()
		require.NoError(t, err)
		out, err := cmd.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		t.Cleanup(func() { _ = in.Close(); _ = cmd.Wait() })
		workers = append(workers, worker{in: in, out: bufio.NewScanner(out)})
	}
	for round := 1; round <= expiries; round++ {
		for _, w := range workers {
			_, err := io.WriteString(w.in, "go\n")
			require.NoError(t, err)
		}
		for i, w := range workers {
			require.True(t, w.out.Scan(), "worker %d ended: %v", i, w.out.Err())
			assert.Equal(t, "ok", w.out.Text(), "worker %d, round %d", i, round)
		}
		assert.Equal(t, round, site.count(), "logins after %d expiries", round)
		site.expire()
	}
	gen, err := readLoginGeneration(path + ".login")
	require.NoError(t, err)
	assert.Equal(t, uint64(expiries), gen)
}
