package redisjar_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/redisjar"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The pool on Redis: what it promises a fleet, checked from outside, at a
// site that sees every request (leaseSite) and in Redis itself.

// leaseSite is a site that knows, from the headers a pool's sessions send,
// which identity (X-Identity, an Identity's own option), which pool
// (X-Pool, the pool's session option: one per "machine") and which lease
// (X-Lease, per request) each request comes from. It records every
// request's start and end, and each clash: a request of an identity that
// began while a request of another lease of that identity was in flight.
// GET /work?ms=N answers after N ms; GET /hang answers only when the
// client goes away.
type leaseSite struct {
	*httptest.Server
	mu      sync.Mutex
	open    map[string]map[*siteVisit]struct{} // identity → requests in flight
	visits  []*siteVisit                       // ended requests
	clashes []string
}

type siteVisit struct {
	identity, pool, lease string
	start, end            time.Time
	answered              bool // ran to its end, rather than being cancelled
}

func startLeaseSite(t *testing.T) *leaseSite {
	t.Helper()
	s := &leaseSite{open: map[string]map[*siteVisit]struct{}{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *leaseSite) serve(w http.ResponseWriter, r *http.Request) {
	v := &siteVisit{identity: r.Header.Get("X-Identity"), pool: r.Header.Get("X-Pool"), start: time.Now()}
	v.lease = v.pool + "/" + r.Header.Get("X-Lease")
	s.mu.Lock()
	if v.identity == "" || v.pool == "" {
		s.clashes = append(s.clashes, fmt.Sprintf("a request without identity or pool: %q %q", v.identity, v.pool))
	}
	if s.open[v.identity] == nil {
		s.open[v.identity] = map[*siteVisit]struct{}{}
	}
	for o := range s.open[v.identity] {
		if o.lease != v.lease {
			s.clashes = append(s.clashes, fmt.Sprintf("%s: a request of lease %s began while one of lease %s, begun %v before, was in flight",
				v.identity, v.lease, o.lease, v.start.Sub(o.start)))
		}
	}
	s.open[v.identity][v] = struct{}{}
	s.mu.Unlock()
	wait := patience
	if r.URL.Path != "/hang" {
		ms, _ := strconv.Atoi(r.URL.Query().Get("ms"))
		wait = time.Duration(ms) * time.Millisecond
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	answered := false
	select {
	case <-timer.C:
		answered = true
	case <-r.Context().Done():
	}
	s.mu.Lock()
	v.end, v.answered = time.Now(), answered
	delete(s.open[v.identity], v)
	s.visits = append(s.visits, v)
	s.mu.Unlock()
	_, _ = io.WriteString(w, "ok")
}

func (s *leaseSite) clashList() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.clashes)
}

// inFlight counts the requests of identity from pool under way.
func (s *leaseSite) inFlight(identity, pool string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for v := range s.open[identity] {
		if v.pool == pool {
			n++
		}
	}
	return n
}

// answeredSince counts the requests of pool begun after since and answered.
func (s *leaseSite) answeredSince(pool string, since time.Time) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, v := range s.visits {
		if v.pool == pool && v.answered && v.start.After(since) {
			n++
		}
	}
	return n
}

// ended returns the requests that ended, in no particular order.
func (s *leaseSite) ended() []siteVisit {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]siteVisit, len(s.visits))
	for i, v := range s.visits {
		out[i] = *v
	}
	return out
}

// leaseGet sends GET path on the lease's session as lease tag, reads the
// answer, and returns its status.
func leaseGet(ctx context.Context, l *httpsession.Lease, path, tag string) (int, error) {
	resp, err := l.Session().Get(ctx, path, httpsession.Header("X-Lease", tag))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, err
}

// openSitePool opens a Redis pool of the identities names on site, whose
// sessions tell the site the pool's tag; it is closed at the end of the
// test.
func openSitePool(t *testing.T, client *redis.Client, prefix, tag string, site *leaseSite, names []string, opts ...httpsession.PoolOption) *httpsession.Pool {
	t.Helper()
	ids := make([]httpsession.Identity, len(names))
	for i, n := range names {
		ids[i] = httpsession.Identity{Name: n, Options: []httpsession.Option{httpsession.WithHeader("X-Identity", n)}}
	}
	all := append([]httpsession.PoolOption{
		httpsession.WithSessionOptions(httpsession.WithBaseURL(site.URL), httpsession.WithHeader("X-Pool", tag)),
	}, opts...)
	p, err := redisjar.OpenPool(context.Background(), client, prefix, ids, all...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// closeTogether closes pools at once, at the end of the test (before
// their own cleanups, which find them closed): each Close takes up to the
// jars' block time (1 s).
func closeTogether(t *testing.T, ps []*httpsession.Pool) {
	t.Cleanup(func() {
		var wg sync.WaitGroup
		for _, p := range ps {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_ = p.Close()
			}()
		}
		wg.Wait()
	})
}

// patienceCtx bounds a test's waits (see patience).
func patienceCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	t.Cleanup(cancel)
	return ctx
}

// statusOf returns the status of the identity name in p.
func statusOf(t *testing.T, p *httpsession.Pool, name string) httpsession.IdentityStatus {
	t.Helper()
	for _, st := range p.Status() {
		if st.Name == name {
			return st
		}
	}
	t.Fatalf("no identity %q in the pool", name)
	return httpsession.IdentityStatus{}
}

// totalUses sums the Uses of p's identities, and fails if the state could
// not be read.
func totalUses(t *testing.T, p *httpsession.Pool) int {
	t.Helper()
	n := 0
	for _, st := range p.Status() {
		if st.State != httpsession.IdentityRetired && st.State != httpsession.IdentityCooling {
			require.NoError(t, st.Err, st.Name)
		}
		n += st.Uses
	}
	return n
}

// redisProxy stands between a pool and Redis, as the network does: it
// forwards both ways until told to cut (every connection closed, new ones
// refused: Redis out of reach), to fall silent (everything sent is
// dropped, connections stay open: a partition), or to delay what Redis
// answers (a slow link).
type redisProxy struct {
	target string
	ln     net.Listener

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	cutOff bool
	silent bool
	delay  time.Duration // of Redis's answers
}

func startRedisProxy(t *testing.T, target string) *redisProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &redisProxy{target: target, ln: ln, conns: map[net.Conn]struct{}{}}
	go p.accept()
	t.Cleanup(p.cut)
	return p
}

func (p *redisProxy) addr() string { return p.ln.Addr().String() }

func (p *redisProxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.serve(c)
	}
}

// track adds c to the connections cut will close, or closes it if the
// proxy is cut already.
func (p *redisProxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cutOff {
		_ = c.Close()
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *redisProxy) serve(c net.Conn) {
	if !p.track(c) {
		return
	}
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		_ = c.Close()
		return
	}
	if !p.track(s) {
		_ = c.Close()
		return
	}
	go p.pipe(c, s, false)
	p.pipe(s, c, true)
}

// pipe copies src to dst, delaying Redis's answers (down) by the proxy's
// delay, and dropping everything while the proxy is silent.
func (p *redisProxy) pipe(src, dst net.Conn, down bool) {
	type chunk struct {
		data []byte
		due  time.Time
	}
	out := make(chan chunk, 1024)
	go func() {
		defer dst.Close()
		for c := range out {
			if d := time.Until(c.due); d > 0 {
				time.Sleep(d) // the link's latency, not a wait for an event
			}
			if _, err := dst.Write(c.data); err != nil {
				return
			}
		}
	}()
	defer close(out)
	defer src.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			silent, delay := p.silent, p.delay
			p.mu.Unlock()
			if !down {
				delay = 0
			}
			if !silent {
				out <- chunk{data: slices.Clone(buf[:n]), due: time.Now().Add(delay)}
			}
		}
		if err != nil {
			return
		}
	}
}

// cut closes every connection and refuses new ones.
func (p *redisProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cutOff = true
	_ = p.ln.Close()
	for c := range p.conns {
		_ = c.Close()
	}
	p.conns = map[net.Conn]struct{}{}
}

// fallSilent drops everything from now on, both ways.
func (p *redisProxy) fallSilent() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.silent = true
}

// slowDown delays Redis's answers by d from now on.
func (p *redisProxy) slowDown(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.delay = d
}

// A holder that loses Redis (refused, or silent: a partition) stops
// sending on its lease before Redis lets another pool take the identity:
// pool A, behind a proxy, holds "ann" and keeps sending (a request that
// lasts until it is cancelled, and a loop of short ones); the proxy is cut;
// pool B, waiting in AcquireName, gets "ann" within 2 TTLs, after A's
// request under way was cancelled (its error wraps ErrLeaseEnded); A's
// next request fails so too, and the site never sees A's and B's
// requests overlap.
func TestPoolLeaseStopsBeforeAnotherPoolCanTakeIt(t *testing.T) {
	for _, how := range []string{"refused", "silent"} {
		t.Run(how, func(t *testing.T) {
			const ttl = 2 * time.Second
			srv := startRedis(t)
			proxy := startRedisProxy(t, srv.addr())
			site := startLeaseSite(t)
			ctx := patienceCtx(t)
			viaProxy := redis.NewClient(&redis.Options{Addr: proxy.addr()})
			t.Cleanup(func() { _ = viaProxy.Close() })
			names := []string{"ann", "bob"}
			a := openSitePool(t, viaProxy, "fence", "A", site, names, httpsession.WithLeaseTTL(ttl))
			b := openSitePool(t, srv.client(), "fence", "B", site, names, httpsession.WithLeaseTTL(ttl))
			closeTogether(t, []*httpsession.Pool{a, b})

			la, err := a.AcquireName(ctx, "ann")
			require.NoError(t, err)
			first := statusOf(t, b, "ann")
			require.Equal(t, httpsession.IdentityLeased, first.State)

			type stop struct {
				at  time.Time
				err error
			}
			hung, looped := make(chan stop, 1), make(chan stop, 1)
			go func() {
				_, err := leaseGet(ctx, la, "/hang", "1")
				hung <- stop{time.Now(), err}
			}()
			go func() {
				for {
					if _, err := leaseGet(ctx, la, "/work?ms=10", "1"); err != nil {
						looped <- stop{time.Now(), err}
						return
					}
				}
			}()
			// A renews its lease (B sees its deadline move on), and its
			// long request is under way.
			var renewed httpsession.IdentityStatus
			require.Eventually(t, func() bool {
				renewed = statusOf(t, b, "ann")
				return renewed.Until.After(first.Until.Add(ttl/6)) && site.inFlight("ann", "A") > 0
			}, patience, 5*time.Millisecond, "A never renewed its lease, or its request never reached the site")

			type grant struct {
				l   *httpsession.Lease
				err error
				at  time.Time
			}
			granted := make(chan grant, 1)
			go func() {
				l, err := b.AcquireName(ctx, "ann")
				granted <- grant{l, err, time.Now()}
			}()
			cut := time.Now()
			if how == "refused" {
				proxy.cut()
			} else {
				proxy.fallSilent()
			}
			g := <-granted
			require.NoError(t, g.err)
			took := g.at.Sub(cut)
			assert.LessOrEqual(t, took, 2*ttl, "B got ann %v after A lost Redis", took)
			status, err := leaseGet(ctx, g.l, "/work?ms=1", "1")
			require.NoError(t, err)
			assert.Equal(t, http.StatusOK, status)

			// The request under way was cancelled before B's lease began.
			s := <-hung
			assert.ErrorIs(t, s.err, httpsession.ErrLeaseEnded)
			assert.True(t, s.at.Before(g.at), "A's request under way failed %v after B got the lease", s.at.Sub(g.at))
			t.Logf("A's request under way stopped %v after the cut, %v before B got the lease (B waited %v)", s.at.Sub(cut), g.at.Sub(s.at), took)
			// The next one fails, maybe later: before a request is sent,
			// A's cookie jar looks for news in Redis, which can take
			// the client's ReadTimeout (3 s) on a silent link; the site
			// shows it was never sent.
			s = <-looped
			assert.ErrorIs(t, s.err, httpsession.ErrLeaseEnded)
			assert.Empty(t, site.clashList())
			var lastA, firstB time.Time
			for _, v := range site.ended() {
				if v.pool == "A" && v.end.After(lastA) {
					lastA = v.end
				}
				if v.pool == "B" && (firstB.IsZero() || v.start.Before(firstB)) {
					firstB = v.start
				}
			}
			assert.True(t, lastA.Before(firstB), "A's last request ended %v after B's first began", lastA.Sub(firstB))

			g.l.Release()
			assert.Equal(t, httpsession.IdentityFree, statusOf(t, b, "ann").State)
			proxy.cut() // A's release then fails at once rather than waiting on silence
			la.Release()
		})
	}
}

// A lease's time runs from before Redis read its clock for the grant, not
// from when the grant came back: a holder whose grant reached it late (a
// slow link) still stops before Redis lets another take the identity.
// Pool A's link to Redis delays Redis's answers by far more than the
// lease's safety margin (TTL/20) while A gets "ann"; then, before A's
// first renewal (a third of the TTL), A sends a request that lasts until
// it is cancelled and loses Redis. Pool B asks for "ann" again and again
// until it gets it: the site never sees A's and B's requests at once.
func TestPoolLeaseGrantedOverASlowLinkStopsInTime(t *testing.T) {
	const ttl = 3 * time.Second
	const lag = 700 * time.Millisecond
	srv := startRedis(t)
	proxy := startRedisProxy(t, srv.addr())
	site := startLeaseSite(t)
	ctx := patienceCtx(t)
	viaProxy := redis.NewClient(&redis.Options{Addr: proxy.addr()})
	t.Cleanup(func() { _ = viaProxy.Close() })
	names := []string{"ann"}
	a := openSitePool(t, viaProxy, "slow", "A", site, names, httpsession.WithLeaseTTL(ttl))
	b := openSitePool(t, srv.client(), "slow", "B", site, names, httpsession.WithLeaseTTL(ttl))
	closeTogether(t, []*httpsession.Pool{a, b})
	// A opens ann's session at a first lease, so that the next one needs
	// Redis only for its grant.
	l0, err := a.AcquireName(ctx, "ann")
	require.NoError(t, err)
	l0.Release()

	proxy.slowDown(lag)
	asked := time.Now()
	la, err := a.AcquireName(ctx, "ann")
	require.NoError(t, err)
	proxy.slowDown(0)
	grantTook := time.Since(asked)
	deadline := statusOf(t, b, "ann").Until // when Redis lets ann go, unless A renews
	type stop struct {
		at  time.Time
		err error
	}
	stopped := make(chan stop, 1)
	go func() {
		_, err := leaseGet(ctx, la, "/hang", "1")
		stopped <- stop{time.Now(), err}
	}()
	var early *stop
	require.Eventually(t, func() bool {
		select {
		case s := <-stopped:
			early = &s
			return true
		default:
			return site.inFlight("ann", "A") > 0
		}
	}, patience, time.Millisecond)
	proxy.cut()
	if early != nil {
		require.ErrorIs(t, early.err, httpsession.ErrLeaseEnded)
		t.Skipf("A's lease lapsed before its request was sent (a busy machine: its grant took %v): nothing to see", grantTook)
	}
	if renewed := statusOf(t, b, "ann").Until; renewed.After(deadline.Add(ttl / 6)) {
		t.Skipf("A renewed its lease before it lost Redis (a busy machine): nothing to see (its grant took %v)", grantTook)
	}

	var lb *httpsession.Lease
	for lb == nil {
		actx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		lb, err = b.AcquireName(actx, "ann")
		cancel()
		if err != nil {
			require.ErrorIs(t, err, context.DeadlineExceeded)
			require.NoError(t, ctx.Err())
		}
	}
	got := time.Now()
	status, err := leaseGet(ctx, lb, "/work?ms=1", "1")
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, status)
	s := <-stopped
	assert.ErrorIs(t, s.err, httpsession.ErrLeaseEnded)
	assert.True(t, s.at.Before(got), "A's request under way failed %v after B got the lease", s.at.Sub(got))
	assert.Empty(t, site.clashList(), "A and B sent as ann at once")
	t.Logf("A's grant took %v; A stopped %v before the deadline Redis set, B got ann %v after it",
		grantTook, deadline.Sub(s.at), got.Sub(deadline))
	lb.Release()
	la.Release()
}

// A holder killed with SIGKILL frees its identity within 2 TTLs for a pool
// already waiting for it: a holder of this host at once (its process is
// gone), one of "another host" (a process-id namespace of its own, which
// the pool cannot look into) when its lease lapses in Redis.
func TestPoolKilledHolderFreesItsIdentity(t *testing.T) {
	const ttl = time.Second
	srv := startRedis(t)
	site := startLeaseSite(t)
	for _, where := range []string{"this host", "another host"} {
		t.Run(where, func(t *testing.T) {
			ctx := patienceCtx(t)
			prefix := "held-" + strings.ReplaceAll(where, " ", "-")
			args := []string{"-addr", srv.addr(), "-prefix", prefix, "-ttl", ttl.String(), "-accounts", "ann:x,bob:y", "-base", site.URL}
			var holder *exec.Cmd
			if where == "this host" {
				holder = startHolder(t, "ann", args...)
			} else {
				attr := elsewhereSysProcAttr()
				if attr == nil {
					t.Skip("no process-id namespaces here")
				}
				holder = startHolderWith(t, attr, "ann", args...)
			}
			p := openSitePool(t, srv.client(), prefix, "P", site, []string{"ann", "bob"}, httpsession.WithLeaseTTL(ttl))
			require.Equal(t, httpsession.IdentityLeased, statusOf(t, p, "ann").State)

			type grant struct {
				l   *httpsession.Lease
				err error
				at  time.Time
			}
			granted := make(chan grant, 1)
			go func() {
				l, err := p.AcquireName(ctx, "ann")
				granted <- grant{l, err, time.Now()}
			}()
			// The pool waits in line for ann.
			require.Eventually(t, func() bool { return len(poolWaiters(t, srv.client(), prefix)) == 1 }, patience, 5*time.Millisecond)
			select {
			case g := <-granted:
				t.Fatalf("ann was granted while its holder lives: %v", g.err)
			default:
			}
			killed := time.Now()
			require.NoError(t, holder.Process.Kill())
			_ = holder.Wait() // reaped: its process id is free
			g := <-granted
			require.NoError(t, g.err)
			took := g.at.Sub(killed)
			assert.LessOrEqual(t, took, 2*ttl, "ann was freed %v after its holder was killed", took)
			t.Logf("ann freed %v after its holder was killed", took)
			status, err := leaseGet(ctx, g.l, "/work?ms=1", "1")
			require.NoError(t, err)
			assert.Equal(t, http.StatusOK, status)
			g.l.Release()
			assert.Equal(t, 2, totalUses(t, p))
		})
	}
}

// startHolderWith is startHolder for a holder started with attr.
func startHolderWith(t *testing.T, attr *syscall.SysProcAttr, name string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(buildProgram(t, "poolworker"), append(args, "-hold", name)...)
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	cmd.SysProcAttr = attr
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	if err := cmd.Start(); err != nil {
		t.Skipf("cannot start a process in a namespace of its own: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err, "holder: %s", stderr.String())
	require.Equal(t, "held "+name, strings.TrimSpace(line))
	return cmd
}

// poolWaiters returns the waiters queued in the pool's state in Redis.
func poolWaiters(t *testing.T, c *redis.Client, prefix string) []json.RawMessage {
	t.Helper()
	data, err := c.Get(context.Background(), "{"+prefix+"}:pool").Bytes()
	if errors.Is(err, redis.Nil) {
		return nil
	}
	require.NoError(t, err)
	var doc struct {
		Waiters []json.RawMessage `json:"waiters"`
	}
	require.NoError(t, json.Unmarshal(data, &doc))
	return doc.Waiters
}

// overrunBound bounds how long an Acquire may outlive its context: see
// TestPoolRedisRestartDuringARun.
const overrunBound = 10 * time.Second

// faultRun is the shared bookkeeping of the workers of a fault test.
type faultRun struct {
	leases     atomic.Int64 // leases handed out
	acqErrs    atomic.Int64 // Acquires that failed
	maxOverrun atomic.Int64 // the longest an Acquire outlived its context (ns)
	mu         sync.Mutex
	unexpected []string
	kinds      map[string]int // errors seen, by kind
}

func (f *faultRun) note(kind string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.kinds[kind]++
}

func (f *faultRun) fail(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.unexpected) < 20 {
		f.unexpected = append(f.unexpected, fmt.Sprintf(format, args...))
	}
}

func (f *faultRun) overrun(d time.Duration) {
	for {
		cur := f.maxOverrun.Load()
		if int64(d) <= cur || f.maxOverrun.CompareAndSwap(cur, int64(d)) {
			return
		}
	}
}

// Redis killed in the middle of a run, for longer than the TTL, then
// started again: several pools (machines), each with several goroutines
// that acquire, send one or two requests and release in a loop. The site
// never sees two leases of one identity at once; while Redis is down no
// request begins after every lease lapsed; work resumes after the restart
// in every pool; at the end no identity is leased and each can be
// acquired at once. With a persistent
// Redis (AOF, fsync always) the uses survive: their sum lies between the
// leases handed out and those plus the Acquires that failed (a grant
// stored as Redis died is counted, though its Acquire failed). An
// ephemeral Redis loses the state: as the outage outlasts the TTL, every
// old lease has lapsed in its holder before the restart, and the leases
// stay exclusive all the same. Every Acquire returns soon after its
// context ends (see overrunBound), none hangs.
func TestPoolRedisRestartDuringARun(t *testing.T) {
	for _, kind := range []string{"persistent", "ephemeral"} {
		t.Run(kind, func(t *testing.T) {
			const (
				ttl         = time.Second
				pools       = 3
				goroutines  = 3
				acquireWait = 3 * time.Second
			)
			var srv *redisServer
			if kind == "persistent" {
				srv = startRedis(t)
			} else {
				srv = startEphemeralRedis(t)
			}
			site := startLeaseSite(t)
			ctx := patienceCtx(t)
			names := []string{"ann", "bob", "cy", "dee"}
			ps := make([]*httpsession.Pool, pools)
			for i := range ps {
				ps[i] = openSitePool(t, srv.client(), "restart", "P"+strconv.Itoa(i), site, names, httpsession.WithLeaseTTL(ttl))
			}
			closeTogether(t, ps)
			seed := uint64(time.Now().UnixNano())
			t.Logf("seed %d", seed)
			run := &faultRun{kinds: map[string]int{}}
			var stop, down atomic.Bool
			sawOutage := make([]atomic.Bool, pools*goroutines)
			var wg sync.WaitGroup
			for w := range pools * goroutines {
				wg.Add(1)
				go func() {
					defer wg.Done()
					rng := rand.New(rand.NewPCG(seed, uint64(w)))
					p := ps[w%pools]
					for n := 0; !stop.Load(); n++ {
						actx, cancel := context.WithTimeout(ctx, acquireWait)
						start := time.Now()
						l, err := p.Acquire(actx)
						run.overrun(time.Since(start) - acquireWait)
						cancel()
						if err != nil {
							run.acqErrs.Add(1)
							switch {
							case errors.Is(err, redisjar.ErrUnavailable):
								run.note("acquire: Redis unavailable")
							case errors.Is(err, context.DeadlineExceeded):
								run.note("acquire: timed out")
							default:
								run.fail("worker %d: acquire: %v", w, err)
							}
							if down.Load() {
								sawOutage[w].Store(true)
							}
							// Redis refuses at once: do not spin.
							time.Sleep(20 * time.Millisecond)
							continue
						}
						run.leases.Add(1)
						tag := fmt.Sprintf("%d.%d", w, n)
						for range 1 + rng.IntN(2) {
							status, err := leaseGet(ctx, l, "/work?ms="+strconv.Itoa(rng.IntN(4)), tag)
							if err != nil {
								if errors.Is(err, httpsession.ErrLeaseEnded) {
									run.note("request: lease ended")
									if down.Load() {
										sawOutage[w].Store(true)
									}
								} else {
									run.fail("worker %d: request as %s: %v", w, l.Name(), err)
								}
								break
							}
							if status != http.StatusOK {
								run.fail("worker %d: status %d", w, status)
							}
						}
						l.Release()
					}
				}()
			}
			workersDone := make(chan struct{})
			go func() {
				wg.Wait()
				close(workersDone)
			}()
			stopWorkers := func() {
				stop.Store(true)
				select {
				case <-workersDone:
				case <-time.After(patience):
					t.Fatal("workers hang")
				}
			}
			defer stopWorkers()

			everyPoolAnswered := func(since time.Time, n int) func() bool {
				return func() bool {
					for i := range pools {
						if site.answeredSince("P"+strconv.Itoa(i), since) < n {
							return false
						}
					}
					return true
				}
			}
			require.Eventually(t, everyPoolAnswered(time.Time{}, 10), patience, 5*time.Millisecond, "no work before the outage")
			usesBefore := 0
			if kind == "persistent" {
				usesBefore = totalUses(t, ps[0])
			}

			killed := time.Now()
			down.Store(true)
			srv.kill()
			// Redis stays down until every worker found out and the TTL
			// has run twice: every lease has lapsed by then.
			require.Eventually(t, func() bool {
				for i := range sawOutage {
					if !sawOutage[i].Load() {
						return false
					}
				}
				return true
			}, patience, 5*time.Millisecond, "a worker never noticed Redis was gone")
			time.Sleep(time.Until(killed.Add(2 * ttl))) // the outage's length, not a wait for an event
			for _, st := range ps[1].Status() {
				assert.ErrorIs(t, st.Err, redisjar.ErrUnavailable, "Status of %s with Redis down", st.Name)
			}
			restarted := time.Now()
			srv.start()
			down.Store(false)
			require.Eventually(t, everyPoolAnswered(restarted, 5), patience, 5*time.Millisecond, "work did not resume in every pool")
			stopWorkers()

			assert.Empty(t, site.clashList(), "two leases of one identity at once")
			late := 0
			for _, v := range site.ended() {
				if v.start.After(killed.Add(ttl+ttl/2)) && v.start.Before(restarted) {
					late++
				}
			}
			assert.Zero(t, late, "requests began after every lease had lapsed, with Redis down")
			run.mu.Lock()
			assert.Empty(t, run.unexpected)
			t.Logf("%d leases, %d failed Acquires, longest overrun of an Acquire's context %v; %v",
				run.leases.Load(), run.acqErrs.Load(), time.Duration(run.maxOverrun.Load()), run.kinds)
			run.mu.Unlock()
			// An Acquire ends its Redis calls when its context does only
			// between commands (go-redis heeds a deadline within one only
			// with ContextTimeoutEnabled; a command to a Redis that is
			// down fails after its dial retries, up to 2 s), and after
			// its context ended it takes its place out of the queue and
			// wakes the next waiters, within 5 s each: returning within
			// 10 s of the context's end is not hanging.
			assert.LessOrEqual(t, time.Duration(run.maxOverrun.Load()), overrunBound, "an Acquire outlived its context")

			for i, p := range ps {
				for _, st := range p.Status() {
					assert.NoError(t, st.Err, "pool %d: %s", i, st.Name)
					assert.Equal(t, httpsession.IdentityFree, st.State, "pool %d: %s", i, st.Name)
				}
			}
			uses := totalUses(t, ps[0])
			if kind == "persistent" {
				assert.GreaterOrEqual(t, uses, int(run.leases.Load()), "uses lost in the restart")
				assert.LessOrEqual(t, uses, int(run.leases.Load()+run.acqErrs.Load()))
				assert.GreaterOrEqual(t, uses, usesBefore)
			}
			for i, p := range ps {
				for _, name := range names {
					actx, cancel := context.WithTimeout(ctx, ttl)
					l, err := p.AcquireName(actx, name)
					cancel()
					if assert.NoError(t, err, "pool %d could not acquire %s at once", i, name) {
						status, err := leaseGet(ctx, l, "/work", "end")
						assert.NoError(t, err)
						assert.Equal(t, http.StatusOK, status)
						l.Release()
					}
				}
			}
		})
	}
}

// A Redis that restarts empty (no persistence) loses the leases: a pool
// can then take an identity that another still holds, and both send as
// it until the old holder's next renewal finds its lease gone (a third of
// the TTL after the restart, plus its reconnection) or, at the latest,
// until its lease lapses TTL after its last renewal. That is all the
// pool can promise when Redis forgets; run Redis with persistence, or
// keep it down for a TTL after a crash, for exclusive leases.
func TestPoolRedisThatForgetsMayDoubleLeaseUntilTheOldLeaseEnds(t *testing.T) {
	const ttl = 3 * time.Second
	srv := startEphemeralRedis(t)
	site := startLeaseSite(t)
	ctx := patienceCtx(t)
	names := []string{"ann"}
	a := openSitePool(t, srv.client(), "forget", "A", site, names, httpsession.WithLeaseTTL(ttl))
	b := openSitePool(t, srv.client(), "forget", "B", site, names, httpsession.WithLeaseTTL(ttl))
	closeTogether(t, []*httpsession.Pool{a, b})
	la, err := a.AcquireName(ctx, "ann")
	require.NoError(t, err)
	first := statusOf(t, a, "ann")
	// A sends as ann until its lease ends.
	stopped := make(chan time.Time, 1)
	var aErr error
	go func() {
		for {
			if _, err := leaseGet(ctx, la, "/work?ms=5", "1"); err != nil {
				aErr = err
				stopped <- time.Now()
				return
			}
		}
	}()
	// Kill Redis right after a renewal of A's lease: its lease then
	// lasts almost a whole TTL past the restart.
	require.Eventually(t, func() bool {
		return statusOf(t, a, "ann").Until.After(first.Until.Add(ttl / 6))
	}, patience, 5*time.Millisecond)
	killed := time.Now()
	srv.kill()
	srv.start()
	restarted := time.Now()
	lb, err := b.AcquireName(ctx, "ann")
	require.NoError(t, err)
	got := time.Now()
	// B sends as ann until A stopped.
	for {
		_, err := leaseGet(ctx, lb, "/work?ms=5", "1")
		require.NoError(t, err)
		select {
		case at := <-stopped:
			assert.ErrorIs(t, aErr, httpsession.ErrLeaseEnded)
			assert.True(t, at.Before(killed.Add(ttl)), "A sent %v past TTL after the kill", at.Sub(killed.Add(ttl)))
			t.Logf("Redis down %v; B got ann %v after the restart, A stopped %v after the restart: both sent as ann for %v (%d clashes at the site)",
				restarted.Sub(killed), got.Sub(restarted), at.Sub(restarted), max(at.Sub(got), 0), len(site.clashList()))
			lb.Release()
			la.Release()
			return
		default:
		}
	}
}

// poolModel is what the pool's users may know of it: who holds each
// identity, until when a blocked one cools down, and which are retired.
// Its holder is set right after Acquire returns and cleared right before
// Release, Block or Retire is called: the grant comes between the end of
// the previous holder's release (its write to Redis) and the return of
// Acquire, so two holders in the model at once are two holders in fact.
// Retirements are told apart in phases, with an epoch counted at each
// change: an Acquire that ran wholly within one phase must agree with it.
type poolModel struct {
	mu      sync.Mutex
	holder  map[string]string
	coolTo  map[string]time.Time
	phase   map[string]int
	epoch   map[string]int
	retired int // retiring or retired
	errs    []string
}

// Phases of an identity's retirement.
const (
	phaseActive = iota
	phaseRetiring
	phaseRetired
	phaseReinstating
)

type modelSnap map[string][2]int // name → phase, epoch

func (m *poolModel) snap() modelSnap {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := modelSnap{}
	for n, ph := range m.phase {
		s[n] = [2]int{ph, m.epoch[n]}
	}
	return s
}

// wholly reports whether name was in phase ph all the time from before to
// now. The caller holds m.mu.
func (m *poolModel) wholly(before modelSnap, name string, ph int) bool {
	b := before[name]
	return b[0] == ph && m.phase[name] == ph && b[1] == m.epoch[name]
}

func (m *poolModel) errorf(format string, args ...any) {
	if len(m.errs) < 20 {
		m.errs = append(m.errs, fmt.Sprintf(format, args...))
	}
}

func (m *poolModel) setPhase(name string, ph int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.phase[name] = ph
	m.epoch[name]++
}

// A model-based test: 3 pools (machines) x 4 goroutines do random
// Acquire and AcquireName (some with contexts short enough to give up),
// 0 to 2 requests, then Release, Block for a few milliseconds, or rarely
// Retire; now and then a Reinstate. Against the model: no identity has
// two holders, none is handed out while it cools down or while it is
// retired, ErrRetired and ErrNoIdentity only when the model allows them;
// at the site, no identity has requests of two leases in flight at once;
// every request on a lease succeeds; no Acquire with a long context (10 s)
// gives up; every Acquire returns soon after its context ends (see
// overrunBound); the uses count every lease handed out; at the end
// nothing is leased and every identity can be acquired at once.
func TestPoolRandomOperationsAgainstAModel(t *testing.T) {
	const (
		ttl        = 10 * time.Second
		pools      = 3
		goroutines = 4
		rounds     = 80 // per goroutine
	)
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("POOL_MODEL_SEED"); s != "" {
		var err error
		seed, err = strconv.ParseUint(s, 10, 64)
		require.NoError(t, err)
	}
	t.Logf("seed %d (POOL_MODEL_SEED=%d repeats the choices; the interleaving is the scheduler's)", seed, seed)
	srv := startRedis(t)
	site := startLeaseSite(t)
	ctx := patienceCtx(t)
	names := []string{"ann", "bob", "cy", "dee", "eve"}
	ps := make([]*httpsession.Pool, pools)
	for i := range ps {
		ps[i] = openSitePool(t, srv.client(), "model", "P"+strconv.Itoa(i), site, names, httpsession.WithLeaseTTL(ttl))
	}
	closeTogether(t, ps)
	m := &poolModel{holder: map[string]string{}, coolTo: map[string]time.Time{}, phase: map[string]int{}, epoch: map[string]int{}}
	for _, n := range names {
		m.phase[n] = phaseActive
	}
	var admin sync.Mutex // Retire and Reinstate, one at a time
	var ops, leases, gaveUp, requests, slow atomic.Int64
	var maxOverrun atomic.Int64
	began := time.Now()
	var wg sync.WaitGroup
	for w := range pools * goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(w)))
			p := ps[w%pools]
			me := "w" + strconv.Itoa(w)
			for round := range rounds {
				if ctx.Err() != nil {
					return
				}
				if rng.IntN(100) < 3 {
					// Reinstate a retired identity, if any.
					admin.Lock()
					m.mu.Lock()
					var pick string
					for _, n := range names {
						if m.phase[n] == phaseRetired {
							pick = n
						}
					}
					m.mu.Unlock()
					if pick != "" {
						m.setPhase(pick, phaseReinstating)
						err := p.Reinstate(ctx, pick)
						m.setPhase(pick, phaseActive)
						m.mu.Lock()
						m.retired--
						if err != nil {
							m.errorf("%s: Reinstate %s: %v", me, pick, err)
						}
						m.mu.Unlock()
						ops.Add(1)
					}
					admin.Unlock()
				}

				name := ""
				if rng.IntN(100) < 30 {
					name = names[rng.IntN(len(names))]
				}
				const long = 10 * time.Second
				wait := long
				if rng.IntN(100) < 25 {
					wait = time.Duration(5+rng.IntN(60)) * time.Millisecond
				}
				before := m.snap()
				actx, cancel := context.WithTimeout(ctx, wait)
				start := time.Now()
				var l *httpsession.Lease
				var err error
				if name == "" {
					l, err = p.Acquire(actx)
				} else {
					l, err = p.AcquireName(actx, name)
				}
				took := time.Since(start)
				cancel()
				ops.Add(1)
				for {
					cur := maxOverrun.Load()
					if int64(took-wait) <= cur || maxOverrun.CompareAndSwap(cur, int64(took-wait)) {
						break
					}
				}
				if err != nil {
					m.mu.Lock()
					switch {
					case errors.Is(err, context.DeadlineExceeded):
						gaveUp.Add(1)
						if wait == long {
							m.errorf("%s: %q waited %v for an identity", me, name, took)
						}
					case name != "" && errors.Is(err, httpsession.ErrRetired):
						if m.wholly(before, name, phaseActive) {
							m.errorf("%s: AcquireName(%s) said retired; it was not: %v", me, name, err)
						}
					default:
						m.errorf("%s: acquire %q: %v", me, name, err)
					}
					m.mu.Unlock()
					continue
				}
				leases.Add(1)
				got := time.Now()
				if took > time.Second {
					slow.Add(1)
				}
				n := l.Name()
				m.mu.Lock()
				if name != "" && n != name {
					m.errorf("%s: AcquireName(%s) gave %s", me, name, n)
				}
				if h := m.holder[n]; h != "" {
					m.errorf("%s: got %s, which %s holds", me, n, h)
				}
				m.holder[n] = me
				if got.Before(m.coolTo[n]) {
					m.errorf("%s: got %s %v before its cool-down ended", me, n, m.coolTo[n].Sub(got))
				}
				if m.wholly(before, n, phaseRetired) {
					m.errorf("%s: got %s, which is retired", me, n)
				}
				m.mu.Unlock()

				tag := fmt.Sprintf("%s.%d", me, round)
				for range rng.IntN(3) {
					status, err := leaseGet(ctx, l, "/work?ms="+strconv.Itoa(rng.IntN(3)), tag)
					requests.Add(1)
					ops.Add(1)
					if err != nil || status != http.StatusOK {
						m.mu.Lock()
						m.errorf("%s: a request as %s: %d %v", me, n, status, err)
						m.mu.Unlock()
					}
				}

				release := func() {
					m.mu.Lock()
					if m.holder[n] != me {
						m.errorf("%s: gives back %s, which the model says %q holds", me, n, m.holder[n])
					}
					m.holder[n] = ""
					m.mu.Unlock()
				}
				switch r := rng.IntN(100); {
				case r < 15:
					d := time.Duration(5+rng.IntN(25)) * time.Millisecond
					release()
					m.mu.Lock()
					m.coolTo[n] = time.Now().Add(d)
					m.mu.Unlock()
					l.Block(d)
				case r < 17:
					admin.Lock()
					m.mu.Lock()
					ok := m.retired < 2
					if ok {
						m.retired++
					}
					m.mu.Unlock()
					if ok {
						release()
						m.setPhase(n, phaseRetiring)
						l.Retire(fmt.Errorf("retired by %s", me))
						m.setPhase(n, phaseRetired)
					} else {
						release()
						l.Release()
					}
					admin.Unlock()
				default:
					release()
					l.Release()
				}
				ops.Add(1)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(began)

	m.mu.Lock()
	assert.Empty(t, m.errs)
	m.mu.Unlock()
	assert.Empty(t, site.clashList(), "requests of two leases of one identity at once")
	assert.LessOrEqual(t, time.Duration(maxOverrun.Load()), overrunBound, "an Acquire outlived its context (see TestPoolRedisRestartDuringARun)")
	uses := totalUses(t, ps[1])
	t.Logf("%d operations (%d leases, %d of them after more than 1 s, %d requests, %d Acquires gave up) in %v; uses %d; longest overrun of an Acquire's context %v",
		ops.Load(), leases.Load(), slow.Load(), requests.Load(), gaveUp.Load(), elapsed, uses, time.Duration(maxOverrun.Load()))
	assert.GreaterOrEqual(t, uses, int(leases.Load()))
	assert.LessOrEqual(t, uses, int(leases.Load()+gaveUp.Load()))
	assert.Equal(t, int(leases.Load()), uses, "leases granted to an Acquire that gave up (%d of them) hold their identity until the TTL", uses-int(leases.Load()))

	for _, st := range ps[0].Status() {
		assert.NotEqual(t, httpsession.IdentityLeased, st.State, st.Name)
		if st.State == httpsession.IdentityRetired {
			require.NoError(t, ps[0].Reinstate(ctx, st.Name))
		}
	}
	for i, p := range ps {
		for _, name := range names {
			start := time.Now()
			l, err := p.AcquireName(ctx, name)
			require.NoError(t, err)
			// At once, or after a cool-down of at most 30 ms.
			assert.Less(t, time.Since(start), ttl/2, "pool %d waited for %s", i, name)
			l.Release()
		}
	}
	for _, st := range ps[2].Status() {
		assert.Equal(t, httpsession.IdentityFree, st.State, st.Name)
	}
}

// Every lease the pools of a fleet hand out counts once in the Uses that
// Status reports, whichever pool (machine) handed it out: 3 pools x 3
// goroutines take 30 leases each, by Acquire and by AcquireName, and
// every pool sees the same sum.
func TestPoolUsesCountEveryLeaseOfTheFleet(t *testing.T) {
	const pools, goroutines, each = 3, 3, 30
	srv := startRedis(t)
	site := startLeaseSite(t)
	ctx := patienceCtx(t)
	names := []string{"ann", "bob", "cy"}
	ps := make([]*httpsession.Pool, pools)
	for i := range ps {
		ps[i] = openSitePool(t, srv.client(), "uses", "P"+strconv.Itoa(i), site, names, httpsession.WithLeaseTTL(10*time.Second))
	}
	closeTogether(t, ps)
	perName := map[string]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range pools * goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := ps[w%pools]
			for i := range each {
				var l *httpsession.Lease
				var err error
				if i%3 == 0 {
					l, err = p.AcquireName(ctx, names[(w+i)%len(names)])
				} else {
					l, err = p.Acquire(ctx)
				}
				if !assert.NoError(t, err) {
					return
				}
				mu.Lock()
				perName[l.Name()]++
				mu.Unlock()
				status, err := leaseGet(ctx, l, "/work?ms=1", fmt.Sprintf("%d.%d", w, i))
				assert.NoError(t, err)
				assert.Equal(t, http.StatusOK, status)
				l.Release()
			}
		}()
	}
	wg.Wait()
	for i, p := range ps {
		got := map[string]int{}
		for _, st := range p.Status() {
			require.NoError(t, st.Err)
			assert.Equal(t, httpsession.IdentityFree, st.State)
			got[st.Name] = st.Uses
		}
		assert.Equal(t, perName, got, "pool %d", i)
	}
	assert.Empty(t, site.clashList())
}
