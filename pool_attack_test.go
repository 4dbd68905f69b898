package httpsession

// Adversarial tests of the identity pool (README "### Several accounts, one
// pool"). Each test names the promise it attacks.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/httpsession/httpsession/internal/safefile"
)

// attackStore is a PoolStore in memory, shared by several Pools as machines
// share Redis: its leases expire (NewPool), its clock is the local one.
type attackStore struct {
	mu    sync.Mutex
	state []byte
	ch    chan struct{}
}

func newAttackStore() *attackStore { return &attackStore{ch: make(chan struct{})} }

func (s *attackStore) Update(_ context.Context, change func([]byte, time.Time) ([]byte, error)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	next, err := change(s.state, time.Now())
	if err != nil || next == nil {
		return err
	}
	s.state = next
	close(s.ch)
	s.ch = make(chan struct{})
	return nil
}

func (s *attackStore) Wait(ctx context.Context, _ string, d time.Duration) error {
	s.mu.Lock()
	ch := s.ch
	s.mu.Unlock()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ch:
	case <-t.C:
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

func (s *attackStore) Wake(context.Context, []string) error { return nil }

func (s *attackStore) Session(_ context.Context, _ string, opts []Option) (*Session, func(context.Context) error, error) {
	sess, err := New(opts...)
	return sess, func(context.Context) error { return nil }, err
}

func (s *attackStore) Close() error { return nil }

func statusOf(p *Pool, name string) IdentityStatus {
	for _, st := range p.Status() {
		if st.Name == name {
			return st
		}
	}
	return IdentityStatus{}
}

// ---------------------------------------------------------------------
// Real bugs: these tests fail.
// ---------------------------------------------------------------------

// Promise: "A login that ran and failed ... counts" only when it is the
// identity's failure; "a login cut short by Release" is not (loginroom.go
// attempt: "Not the identity's failure: its pool took the session away").
// Attack: the login's request is cancelled by Release; the LoginFunc takes a
// moment to return its error, and meanwhile the same process leases the
// identity again. fenced() looks at the member's current lease (the new
// one, live), not at the lease the login was cut short by, so the cut-short
// login counts: three rounds retire an identity whose password is right.
func TestAttackLoginCutShortByReleaseCountsWhenReleasedAgainInProcess(t *testing.T) {
	site := newPoolSite(t)
	login := func(ctx context.Context, s *Session) error {
		resp, err := s.Get(ctx, "/login?user=ann&ms=400")
		if err != nil {
			time.Sleep(time.Second) // a LoginFunc that logs, cleans up, ...
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("the site said %s", resp.Status)
		}
		return nil
	}
	p := openTestPool(t, t.TempDir(), site, []Identity{{Name: "ann", Login: login}})
	ctx := testCtx(t)
	for round := range 3 {
		l, err := p.Acquire(ctx)
		require.NoError(t, err, "round %d", round)
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, _ = get(ctx, l, "/page") // 401: the login starts
		}()
		for site.count(site.inflight, "ann") == 0 { // the login's request is under way
			time.Sleep(5 * time.Millisecond)
		}
		l.Release()               // cuts it short
		l2, err := p.Acquire(ctx) // this process takes the identity again at once
		require.NoError(t, err)
		<-done // the Get waited for the login, which returned its error
		l2.Release()
		time.Sleep(300 * time.Millisecond) // past the login backoff
	}
	st := statusOf(p, "ann")
	assert.NotEqual(t, IdentityRetired, st.State,
		"ann's password is right and every login was cut short by Release, yet ann was retired: %v", st.Err)
}

// Promise: "Release cancels the requests still under way and waits for
// them"; "A blocked answer ... cools the identity down for everyone".
// Attack: Release comes while a request's blocked answer is still being
// judged (WithBlocked's detect runs after the guard counted the request out:
// poolguard.go l.leave() before blockedAnswer). Release does not wait, the
// identity is handed out again although the site already said 429 with
// Retry-After: 60, and the cool-down lands on the next holder's lease.
func TestAttackReleaseDoesNotWaitForBlockedAnswer(t *testing.T) {
	site := newPoolSite(t)
	site.owed["ann"], site.after["ann"] = 1, "60"
	entered := make(chan struct{}, 1)
	detect := func(r *http.Response) bool {
		if r.StatusCode != http.StatusTooManyRequests {
			return false
		}
		entered <- struct{}{}
		time.Sleep(2 * time.Second) // e.g. reading the page to look for a captcha
		return true
	}
	p := openTestPool(t, t.TempDir(), site, siteIdentities("ann"), WithBlocked(detect))
	ctx := testCtx(t)
	l, err := p.Acquire(ctx)
	require.NoError(t, err)
	got := make(chan error, 1)
	go func() {
		_, err := get(ctx, l, "/page")
		got <- err
	}()
	<-entered // the 429 has arrived; the Get has not returned
	l.Release()
	returned := false
	select {
	case <-got:
		returned = true
	default:
		t.Errorf("Release returned while a request of the lease was still under way")
	}
	actx, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
	defer cancel()
	l2, err := p.Acquire(actx)
	if err == nil {
		t.Errorf("ann was handed out again right after the site answered 429 (Retry-After: 60)")
		l2.Release()
	}
	if !returned {
		<-got
	}
}

// Promise (Lease.Block): "Block cools the identity down for everyone
// sharing the pool, for retryAfter". Attack: a blocked answer came first
// (Retry-After: 1), then the worker asks for an hour: finish skips cool()
// when the lease was blocked (poollease.go "how == endBlock && !blocked"),
// so the hour is dropped.
func TestAttackBlockAfterBlockedAnswerDropsRetryAfter(t *testing.T) {
	_, p, l, _ := blockedLease(t, "ann")
	l.Block(time.Hour)
	st := statusOf(p, "ann")
	require.Equal(t, IdentityCooling, st.State)
	assert.WithinDuration(t, time.Now().Add(time.Hour), st.Until, time.Minute,
		"Block(time.Hour) after a 429 with Retry-After: 1 cools ann down until %v", st.Until)
}

// Promise (Lease.Retire): "Retire retires the identity for everyone ...
// never handed out again until Reinstate". Attack: a reason whose text is
// empty. The state's Retired field doubles as the flag, so "" retires
// nothing (poollease.go finish: e.Retired = clip(retireReason(reason))).
func TestAttackRetireWithEmptyReasonDoesNotRetire(t *testing.T) {
	site := newPoolSite(t)
	p := openTestPool(t, t.TempDir(), site, siteIdentities("ann"))
	ctx := testCtx(t)
	for _, reason := range []error{errors.New(""), errors.New("httpsession: ")} {
		l, err := p.Acquire(ctx)
		require.NoError(t, err)
		l.Retire(reason)
		st := statusOf(p, "ann")
		if !assert.Equal(t, IdentityRetired, st.State, "Retire(%q)", reason) {
			continue
		}
		require.NoError(t, p.Reinstate(ctx, "ann"))
	}
}

type nilErr struct{ msg string }

func (e *nilErr) Error() string { return e.msg }

// Promise: no panic on any input; Release "is safe to call more than once,
// and after Block or Retire". Attack: Retire with a typed nil error (a
// classic Go slip). retireReason calls reason.Error() on a nil pointer
// inside the lease's sync.Once: it panics, and the Once counts as done, so
// the lease is never released: no Release frees the identity.
func TestAttackRetireWithTypedNilErrorPanicsAndStrandsLease(t *testing.T) {
	p, err := NewPool(newAttackStore(), []Identity{{Name: "ann"}})
	require.NoError(t, err)
	defer p.Close()
	ctx := testCtx(t)
	l, err := p.Acquire(ctx)
	require.NoError(t, err)
	var reason *nilErr
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Errorf("Retire of a typed nil error panicked: %v", r)
			}
		}()
		l.Retire(reason)
	}()
	l.Release()
	st := statusOf(p, "ann")
	assert.NotEqual(t, IdentityLeased, st.State, "ann stays leased for ever after Retire and Release")
}

// Promise: "State that is not a pool's is ErrCorrupt and is never
// overwritten." Attack: JSON that is not a pool's state but has no "v":
// decodePoolDoc sets V to the current version before json.Unmarshal, so a
// missing "v" passes for version 1 (poolstate.go decodePoolDoc), and the
// file is replaced by the pool's state.
func TestAttackForeignJSONStateIsOverwritten(t *testing.T) {
	for _, foreign := range []string{`{"settings":{"theme":"dark"}}`, `null`, `{}`} {
		t.Run(foreign, func(t *testing.T) {
			dir := t.TempDir()
			state := filepath.Join(dir, ".pool.json")
			require.NoError(t, os.WriteFile(state, []byte(foreign), 0o600))
			p, err := OpenPool(dir, []Identity{{Name: "ann"}})
			require.NoError(t, err)
			defer p.Close()
			l, err := p.Acquire(testCtx(t))
			if err == nil {
				l.Release()
			}
			assert.ErrorIs(t, err, ErrCorrupt, "a state without a version was taken for a pool's")
			after, _ := os.ReadFile(state)
			assert.Equal(t, foreign, string(after), "the foreign file was overwritten")
		})
	}
}

// Promise: "A waiter learns of a change without busy polling: on a
// directory, one poller per process looks at the state file every 10 ms".
// Attack: the poller compares the file with the one this process last read
// or wrote (dirStore.remember, called by every Update), so any update in
// the waiter's process that wakes no one - Status, a blocked answer, a
// login's outcome, a waiter giving up - swallows another process's release.
// Two Pools on one directory stand for two processes; the second calls
// Status, as a monitor does: its waiter sleeps ticketTTL/3 = 10 s with the
// identity free.
func TestAttackStatusCallsSwallowAnotherProcessRelease(t *testing.T) {
	dir := t.TempDir()
	ids := []Identity{{Name: "x"}}
	pa, err := OpenPool(dir, ids)
	require.NoError(t, err)
	defer pa.Close()
	pb, err := OpenPool(dir, ids)
	require.NoError(t, err)
	defer pb.Close()
	ctx := testCtx(t)

	handover := func(monitor bool) (time.Duration, error) {
		la, err := pa.Acquire(ctx)
		require.NoError(t, err)
		stop := make(chan struct{})
		var mon sync.WaitGroup
		if monitor {
			mon.Add(1)
			go func() {
				defer mon.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					_ = pb.Status()
				}
			}()
		}
		defer func() { close(stop); mon.Wait() }()
		type res struct {
			l   *Lease
			err error
			at  time.Time
		}
		got := make(chan res, 1)
		wctx, cancel := context.WithTimeout(ctx, 2500*time.Millisecond)
		defer cancel()
		go func() {
			l, err := pb.Acquire(wctx)
			got <- res{l, err, time.Now()}
		}()
		time.Sleep(300 * time.Millisecond) // pb's waiter is queued and waiting
		freed := time.Now()
		la.Release()
		if monitor {
			_ = pb.Status()
		}
		r := <-got
		if r.err == nil {
			r.l.Release()
		}
		return r.at.Sub(freed), r.err
	}

	took, err := handover(false)
	require.NoError(t, err)
	require.Less(t, took, time.Second, "control: without Status calls the waiter wakes at once")

	// The poller sees the change only if its tick falls between the
	// release and the next Status: try a few times.
	for range 3 {
		took, err = handover(true)
		if !assert.NoError(t, err, "the waiter of the other process never saw the identity freed") ||
			!assert.Less(t, took, time.Second, "the waiter of the other process took %v to see a free identity", took) {
			break
		}
	}
}

// Promise (README): the lease lock is "taken and dropped only under the
// lock of the shared state"; waiters learn of a freed identity at once.
// Attack: finish drops the lease lock after p.update returned, outside
// the state lock (poollease.go finish: p.locks.unlock after p.update). A
// waiter of another process whose take runs in that gap finds the lock
// held, marks the identity held by "unknown", and then waits for a state
// change that never comes: unlocking writes nothing, and the poller only
// watches the state file and holders with a pid. Here the gap is held open
// by taking the lease lock as the releasing process still has it.
func TestAttackLeaseLockDroppedOutsideStateLockStrandsWaiter(t *testing.T) {
	dir := t.TempDir()
	p, err := OpenPool(dir, []Identity{{Name: "x"}})
	require.NoError(t, err)
	defer p.Close()
	// The releasing process, between its state update and its unlock.
	unlock, ok, err := safefile.TryLock(filepath.Join(dir, "x.json.lease"))
	require.NoError(t, err)
	require.True(t, ok)
	ctx, cancel := context.WithTimeout(testCtx(t), 4*time.Second)
	defer cancel()
	type res struct {
		l   *Lease
		err error
		at  time.Time
	}
	got := make(chan res, 1)
	go func() {
		l, err := p.AcquireName(ctx, "x")
		got <- res{l, err, time.Now()}
	}()
	time.Sleep(300 * time.Millisecond)
	freed := time.Now()
	unlock() // the releasing process drops its lease lock
	r := <-got
	if r.err == nil {
		defer r.l.Release()
	}
	require.NoError(t, r.err, "x was free but its waiter never took it")
	assert.Less(t, r.at.Sub(freed), time.Second)
}

// Promise: "a waiter that died holds up the others at most its place's life
// (... 30 s on a directory ... elsewhere)"; clean "bounds times a clock
// that jumped, or a hand, wrote too far ahead". Attack: the place of a
// waiter of another host whose clock runs an hour ahead (or that a hand
// wrote). clean clamps cool-downs to 24 h but never a waiter's deadline
// (poolstate.go clean), so the dead waiter stays at the head of the queue
// for an hour, and every identity the queue frees goes to it.
func TestAttackWaiterPlaceFromSkewedClockIsNotBounded(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, ".pool.json")
	ghost := fmt.Sprintf(`{"v":1,"identities":{},"waiters":[{"id":"0123456789ab.ghost","host":"another-host","pid":4242,"deadline":%d}]}`,
		time.Now().Add(time.Hour).UnixNano())
	require.NoError(t, os.WriteFile(state, []byte(ghost), 0o600))
	p, err := OpenPool(dir, []Identity{{Name: "x"}})
	require.NoError(t, err)
	defer p.Close()
	ctx, cancel := context.WithTimeout(testCtx(t), time.Second)
	defer cancel()
	l, err := p.Acquire(ctx)
	if err == nil {
		l.Release()
	}
	t.Logf("Acquire with x free: %v", err)
	var d poolDoc
	data, err := os.ReadFile(state)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &d))
	for _, w := range d.Wait {
		if w.ID == "0123456789ab.ghost" {
			assert.LessOrEqual(t, w.Deadline, time.Now().Add(31*time.Second).UnixNano(),
				"the dead waiter keeps its place for %v", time.Until(time.Unix(0, w.Deadline)).Round(time.Second))
		}
	}
}

// Promise: exclusive leases; WithLeaseTTL "at least 100 ms" (no upper
// bound said). Attack: a TTL meant as "never expire": Deadline = n + ttl
// overflows int64 into the past (poollease.go take: e.Deadline = n +
// int64(p.cfg.ttl)), so the next Update's clean frees the identity while
// its holder's lease still sends: two machines hold it at once.
func TestAttackHugeLeaseTTLOverflowsIntoDoubleLease(t *testing.T) {
	store := newAttackStore()
	ids := []Identity{{Name: "x"}}
	pa, err := NewPool(store, ids, WithLeaseTTL(math.MaxInt64))
	require.NoError(t, err)
	defer pa.Close()
	pb, err := NewPool(store, ids, WithLeaseTTL(math.MaxInt64))
	require.NoError(t, err)
	defer pb.Close()
	la, err := pa.Acquire(testCtx(t))
	require.NoError(t, err)
	defer la.Release()
	ctx, cancel := context.WithTimeout(testCtx(t), 500*time.Millisecond)
	defer cancel()
	lb, err := pb.AcquireName(ctx, "x")
	if err == nil {
		lb.Release()
		t.Fatalf("two machines hold x at once (WithLeaseTTL(math.MaxInt64))")
	}
}

// Promise: no panic on any input. Attack: WithBlockBackoff with a limit
// meant as "no limit": blockWait doubles first past int64 (poolstate.go
// blockWait: d *= 2 while d < limit), d turns negative and rand.N panics, in
// the worker's goroutine, inside the lease's Once (so the lease stays held).
// Lease.Block with a Retry-After counts as a blocked answer in a row too, so
// 34 of them bring the count to where Block(0) overflows.
func TestAttackBlockBackoffOverflowPanics(t *testing.T) {
	p, err := NewPool(newAttackStore(), []Identity{{Name: "x"}}, WithBlockBackoff(time.Second, math.MaxInt64))
	require.NoError(t, err)
	defer p.Close()
	ctx := testCtx(t)
	for range 34 {
		l, err := p.Acquire(ctx)
		require.NoError(t, err)
		l.Block(time.Nanosecond)
	}
	l, err := p.Acquire(ctx)
	require.NoError(t, err)
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Errorf("Block(0) panicked: %v", r)
			}
		}()
		l.Block(0)
	}()
}

// Promise: "the blocked answer itself is returned as it came", "The lease's
// later requests fail with ErrBlocked". Attack: a pool whose sessions retry
// (WithSessionOptions(WithRetry(DefaultRetryPolicy()))). The retry
// transport sits above the lease guard (session.go New): it retries the
// 429 after its Retry-After, the guard refuses with ErrBlocked, and the
// retry transport retries that error too, with backoff. The worker gets an
// error after seconds instead of the 429 at once.
func TestAttackRetryPolicyHidesBlockedAnswer(t *testing.T) {
	site := newPoolSite(t)
	site.owed["ann"], site.after["ann"] = 1, "2"
	p := openTestPool(t, t.TempDir(), site, siteIdentities("ann"),
		WithSessionOptions(WithRetry(DefaultRetryPolicy())))
	ctx := testCtx(t)
	l, err := p.Acquire(ctx)
	require.NoError(t, err)
	defer l.Release()
	start := time.Now()
	status, err := get(ctx, l, "/page")
	took := time.Since(start)
	assert.NoError(t, err, "the 429 was replaced by an error")
	assert.Equal(t, http.StatusTooManyRequests, status)
	assert.Less(t, took, time.Second, "the worker waited %v to learn its identity was blocked", took)
}

// Promise: "A login that ran and failed for another reason than the network
// (an unreachable site, a timeout) counts". Attack: an identity with its
// own proxy (as the README's scraper has) whose login host cannot be
// reached: the proxy answers CONNECT with 502 Bad Gateway (or 504 Gateway
// Timeout). net/http returns errors.New("Bad Gateway"), not a *net.OpError,
// so networkCause (poolguard.go) counts it: the identity is retired for the
// network's failure. Without a proxy the same outage ("connection refused")
// does not count.
func TestAttackProxyConnectFailureCountsAsFailedLogin(t *testing.T) {
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodConnect {
			http.Error(w, "cannot reach "+r.Host, http.StatusBadGateway)
			return
		}
		http.Error(w, "log in", http.StatusUnauthorized) // the site, through the proxy
	}))
	defer proxy.Close()
	pu, _ := url.Parse(proxy.URL)
	login := func(ctx context.Context, s *Session) error {
		resp, err := s.Get(ctx, "https://sso.example/login") // the single sign-on host
		if err != nil {
			return err
		}
		resp.Body.Close()
		return nil
	}
	p, err := OpenPool(t.TempDir(), []Identity{{Name: "ann", Login: login, Options: []Option{WithProxy(http.ProxyURL(pu))}}},
		WithSessionOptions(WithBaseURL("http://site.example"), WithLoginBackoff(20*time.Millisecond, 50*time.Millisecond)))
	require.NoError(t, err)
	defer p.Close()
	ctx := testCtx(t)
	var last error
	for range 5 {
		actx, cancel := context.WithTimeout(ctx, 2*time.Second)
		l, err := p.Acquire(actx)
		cancel()
		if err != nil {
			last = err
			break
		}
		_, last = get(ctx, l, "/page")
		l.Release()
		time.Sleep(150 * time.Millisecond)
	}
	st := statusOf(p, "ann")
	assert.NotEqual(t, IdentityRetired, st.State,
		"ann was retired because the network could not reach its login host: %v (last: %v)", st.Err, last)
}

// Promise: no panic on any input (nil context). Acquire checks for a nil
// context; Reinstate does not: dirStore.Update hands it to safefile.Lock,
// whose context.WithTimeout panics.
func TestAttackReinstateNilContextPanics(t *testing.T) {
	p, err := OpenPool(t.TempDir(), []Identity{{Name: "ann"}})
	require.NoError(t, err)
	defer p.Close()
	var nilCtx context.Context
	_, err = p.Acquire(nilCtx)
	assert.Error(t, err)
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Errorf("Reinstate(nil, ...) panicked: %v", r)
			}
		}()
		_ = p.Reinstate(nilCtx, "ann")
	}()
}

// Promise: "Broken identities are retired", Acquire fails only when ctx
// ends or every identity is retired (the README's worker loop returns on any
// error). Attack: one identity's cookie file is not a cookie file. Every
// time the least recently used pick falls on it, Acquire returns an error
// (the session cannot be opened, poollease.go lease), the identity is never
// set aside, and the README's workers quit one by one though bob is fine.
func TestAttackBrokenCookieFileMakesWorkersQuit(t *testing.T) {
	site := newPoolSite(t)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "ann.json"), []byte("this is not a cookie file"), 0o600))
	p := openTestPool(t, dir, site, siteIdentities("ann", "bob"))
	ctx := testCtx(t)
	var failures []error
	for range 6 {
		l, err := p.Acquire(ctx)
		if err != nil {
			failures = append(failures, err)
			continue
		}
		_, _ = get(ctx, l, "/page")
		l.Release()
	}
	assert.Empty(t, failures, "Acquire failed %d times out of 6 with bob free; README's worker returns on the first", len(failures))
	if len(failures) > 0 {
		assert.NotErrorIs(t, failures[0], ErrNoIdentity)
		t.Logf("first failure: %v; ann is %v", failures[0], statusOf(p, "ann").State)
	}
}

// ---------------------------------------------------------------------
// Regression tests: the pool keeps these promises.
// ---------------------------------------------------------------------

// A lease's Session, kept after Release, through a saved pointer or a
// Client made before: its requests fail with ErrLeaseEnded and never reach
// the site, also while another lease of this process holds the identity.
func TestAttackSessionAfterReleaseNeverSends(t *testing.T) {
	site := newPoolSite(t)
	p := openTestPool(t, t.TempDir(), site, siteIdentities("ann"))
	ctx := testCtx(t)
	l, err := p.Acquire(ctx)
	require.NoError(t, err)
	status, err := get(ctx, l, "/page")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, status)
	sess, client := l.Session(), l.Session().Client()
	l.Release()
	l2, err := p.Acquire(ctx) // the same identity, in this process
	require.NoError(t, err)
	defer l2.Release()
	before := site.count(site.answered, "ann")
	_, err = sess.Get(ctx, "/page")
	assert.ErrorIs(t, err, ErrLeaseEnded)
	resp, err := client.Get(site.URL + "/page")
	if err == nil {
		resp.Body.Close()
	}
	assert.ErrorIs(t, err, ErrLeaseEnded)
	assert.NoError(t, sess.Close()) // releases the old lease: nothing
	status, err = get(ctx, l2, "/page")
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, status, "closing the old lease's Session must not end the new lease")
	assert.Equal(t, before+1, site.count(site.answered, "ann"))
}

// Retry-After abused: a huge number, a date far ahead, a date past, junk.
// The cool-down stays within (0, 24 h].
func TestAttackRetryAfterAbuseStaysBounded(t *testing.T) {
	for _, ra := range []string{"4294967295", "99999999999999999999", "-5", "Fri, 31 Dec 9999 23:59:59 GMT", "Mon, 01 Jan 1990 00:00:00 GMT", "soon"} {
		t.Run(ra, func(t *testing.T) {
			site := newPoolSite(t)
			site.owed["ann"], site.after["ann"] = 1, ra
			p := openTestPool(t, t.TempDir(), site, siteIdentities("ann"))
			ctx := testCtx(t)
			l, err := p.Acquire(ctx)
			require.NoError(t, err)
			status, err := get(ctx, l, "/page")
			require.NoError(t, err)
			require.Equal(t, http.StatusTooManyRequests, status)
			l.Release()
			st := statusOf(p, "ann")
			require.Equal(t, IdentityCooling, st.State)
			assert.True(t, st.Until.After(time.Now()))
			assert.False(t, st.Until.After(time.Now().Add(24*time.Hour+time.Minute)), "until %v", st.Until)
		})
	}
}

// Secrets in what the pool reports: a login error naming its URL with a
// token in the query and a password in the userinfo, a retire reason too.
func TestAttackSecretsStayOutOfStatusAndErrors(t *testing.T) {
	site := newPoolSite(t)
	site.wrong["ann"] = true
	login := func(ctx context.Context, s *Session) error {
		resp, err := s.Get(ctx, "/login?user=ann&pw=hunter2secret")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s answered %s", resp.Request.URL, resp.Status)
		}
		return nil
	}
	p := openTestPool(t, t.TempDir(), site, []Identity{{Name: "ann", Login: login}, {Name: "bob", Login: siteLogin("bob")}})
	ctx := testCtx(t)
	for i := 0; i < 20 && statusOf(p, "ann").State != IdentityRetired; i++ {
		l, err := p.AcquireName(ctx, "ann")
		if err != nil {
			break
		}
		_, _ = get(ctx, l, "/page")
		l.Release()
		time.Sleep(120 * time.Millisecond)
	}
	require.Equal(t, IdentityRetired, statusOf(p, "ann").State)
	l, err := p.AcquireName(ctx, "bob")
	require.NoError(t, err)
	l.Retire(fmt.Errorf("banned: see %s", "https://bob:sekritpass@site.example/ban?session=abcdef123456"))
	_, err = p.Acquire(ctx)
	require.ErrorIs(t, err, ErrNoIdentity)
	var text strings.Builder
	text.WriteString(err.Error())
	for _, st := range p.Status() {
		text.WriteString(st.Err.Error())
	}
	for _, secret := range []string{"hunter2secret", "sekritpass", "abcdef123456"} {
		assert.NotContains(t, text.String(), secret)
	}
}

// Names and id lists that are not a pool's: errors, not panics.
func TestAttackBadIdentitiesAreRefused(t *testing.T) {
	long := strings.Repeat("a", 129)
	many := make([]Identity, maxPoolIdentities+1)
	for i := range many {
		many[i].Name = fmt.Sprintf("id%d", i)
	}
	for name, ids := range map[string][]Identity{
		"nil":       nil,
		"empty":     {},
		"noname":    {{}},
		"dot":       {{Name: ".pool"}},
		"slash":     {{Name: "a/b"}},
		"dotdot":    {{Name: ".."}},
		"nul":       {{Name: "a\x00b"}},
		"space":     {{Name: "a b"}},
		"unicode":   {{Name: "änn"}},
		"long":      {{Name: long}},
		"duplicate": {{Name: "ann"}, {Name: "ann"}},
		"case":      {{Name: "ann"}, {Name: "ANN"}},
		"too many":  many,
	} {
		p, err := OpenPool(t.TempDir(), ids)
		if !assert.Error(t, err, name) {
			p.Close()
		}
	}
	_, err := NewPool(nil, []Identity{{Name: "a"}})
	assert.Error(t, err)
	p, err := OpenPool(t.TempDir(), []Identity{{Name: "ann"}}, nil, WithBlocked(nil), WithRetireAfter(-1), WithBlockBackoff(-1, -1), WithLeaseTTL(-1))
	require.NoError(t, err)
	defer p.Close()
	_, err = p.AcquireName(testCtx(t), "nobody")
	assert.Error(t, err)
	assert.Error(t, p.Reinstate(testCtx(t), "nobody"))
}

// The state file or a lease file that is a FIFO, a symbolic link to
// elsewhere, too large, another version: errors, never a hang, never
// overwritten.
func TestAttackStateFilesThatAreNotFiles(t *testing.T) {
	ctx := func(t *testing.T) context.Context {
		c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		t.Cleanup(cancel)
		return c
	}
	t.Run("fifo state", func(t *testing.T) {
		dir := t.TempDir()
		require.NoError(t, mkfifo(filepath.Join(dir, ".pool.json")))
		p, err := OpenPool(dir, []Identity{{Name: "ann"}})
		if err != nil {
			return
		}
		defer p.Close()
		_, err = p.Acquire(ctx(t))
		assert.ErrorIs(t, err, ErrUnsafePath)
	})
	t.Run("fifo lease", func(t *testing.T) {
		dir := t.TempDir()
		require.NoError(t, mkfifo(filepath.Join(dir, "ann.json.lease")))
		p, err := OpenPool(dir, []Identity{{Name: "ann"}})
		require.NoError(t, err)
		defer p.Close()
		// Set aside (a minute): Acquire waits for another, and says why
		// when its context ends.
		_, err = p.Acquire(ctx(t))
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.ErrorContains(t, err, "ann: cannot be used")
		assert.Equal(t, IdentityCooling, p.Status()[0].State)
	})
	t.Run("symlink lease", func(t *testing.T) {
		dir, elsewhere := t.TempDir(), t.TempDir()
		target := filepath.Join(elsewhere, "x")
		require.NoError(t, os.Symlink(target, filepath.Join(dir, "ann.json.lease")))
		p, err := OpenPool(dir, []Identity{{Name: "ann"}})
		require.NoError(t, err)
		defer p.Close()
		_, err = p.Acquire(ctx(t))
		assert.Error(t, err)
		_, err = os.Lstat(target)
		assert.ErrorIs(t, err, os.ErrNotExist)
	})
	t.Run("huge and other version", func(t *testing.T) {
		for _, content := range [][]byte{
			append([]byte(`{"v":1,"identities":{},"pad":"`), append([]byte(strings.Repeat("x", maxPoolDoc)), '"', '}')...),
			[]byte(`{"v":2,"identities":{}}`),
			[]byte("not json"),
		} {
			dir := t.TempDir()
			state := filepath.Join(dir, ".pool.json")
			require.NoError(t, os.WriteFile(state, content, 0o600))
			p, err := OpenPool(dir, []Identity{{Name: "ann"}})
			require.NoError(t, err)
			_, err = p.Acquire(ctx(t))
			assert.ErrorIs(t, err, ErrCorrupt)
			for _, st := range p.Status() {
				assert.Error(t, st.Err)
			}
			p.Close()
			after, _ := os.ReadFile(state)
			assert.Equal(t, len(content), len(after))
		}
	})
}

// A long-running pool: many leases with requests leave no goroutines
// behind, and Close while workers run returns, with every worker ending.
func TestAttackManyLeasesAndCloseUnderLoadLeaveNothingBehind(t *testing.T) {
	site := newPoolSite(t)
	base := countGoroutines()
	p, err := OpenPool(t.TempDir(), siteIdentities("ann", "bob", "cy"),
		WithSessionOptions(WithBaseURL(site.URL)))
	require.NoError(t, err)
	ctx := testCtx(t)
	var wg sync.WaitGroup
	var leases atomic.Int64
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				l, err := p.Acquire(ctx)
				if err != nil {
					return
				}
				leases.Add(1)
				_, _ = get(ctx, l, "/page")
				_, _ = l.Session().Get(ctx, "/page") // a body never read nor closed
				l.Release()
			}
		}()
	}
	for leases.Load() < 300 {
		time.Sleep(10 * time.Millisecond)
	}
	closed := make(chan error, 1)
	go func() { closed <- p.Close() }()
	select {
	case <-closed:
	case <-time.After(20 * time.Second):
		t.Fatal("Close hangs while workers run")
	}
	wg.Wait()
	site.CloseClientConnections()
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	deadline := time.Now().Add(5 * time.Second)
	for countGoroutines() > base+2 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	assert.LessOrEqual(t, countGoroutines(), base+2, "goroutines left behind after %d leases", leases.Load())
}

func mkfifo(path string) error { return syscall.Mkfifo(path, 0o600) }

func countGoroutines() int { return runtime.NumGoroutine() }

// Three pools on one directory (as three processes): no identity ever has
// two requests in flight, and no use is lost.
func TestAttackThreePoolsOnOneDirectoryStayExclusive(t *testing.T) {
	site := newPoolSite(t)
	dir := t.TempDir()
	names := []string{"ann", "bob"}
	ctx := testCtx(t)
	var pools []*Pool
	for range 3 {
		pools = append(pools, openTestPool(t, dir, site, siteIdentities(names...)))
	}
	var wg sync.WaitGroup
	var leases atomic.Int64
	var mu sync.Mutex
	var longest time.Duration
	for _, p := range pools {
		for range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 25 {
					start := time.Now()
					l, err := p.Acquire(ctx)
					if !assert.NoError(t, err) {
						return
					}
					waited := time.Since(start)
					mu.Lock()
					longest = max(longest, waited)
					mu.Unlock()
					leases.Add(1)
					_, err = get(ctx, l, "/page?ms=2")
					assert.NoError(t, err)
					l.Release()
				}
			}()
		}
	}
	wg.Wait()
	uses := 0
	for _, st := range pools[0].Status() {
		uses += st.Uses
		assert.Equal(t, IdentityFree, st.State)
	}
	assert.EqualValues(t, leases.Load(), uses, "uses lost")
	// 9 workers, 2 identities, leases of a few ms: a wait of seconds is a
	// waiter that was not woken (it looks again every 10 s by itself).
	assert.Less(t, longest, 5*time.Second, "the longest Acquire took %v", longest)
	for _, n := range names {
		assert.Equal(t, 1, site.count(site.most, n), "%s had two requests in flight", n)
	}
}
