package redisjar_test

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/internal/loginrounds"
	"github.com/httpsession/httpsession/redisjar"
)

// fleetSite is a site whose sessions end when the test says so: a session
// cookie is good for the epoch it was issued in; /login (POST) issues one
// and counts it, /page answers 200 with it and 401 without.
type fleetSite struct {
	mu       sync.Mutex
	epoch    int
	logins   int
	attempts int    // POSTs to /login
	password string // the good one
	url      string
	// With gate set, a login waits until gate requests of the epoch were
	// refused: every worker is then logged out before anyone logs in.
	gate    int
	refused int
	changed *sync.Cond
}

func newFleetSite(t *testing.T) *fleetSite {
	site := &fleetSite{password: "pw"}
	site.changed = sync.NewCond(&site.mu)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		site.mu.Lock()
		defer site.mu.Unlock()
		switch r.URL.Path {
		case "/login":
			for site.refused < site.gate {
				site.changed.Wait()
			}
			site.attempts++
			if r.PostFormValue("password") != site.password {
				w.WriteHeader(http.StatusForbidden)
				return
			}
			site.logins++
			http.SetCookie(w, &http.Cookie{Name: "sid", Value: fmt.Sprint(site.epoch), Path: "/"})
		default:
			if c, err := r.Cookie("sid"); err == nil && c.Value == fmt.Sprint(site.epoch) {
				fmt.Fprint(w, "page")
				return
			}
			site.refused++
			site.changed.Broadcast()
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	t.Cleanup(ts.Close)
	site.url = ts.URL
	return site
}

func (f *fleetSite) expire() {
	f.mu.Lock()
	f.epoch++
	f.refused = 0
	f.mu.Unlock()
}

func (f *fleetSite) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.logins
}

func fleetLogin(ctx context.Context, s *httpsession.Session) error {
	resp, err := s.PostForm(ctx, "/login", url.Values{"user": {"u"}, "password": {"pw"}})
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("login: status %d", resp.StatusCode)
	}
	return nil
}

func fetchPage(s *httpsession.Session) error {
	resp, err := s.Get(context.Background(), "/page")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if string(body) != "page" {
		return fmt.Errorf("status %d, body %q", resp.StatusCode, body)
	}
	return nil
}

// startLoginWorkers starts n loginworker processes with these arguments
// (see package loginrounds).
func startLoginWorkers(t *testing.T, n int, args ...string) []loginrounds.Worker {
	t.Helper()
	worker := buildProgram(t, "loginworker")
	var workers []loginrounds.Worker
	for range n {
		cmd := exec.Command(worker, args...)
		stderr := &lockedBuffer{}
		cmd.Stderr = stderr
		i := len(workers)
		workers = append(workers, loginrounds.Start(t, cmd))
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("worker %d:\n%s", i, stderr.String())
			}
		})
	}
	return workers
}

// Several processes on one Redis jar, several goroutines each, several
// expiries: one login per expiry, and every request sees the page.
func TestFleetLogsInOncePerExpiry(t *testing.T) {
	t.Parallel()
	srv := startRedis(t)
	site := newFleetSite(t)
	const procs, expiries = 4, 5
	workers := startLoginWorkers(t, procs, "-addr", srv.addr(), "-prefix", "loginfleet", "-base", site.url)
	loginrounds.Run(t, workers, expiries, site.count, site.expire)
	rec, err := srv.client().HGetAll(context.Background(), "{loginfleet}:login:record").Result()
	require.NoError(t, err)
	assert.NotEmpty(t, rec["gen"])
	assert.Equal(t, "0", rec["failures"], "no login failed")
}

// Two stores in one process stand for two machines: the second takes the
// first's login from the stream instead of logging in.
func TestFleetWorkerTakesAnotherWorkersLogin(t *testing.T) {
	t.Parallel()
	client := startRedis(t).client()
	site := newFleetSite(t)
	a, _ := openStore(t, client, "take")
	b, _ := openStore(t, client, "take")
	sa, err := a.Session(httpsession.WithBaseURL(site.url), httpsession.WithLogin(fleetLogin))
	require.NoError(t, err)
	sb, err := b.Session(httpsession.WithBaseURL(site.url), httpsession.WithLogin(fleetLogin))
	require.NoError(t, err)
	require.NoError(t, fetchPage(sa))
	require.NoError(t, fetchPage(sb))
	assert.Equal(t, 1, site.count())
	site.expire()
	require.NoError(t, fetchPage(sb))
	require.NoError(t, fetchPage(sa))
	assert.Equal(t, 2, site.count())
}

// A worker that died holding the lease blocks the fleet only until the
// lease expires.
func TestFleetLeaseOfADeadHolderExpires(t *testing.T) {
	t.Parallel()
	client := startRedis(t).client()
	site := newFleetSite(t)
	store, _ := openStore(t, client, "dead", redisjar.WithLoginLease(500*time.Millisecond))
	ctx := context.Background()
	// The dead worker's lease, as SET NX PX left it.
	require.NoError(t, client.Set(ctx, "{dead}:login:lease", "999", 300*time.Millisecond).Err())
	s, err := store.Session(httpsession.WithBaseURL(site.url), httpsession.WithLogin(fleetLogin))
	require.NoError(t, err)
	require.NoError(t, fetchPage(s), "logged in once the dead lease expired")
	assert.Equal(t, 1, site.count())
	held, err := client.Exists(ctx, "{dead}:login:lease").Result()
	require.NoError(t, err)
	assert.Zero(t, held, "the lease was released")
}

// A holder whose lease ran out and was taken by another cannot record its
// login: the fencing token no longer matches.
func TestFleetLostLeaseIsNotRecorded(t *testing.T) {
	t.Parallel()
	client := startRedis(t).client()
	store, _ := openStore(t, client, "fence")
	ctx := context.Background()
	rec, release, err := store.AcquireLogin(ctx, time.Minute)
	require.NoError(t, err)
	assert.Zero(t, rec.Generation)
	// The lease expires and another worker takes it.
	require.NoError(t, client.Set(ctx, "{fence}:login:lease", "other", time.Minute).Err())
	require.ErrorIs(t, release(&httpsession.LoginRecord{Generation: 7}), redisjar.ErrLeaseLost)
	n, err := client.Exists(ctx, "{fence}:login:record").Result()
	require.NoError(t, err)
	assert.Zero(t, n, "nothing recorded")
	lease, err := client.Get(ctx, "{fence}:login:lease").Result()
	require.NoError(t, err)
	assert.Equal(t, "other", lease, "the other holder's lease stays")

	// The waiting side: AcquireLogin ends with its context.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, _, err = store.AcquireLogin(cctx, time.Minute)
	require.ErrorIs(t, err, context.Canceled)
}

// A lease given in the wrong unit (30 for 30 s is 30 ns) is raised to the
// minimum rather than crash the renewal ticker or fail every login.
func TestFleetTinyLeaseIsRaised(t *testing.T) {
	t.Parallel()
	client := startRedis(t).client()
	site := newFleetSite(t)
	store, _ := openStore(t, client, "tiny", redisjar.WithLoginLease(30))
	s, err := store.Session(httpsession.WithBaseURL(site.url), httpsession.WithLogin(fleetLogin))
	require.NoError(t, err)
	require.NoError(t, fetchPage(s))
	assert.Equal(t, 1, site.count())
}

// Redis restarted without persistence loses the login record: the login
// generation must not start again at a value a worker holds, or a worker
// mistakes its old login for the latest and logs in again.
func TestFleetLogsInOnceAfterRedisLostItsData(t *testing.T) {
	t.Parallel()
	srv := startEphemeralRedis(t)
	site := newFleetSite(t)
	var sessions []*httpsession.Session
	for range 3 {
		store, _ := openStore(t, srv.client(), "lost")
		s, err := store.Session(httpsession.WithBaseURL(site.url), httpsession.WithLogin(fleetLogin))
		require.NoError(t, err)
		sessions = append(sessions, s)
	}
	site.gate = len(sessions) // every worker is logged out before the login
	for round := 1; round <= 3; round++ {
		var wg sync.WaitGroup
		for i, s := range sessions {
			wg.Add(1)
			go func() {
				defer wg.Done()
				assert.NoError(t, fetchPage(s), "round %d, worker %d", round, i)
			}()
		}
		wg.Wait()
		assert.Equal(t, round, site.count(), "one login per end, round %d", round)
		srv.kill()
		srv.start()
		site.expire()
	}
}

// A wrong password backs off across the fleet: each worker's request fails
// with ErrLoginFailed, and the login POSTs fit 1 s, 2 s, 4 s ... apart
// into the run, whichever worker made them.
func TestFleetBacksOffAFailedLogin(t *testing.T) {
	t.Parallel()
	client := startRedis(t).client()
	site := newFleetSite(t)
	site.password = "something else"
	start := time.Now()
	var wg sync.WaitGroup
	for range 3 {
		store, _ := openStore(t, client, "backoff")
		s, err := store.Session(httpsession.WithBaseURL(site.url), httpsession.WithLogin(fleetLogin))
		require.NoError(t, err)
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 10 {
					err := fetchPage(s)
					assert.ErrorIs(t, err, httpsession.ErrLoginFailed)
				}
			}()
		}
	}
	wg.Wait()
	elapsed := time.Since(start)
	site.mu.Lock()
	attempts := site.attempts
	site.mu.Unlock()
	allowed := 1 + int(math.Log2(elapsed.Seconds()+1))
	assert.LessOrEqual(t, attempts, allowed, "login POSTs of 3 workers in %v", elapsed)
	rec, err := client.HGetAll(context.Background(), "{backoff}:login:record").Result()
	require.NoError(t, err)
	assert.Equal(t, strconv.Itoa(attempts), rec["failures"])
	assert.Equal(t, "login: status 403", rec["cause"])
}
