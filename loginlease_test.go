package httpsession

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hungLogin is a LoginFunc that ignores its context: its first call blocks
// until release is closed; later calls log in with FormLogin.
type hungLogin struct {
	mu      sync.Mutex
	calls   int
	release chan struct{}
}

func (h *hungLogin) login(ctx context.Context, s *Session) error {
	h.mu.Lock()
	h.calls++
	first := h.calls == 1
	h.mu.Unlock()
	if first {
		<-h.release // the mistake under test: ctx is ignored
		return nil
	}
	return FormLogin("/accounts/login/", aliceFields)(ctx, s)
}

// untilOK sends requests until one succeeds: the next login comes once the
// backoff is over, an event only a request can observe.
func untilOK(t *testing.T, s *Session) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		body, err := getPrivate(s)
		if err == nil {
			assert.Equal(t, "private", body)
			return
		}
		require.ErrorIs(t, err, ErrLoginFailed)
		require.True(t, time.Now().Before(deadline), "no login succeeded: %v", err)
		runtime.Gosched()
	}
}

// A LoginFunc that ignores its context is abandoned at WithLoginTimeout:
// the request fails then, a later request logs in again, and Close returns
// within its bound while the LoginFunc still hangs.
func TestLoginThatIgnoresItsContextIsAbandoned(t *testing.T) {
	_, base := newFormSite(t)
	h := &hungLogin{release: make(chan struct{})}
	defer close(h.release)
	path := filepath.Join(t.TempDir(), "c.json")
	s, err := Open(path, WithBaseURL(base), WithLogin(h.login), WithLoginTimeout(500*time.Millisecond), WithLoginBackoff(10*time.Millisecond, 10*time.Millisecond))
	require.NoError(t, err)
	_, err = getPrivate(s)
	require.ErrorIs(t, err, ErrLoginFailed)
	require.ErrorIs(t, err, ErrLoggedOut)
	assert.ErrorContains(t, err, "the login did not end within 500ms")

	untilOK(t, s) // a new login, though the first LoginFunc never returned
	rec, err := readLoginFile(path + ".login")
	require.NoError(t, err)
	assert.Nil(t, rec.Lease, "the abandoned login let go of the lease")

	// Close while a login hangs: it returns within a second or so.
	h2 := &hungLogin{release: make(chan struct{})}
	defer close(h2.release)
	s2, err := New(WithBaseURL(base), WithLogin(h2.login), WithLoginTimeout(time.Hour))
	require.NoError(t, err)
	errc := make(chan error, 1)
	go func() { _, err := getPrivate(s2); errc <- err }()
	waitFor(t, "the login to begin", func() bool { h2.mu.Lock(); defer h2.mu.Unlock(); return h2.calls == 1 })
	start := time.Now()
	require.NoError(t, s2.Close())
	assert.Less(t, time.Since(start), 2*time.Second, "Close is bounded")
	require.ErrorIs(t, <-errc, ErrClosed)
	require.NoError(t, s.Close())
}

// A second process on the file is not held by a hung login beyond the
// timeout: it logs in once the first lets go of the lease and the backoff
// that failure started is over.
func TestHungLoginOfAnotherProcessEndsWithItsTimeout(t *testing.T) {
	site, base := newFormSite(t)
	path := filepath.Join(t.TempDir(), "c.json")
	h := &hungLogin{release: make(chan struct{})}
	defer close(h.release)
	opts := []Option{WithBaseURL(base), WithLoginTimeout(500 * time.Millisecond), WithLoginBackoff(10*time.Millisecond, 10*time.Millisecond)}
	a := sessOpen(t, path, append(opts, WithLogin(h.login))...)
	b := sessOpen(t, path, append(opts, WithLogin(FormLogin("/accounts/login/", aliceFields)))...)
	errc := make(chan error, 1)
	go func() { _, err := getPrivate(a); errc <- err }()
	waitFor(t, "the hung login to begin", func() bool { h.mu.Lock(); defer h.mu.Unlock(); return h.calls == 1 })
	untilOK(t, b)
	require.ErrorIs(t, <-errc, ErrLoginFailed)
	_, logins := site.counts()
	assert.Equal(t, 1, logins)
}

// writeLease leaves FILE.login as a holder would.
func writeLease(t *testing.T, path string, hold loginHold) {
	t.Helper()
	b, err := json.Marshal(loginFile{Generation: 5, Lease: &hold})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path+".login", b, 0o600))
}

// The lease of a holder that died is taken at once; one past its deadline
// is taken whoever holds it; a live holder's is waited for.
func TestLoginLeaseIsTakenOverFromADeadOrLateHolder(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("process ids")
	}
	host := hostID()
	dead := exec.Command("true")
	require.NoError(t, dead.Run())
	for _, tc := range []struct {
		name  string
		hold  loginHold
		taken bool
	}{
		{"a dead holder of this host", loginHold{Owner: "x", Host: host, PID: dead.Process.Pid, Until: time.Now().Add(time.Hour)}, true},
		{"a live holder past its deadline", loginHold{Owner: "x", Host: host, PID: os.Getppid(), Until: time.Now().Add(-time.Second)}, true},
		{"a live holder", loginHold{Owner: "x", Host: host, PID: os.Getppid(), Until: time.Now().Add(time.Hour)}, false},
		{"a holder of another host", loginHold{Owner: "x", Host: host + "-other", PID: dead.Process.Pid, Until: time.Now().Add(time.Hour)}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.json")
			writeLease(t, path, tc.hold)
			s := sessOpen(t, path)
			f := &fileLoginLock{s: s, target: path}
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			rec, release, err := f.AcquireLogin(ctx, time.Minute)
			if !tc.taken {
				require.ErrorIs(t, err, context.DeadlineExceeded)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, uint64(5), rec.Generation)
			require.NoError(t, release(&LoginRecord{Generation: 6}))
			lf, err := readLoginFile(path + ".login")
			require.NoError(t, err)
			assert.Equal(t, loginFile{Generation: 6}, lf)
		})
	}
}

// A holder that lost its lease records nothing.
func TestLostFileLeaseRecordsNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.json")
	s := sessOpen(t, path)
	f := &fileLoginLock{s: s, target: path}
	_, release, err := f.AcquireLogin(context.Background(), time.Minute)
	require.NoError(t, err)
	host := hostID()
	writeLease(t, path, loginHold{Owner: "other", Host: host, PID: os.Getpid(), Until: time.Now().Add(time.Hour)})
	require.ErrorIs(t, release(&LoginRecord{Generation: 9}), ErrLeaseLost)
	lf, err := readLoginFile(path + ".login")
	require.NoError(t, err)
	assert.Equal(t, uint64(5), lf.Generation)
	assert.Equal(t, "other", lf.Lease.Owner)
}

// FILE.login as earlier versions wrote it, a bare number, is read.
func TestLoginFileOfAnEarlierVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.json.login")
	require.NoError(t, os.WriteFile(path, []byte("7\n"), 0o600))
	lf, err := readLoginFile(path)
	require.NoError(t, err)
	assert.Equal(t, uint64(7), lf.Generation)
	require.NoError(t, os.WriteFile(path, []byte("{not json"), 0o600))
	lf, err = readLoginFile(path)
	require.NoError(t, err)
	assert.Equal(t, loginFile{}, lf, "unreadable: the next login writes a good one")
}

func TestNextGenerationNeverGoesBack(t *testing.T) {
	now := time.Now()
	g := NextGeneration(0, now)
	assert.Equal(t, uint64(now.UnixNano()), g)
	assert.Equal(t, g+1, NextGeneration(g, now), "a clock that did not move")
	assert.Equal(t, g+1, NextGeneration(g, now.Add(-time.Hour)), "a clock that went back")
	assert.Equal(t, uint64(1), NextGeneration(0, time.Unix(0, 0)))
	assert.Equal(t, uint64(math.MaxUint64), NextGeneration(math.MaxUint64-1, now))
	assert.Equal(t, uint64(math.MaxUint64), NextGeneration(math.MaxUint64, now), "never back to 0")
}

// A retry time recorded far in the future (a clock that jumped, a hostile
// file) holds logins for the longest backoff at most.
func TestFarRetryTimeCountsAsTheLongestBackoff(t *testing.T) {
	site, base := newFormSite(t)
	path := filepath.Join(t.TempDir(), "c.json")
	b, err := json.Marshal(loginFile{Generation: 1, Failures: 3, RetryAt: time.Now().Add(100 * 365 * 24 * time.Hour), Cause: "long ago"})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path+".login", b, 0o600))
	s := sessOpen(t, path, WithBaseURL(base), WithLogin(FormLogin("/accounts/login/", aliceFields)), WithLoginBackoff(10*time.Millisecond, 20*time.Millisecond))
	// The session took generation 1 when it opened: the record's backoff
	// applies, for 30 ms at most.
	_, err = getPrivate(s)
	require.ErrorIs(t, err, ErrLoginFailed)
	assert.ErrorContains(t, err, "long ago")
	untilOK(t, s)
	_, logins := site.counts()
	assert.Equal(t, 1, logins)
}

// FILE.login past its bound is named as what it is.
func TestHugeLoginFileIsRefusedByName(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.json")
	require.NoError(t, os.WriteFile(path+".login", make([]byte, maxLoginFile+1), 0o600))
	_, err := Open(path, WithLogin(FormLogin("/login", nil)))
	require.ErrorIs(t, err, ErrCorrupt)
	assert.ErrorContains(t, err, "more than a login record holds")
}

// formWorker is a child process on the file at path: it logs in to base
// with FormLogin and fields given as a query string, and fetches the
// private page n times from each of g goroutines, printing one line per
// failure.
func formWorker(path, base, fields string, g, n int) int {
	v, _ := url.ParseQuery(fields)
	s, err := Open(path, WithBaseURL(base), WithLogin(FormLogin("/accounts/login/", v)))
	if err != nil {
		fmt.Println("open:", err)
		return 1
	}
	defer s.Close()
	var wg sync.WaitGroup
	var mu sync.Mutex
	for range g {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range n {
				_, err := getPrivate(s)
				mu.Lock()
				switch {
				case err == nil:
					fmt.Println("ok")
				case errors.Is(err, ErrLoginFailed):
					fmt.Println("login failed")
				default:
					fmt.Println("error:", err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return 0
}

// Three processes on one file with a wrong password share the backoff: as
// many login POSTs as fit in the run's time at 1 s, 2 s, 4 s apart, at
// most one more for a process that tried before it saw the record.
func TestWrongPasswordBacksOffAcrossProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("runs processes")
	}
	site, base := newFormSite(t)
	path := filepath.Join(t.TempDir(), "c.json")
	start := time.Now()
	var wg sync.WaitGroup
	outs := make([]string, 3)
	for i := range outs {
		cmd := helperCmd(t, "form-worker", path)
		cmd.Env = append(cmd.Env, "HTTPSESSION_TEST_BASE="+base, "HTTPSESSION_TEST_FIELDS=username=alice&password=wrong")
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := cmd.Output()
			assert.NoError(t, err)
			outs[i] = string(out)
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	for _, out := range outs {
		lines := strings.Split(strings.TrimSpace(out), "\n")
		assert.Len(t, lines, 2*10)
		for _, l := range lines {
			assert.Equal(t, "login failed", l)
		}
	}
	posts, _ := site.counts()
	allowed := 1 + int(math.Log2(elapsed.Seconds()+1))
	assert.LessOrEqual(t, posts, allowed, "%d login POSTs from 3 processes in %v", posts, elapsed)
	rec, err := readLoginFile(path + ".login")
	require.NoError(t, err)
	assert.Equal(t, posts, rec.Failures, "every failure recorded")
	assert.Equal(t, "the login form came back", rec.Cause)
}

// A process that exits at once after its first answer, without Close,
// leaves its login on disk: the next process uses it without logging in.
func TestLoginIsOnDiskBeforeTheRequestIsSentAgain(t *testing.T) {
	if testing.Short() {
		t.Skip("runs processes")
	}
	site, base := newFormSite(t)
	path := filepath.Join(t.TempDir(), "c.json")
	cmd := helperCmd(t, "form-exit", path)
	cmd.Env = append(cmd.Env, "HTTPSESSION_TEST_BASE="+base)
	out, err := cmd.Output()
	require.NoError(t, err)
	assert.Equal(t, "private\n", string(out))
	_, logins := site.counts()
	require.Equal(t, 1, logins)

	s := sessOpen(t, path, WithBaseURL(base), WithLogin(FormLogin("/accounts/login/", aliceFields)))
	body, err := getPrivate(s)
	require.NoError(t, err)
	assert.Equal(t, "private", body)
	_, logins = site.counts()
	assert.Equal(t, 1, logins, "the next process logged in with the saved login")
}

// formExit is the child of TestLoginIsOnDiskBeforeTheRequestIsSentAgain.
func formExit(path, base string) int {
	s, err := Open(path, WithBaseURL(base), WithLogin(FormLogin("/accounts/login/", aliceFields)))
	if err != nil {
		fmt.Println("open:", err)
		return 1
	}
	body, err := getPrivate(s)
	if err != nil {
		fmt.Println("get:", err)
		return 1
	}
	fmt.Println(body)
	os.Exit(0) // no Close, as log.Fatal would
	return 0
}
