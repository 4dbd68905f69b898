package redisjar_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// accountStats is what the e2e Django site counts of one account
// (/e2e/stats/, see ../e2e/testdata/django/e2esite/middleware.py).
type accountStats struct {
	MaxInflight int `json:"max_inflight"`
	Overlaps    int
	Requests    int
	Answered    int
	Throttled   int
	LoginPosts  int `json:"login_posts"`
	Logins      int
}

func (d *djangoSite) stats(t *testing.T) map[string]accountStats {
	t.Helper()
	resp, err := http.Get(d.url + "/e2e/stats/")
	require.NoError(t, err)
	defer resp.Body.Close()
	var v struct{ Accounts map[string]accountStats }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&v))
	return v.Accounts
}

// poolReport is what testdata/poolworker prints.
type poolReport struct {
	Answered map[string]int
	Blocked  int
	Failed   map[string]string
	Leases   int
	MaxWait  time.Duration
	NoneLeft bool
	Status   map[string]string
}

// The held-out shape of the pool check, on a directory and on Redis: four
// Django accounts, one with a wrong password and one the site answers 429
// three times (without Retry-After), shared by 3 processes x 4 goroutines
// for 10 s. No account ever has two requests in flight; the wrong one is
// retired after at most 3 login attempts, and every process sees it so;
// each good account logs in once (the throttled one at most twice) and the
// throttled one serves again after its cool-down; every process gets at
// least 20 answers.
func TestPoolSharesDjangoAccountsFairlyAndExclusively(t *testing.T) {
	for _, store := range []string{"dir", "redis"} {
		t.Run(store, func(t *testing.T) {
			site := startDjango(t,
				"E2E_DJANGO_USERS=ann:pw-ann,bob:pw-bob,cy:pw-cy,eve:pw-eve",
				"E2E_DJANGO_THROTTLE=bob:3:")
			args := []string{"-base", site.url, "-accounts", "ann:pw-ann,bob:pw-bob,cy:pw-cy,eve:wrong", "-for", "10s", "-goroutines", "4"}
			if store == "dir" {
				args = append(args, "-dir", t.TempDir())
			} else {
				args = append(args, "-addr", startRedis(t).addr(), "-prefix", "djangopool", "-ttl", "2s")
			}
			reports := runPoolWorkers(t, 3, args...)
			stats := site.stats(t)
			for _, name := range []string{"ann", "bob", "cy", "eve"} {
				assert.LessOrEqual(t, stats[name].MaxInflight, 1, "%s had requests in flight at once", name)
				assert.Zero(t, stats[name].Overlaps, "%s", name)
			}
			assert.LessOrEqual(t, stats["eve"].LoginPosts, 3, "the wrong password was tried more than 3 times")
			assert.Positive(t, stats["eve"].LoginPosts)
			assert.Equal(t, 1, stats["ann"].Logins, "ann logged in more than once")
			assert.Equal(t, 1, stats["cy"].Logins, "cy logged in more than once")
			assert.LessOrEqual(t, stats["bob"].Logins, 2)
			assert.Equal(t, 3, stats["bob"].Throttled)
			bobServed := 0
			for i, r := range reports {
				total := 0
				for _, n := range r.Answered {
					total += n
				}
				bobServed += r.Answered["bob"]
				assert.GreaterOrEqual(t, total, 20, "worker %d got too few answers: %+v", i, r)
				assert.Equal(t, "retired", r.Status["eve"], "worker %d does not see eve retired", i)
				assert.Empty(t, r.Failed["ann"], "worker %d", i)
				assert.Empty(t, r.Failed["cy"], "worker %d", i)
			}
			assert.Positive(t, bobServed, "bob never served again after his cool-downs")
			t.Logf("%s: stats %+v", store, stats)
		})
	}
}

// runPoolWorkers runs n poolworkers with args to their end and returns
// their reports.
func runPoolWorkers(t *testing.T, n int, args ...string) []poolReport {
	t.Helper()
	worker := buildProgram(t, "poolworker")
	reports := make([]poolReport, n)
	var wg sync.WaitGroup
	for i := range n {
		cmd := exec.Command(worker, args...)
		var out bytes.Buffer
		stderr := &lockedBuffer{}
		cmd.Stdout, cmd.Stderr = &out, stderr
		cmd.SysProcAttr = childSysProcAttr()
		require.NoError(t, cmd.Start())
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := cmd.Wait()
			if assert.NoError(t, err, "worker %d: %s", i, stderr.String()) {
				assert.NoError(t, json.Unmarshal(out.Bytes(), &reports[i]), "worker %d said %q", i, out.String())
			}
		}()
	}
	wg.Wait()
	return reports
}

// startHolder runs a poolworker that acquires name and holds it until it
// is killed, and returns it once it holds the identity.
func startHolder(t *testing.T, name string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(buildProgram(t, "poolworker"), append(args, "-hold", name)...)
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	cmd.SysProcAttr = childSysProcAttr()
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err, "holder: %s", stderr.String())
	require.Equal(t, "held "+name, strings.TrimSpace(line))
	return cmd
}
