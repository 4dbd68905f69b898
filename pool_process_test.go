package httpsession

// The promises of a directory pool (OpenPool) across real processes. The
// test binary runs again as a child process (persist_test.go's
// helperProcess, mode "pool-process"), in the role ppRoleEnv names:
//
//   - model: random operations (Acquire, AcquireName, requests, Release,
//     Block, Retire, Reinstate, Status), each lease reported to the test
//     site, which keeps the model and flags what breaks it
//     (TestPoolProcessModel);
//   - fair: several goroutines leasing in a loop (TestPoolProcessFairShares);
//   - hold, wait: one lease, or one wait for it (the SIGKILL tests);
//   - uses: a fixed number of leases (TestPoolProcessUsesAddUp).
//
// A child exits when its standard input ends, so that none outlives the
// test, which also kills those left when it ends.
//
// At the end, in one process, regression tests for what these tests found:
// a lease lock dropped after the state (TestPoolReleaseDropsTheLockWithTheState),
// waiters waking each other without end (TestPoolWaiterBehindAServedOneDoesNotSpin),
// OpenPool removing a live writer's temporary file
// (TestOpenPoolLeavesAWritersTemporaryFile), a release dropping the next
// lease's lock (TestPoolLateUnlockKeepsTheNextLeasesLock).

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/httpsession/httpsession/internal/safefile"
)

// The environment of a child process (beside persist_test.go's
// HTTPSESSION_TEST_HELPER and HTTPSESSION_TEST_FILE, the pool's
// directory).
const (
	ppRoleEnv    = "HTTPSESSION_POOL_ROLE"
	ppSiteEnv    = "HTTPSESSION_POOL_SITE"  // the test site's URL
	ppChildEnv   = "HTTPSESSION_POOL_CHILD" // the child's number in its test
	ppSeedEnv    = "HTTPSESSION_POOL_SEED"  // a model child's seed
	ppOpsEnv     = "HTTPSESSION_POOL_OPS"   // how many operations, or leases
	ppNamesEnv   = "HTTPSESSION_POOL_NAMES" // the pool's identities, comma-separated
	ppWorkersEnv = "HTTPSESSION_POOL_WORKERS"
	// ppModelSeedEnv replays TestPoolProcessModel with the seed it logged.
	ppModelSeedEnv = "HTTPSESSION_POOL_MODEL_SEED"
)

// ppSkip skips a test that needs processes, signals and signal 0.
func ppSkip(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs processes")
	}
	switch runtime.GOOS {
	case "windows", "plan9", "js", "wasip1":
		t.Skip("needs unix processes: SIGKILL, and signal 0 to tell a dead holder")
	}
}

// ppDir returns a new directory for a pool, on a RAM file system where
// there is one (/dev/shm). On a disk shared with busy processes, replacing
// the state file (a rename) can stall for seconds under their fsyncs
// (measured: up to 6 s, on ext4), and every process waits as long for the
// state's lock, until Status and Reinstate give up: slowness of the disk,
// which these tests are not about.
func ppDir(t *testing.T) string {
	t.Helper()
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		if dir, err := os.MkdirTemp("/dev/shm", "httpsession-pool-"); err == nil {
			t.Cleanup(func() { _ = os.RemoveAll(dir) })
			return dir
		}
	}
	return t.TempDir()
}

// ---- The children ----

// poolProcessChild is the body of a child process of these tests.
func poolProcessChild(dir string) int {
	c := &ppChild{
		dir:    dir,
		site:   os.Getenv(ppSiteEnv),
		names:  strings.Split(os.Getenv(ppNamesEnv), ","),
		client: &http.Client{Timeout: 30 * time.Second},
	}
	c.child, _ = strconv.Atoi(os.Getenv(ppChildEnv))
	c.seed, _ = strconv.ParseUint(os.Getenv(ppSeedEnv), 10, 64)
	c.budget, _ = strconv.ParseInt(os.Getenv(ppOpsEnv), 10, 64)
	c.workers, _ = strconv.Atoi(os.Getenv(ppWorkersEnv))
	c.commands = ppCommands()
	var opts []PoolOption
	if c.site != "" {
		opts = append(opts, WithSessionOptions(WithBaseURL(c.site)))
	}
	p, err := OpenPool(dir, ppIdentities(c.names, c.child), opts...)
	if err != nil {
		c.fatal("OpenPool: %v", err)
	}
	c.pool = p
	switch role := os.Getenv(ppRoleEnv); role {
	case "model":
		c.model()
	case "fair":
		c.fair()
	case "hold", "wait":
		c.holdOne(role)
	case "uses":
		c.uses()
	default:
		c.fatal("no role %q", role)
	}
	if err := p.Close(); err != nil {
		c.fatal("Close: %v", err)
	}
	return 0
}

// ppChild is a child process's pool and what it was told.
type ppChild struct {
	dir, site string
	child     int
	seed      uint64
	budget    int64
	workers   int
	names     []string
	pool      *Pool
	client    *http.Client
	commands  <-chan string // lines on stdin; closed at its end

	ops, leases, reinstates atomic.Int64
}

// ppCommands returns the lines of stdin, closed at its end, after which the
// process has a few seconds to finish before it exits anyway: its parent
// is gone or done with it.
func ppCommands() <-chan string {
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(os.Stdin)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		time.AfterFunc(15*time.Second, func() {
			fmt.Fprintln(os.Stderr, "pool child: still running 15 s after its stdin ended")
			os.Exit(3)
		})
	}()
	return lines
}

// ppIdentities returns the identities of names; with a site, each logs in
// there, saying which child it is.
func ppIdentities(names []string, child int) []Identity {
	ids := make([]Identity, len(names))
	for i, name := range names {
		ids[i] = Identity{Name: name, Login: func(ctx context.Context, s *Session) error {
			resp, err := s.Get(ctx, fmt.Sprintf("/login?user=%s&c=%d", name, child))
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("the site said %s", resp.Status)
			}
			return nil
		}}
	}
	return ids
}

// fatal ends the child with an error its parent reports (a held lease ends
// with the process).
func (c *ppChild) fatal(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "pool child %d (pid %d): %s\n", c.child, os.Getpid(), fmt.Sprintf(format, args...))
	os.Exit(1)
}

// untilTold returns a context that ends at the next line on stdin ("stop")
// or at its end.
func (c *ppChild) untilTold() context.Context {
	ctx, stop := context.WithCancel(context.Background())
	go func() {
		<-c.commands
		stop()
	}()
	return ctx
}

// report tells the model site what the child did (see ppSite.report).
func (c *ppChild) report(kind string, kv ...any) {
	q := url.Values{"c": {strconv.Itoa(c.child)}}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i].(string), fmt.Sprint(kv[i+1]))
	}
	resp, err := c.client.Get(c.site + "/model/" + kind + "?" + q.Encode())
	if err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			err = errors.New(resp.Status)
		}
	}
	if err != nil {
		c.fatal("report %s %v: %v", kind, q, err)
	}
}

// model runs the workers of a model child until they did the child's
// budget of operations or stdin ends.
func (c *ppChild) model() {
	ctx := c.untilTold() // the end of stdin
	fmt.Println("ready")
	var wg sync.WaitGroup
	for w := range c.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(c.seed, uint64(w)))
			for ctx.Err() == nil && c.ops.Load() < c.budget {
				switch n := rng.IntN(100); {
				case n < 1:
					c.reinstate(c.names[rng.IntN(len(c.names))])
				case n < 3:
					c.status()
				default:
					c.lease(ctx, rng)
				}
			}
		}()
	}
	wg.Wait()
	fmt.Printf("done ops=%d leases=%d\n", c.ops.Load(), c.leases.Load())
}

// reinstate reinstates name, telling the model just before and just after.
func (c *ppChild) reinstate(name string) {
	id := fmt.Sprintf("%d.%d", c.child, c.reinstates.Add(1))
	c.report("reinstate", "name", name, "phase", "pre", "id", id)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.pool.Reinstate(ctx, name); err != nil {
		c.fatal("Reinstate %s: %v", name, err)
	}
	c.report("reinstate", "name", name, "phase", "post", "id", id)
	c.ops.Add(1)
}

// status reads the pool's Status, which must be readable.
func (c *ppChild) status() {
	for _, st := range c.pool.Status() {
		if st.State == IdentityFree && st.Err != nil {
			c.fatal("Status: %v", st.Err)
		}
	}
	c.report("status")
	c.ops.Add(1)
}

// lease acquires an identity (any, or a named one) with a short timeout;
// on a lease, it sends 1 to 3 requests, may hold it a while, and ends it:
// released mostly, blocked (10%) or retired (5%) sometimes. The model hears of
// the lease right after Acquire returns ("hold") and right before it ends
// ("unhold"), and of a cool-down or retirement with the time taken just
// before Block or Retire.
func (c *ppChild) lease(ctx context.Context, rng *rand.Rand) {
	actx, cancel := context.WithTimeout(ctx, time.Duration(10+rng.IntN(300))*time.Millisecond)
	var l *Lease
	var err error
	named := ""
	if rng.IntN(5) == 0 {
		named = c.names[rng.IntN(len(c.names))]
		l, err = c.pool.AcquireName(actx, named)
	} else {
		l, err = c.pool.Acquire(actx)
	}
	expired := actx.Err() != nil
	cancel()
	c.ops.Add(1)
	if err != nil {
		switch {
		case errors.Is(err, ErrNoIdentity):
			c.report("fail", "why", "noidentity")
			c.reinstate(c.names[rng.IntN(len(c.names))])
		case named != "" && errors.Is(err, ErrRetired):
			c.report("fail", "why", "retired")
			if rng.IntN(4) == 0 {
				c.reinstate(named)
			}
		case expired:
			c.report("fail", "why", "timeout")
		default:
			c.fatal("acquire %q: %v", named, err)
		}
		return
	}
	name := l.Name()
	if named != "" && name != named {
		c.fatal("AcquireName(%q) leased %q", named, name)
	}
	n := c.leases.Add(1)
	c.report("hold", "name", name, "l", n, "at", time.Now().UnixNano())
	saw429 := false
	for range 1 + rng.IntN(3) {
		rctx, rcancel := context.WithTimeout(context.Background(), 30*time.Second)
		status, err := get(rctx, l, fmt.Sprintf("/page?c=%d&l=%d&ms=%d", c.child, n, rng.IntN(4)))
		rcancel()
		c.ops.Add(1)
		if err != nil {
			c.fatal("request on %s: %v", name, err)
		}
		if status == http.StatusTooManyRequests {
			saw429 = true
			c.report("cool429", "name", name, "l", n)
			break
		}
		if status != http.StatusOK {
			c.fatal("request on %s: status %d", name, status)
		}
	}
	if rng.IntN(10) == 0 {
		time.Sleep(time.Duration(5+rng.IntN(30)) * time.Millisecond) // a worker busy with its lease
	}
	c.report("unhold", "name", name, "l", n)
	switch end := rng.IntN(100); {
	case end < 10:
		d := time.Duration(20+rng.IntN(200)) * time.Millisecond
		from := time.Now().UnixNano()
		l.Block(d)
		if !saw429 { // else the site's cool-down stands, not d
			c.report("cool", "name", name, "l", n, "from", from, "d", int64(d))
		}
	case end < 15:
		from := time.Now().UnixNano()
		l.Retire(errors.New("retired by the model test"))
		c.report("retired", "name", name, "l", n, "from", from)
	default:
		l.Release()
	}
	c.ops.Add(1)
}

// fair waits for "go", then leases in a loop from c.workers goroutines,
// one request per lease, until "stop"; it prints how long its Acquires
// waited.
func (c *ppChild) fair() {
	fmt.Println("ready")
	if cmd := <-c.commands; cmd != "go" {
		c.fatal("told %q, not go", cmd)
	}
	ctx := c.untilTold() // "stop"
	var mu sync.Mutex
	var waits []time.Duration
	var wg sync.WaitGroup
	for range c.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				start := time.Now()
				l, err := c.pool.Acquire(ctx)
				if ctx.Err() != nil {
					if l != nil {
						l.Release()
					}
					return
				}
				if err != nil {
					c.fatal("Acquire: %v", err)
				}
				wait := time.Since(start)
				mu.Lock()
				waits = append(waits, wait)
				mu.Unlock()
				rctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				status, err := get(rctx, l, fmt.Sprintf("/page?c=%d&ms=2", c.child))
				cancel()
				if err != nil || status != http.StatusOK {
					c.fatal("request on %s: %d %v", l.Name(), status, err)
				}
				l.Release()
			}
		}()
	}
	wg.Wait()
	slices.Sort(waits)
	var sum time.Duration
	for _, w := range waits {
		sum += w
	}
	if len(waits) == 0 {
		c.fatal("no lease")
	}
	fmt.Printf("waits n=%d mean=%d median=%d max=%d\n", len(waits),
		int64(sum)/int64(len(waits)), int64(waits[len(waits)/2]), int64(waits[len(waits)-1]))
}

// holdOne leases the first identity ("hold" before it says "ready", so
// that it holds it at once; "wait" after, to wait for it), says "held",
// and keeps it until stdin ends.
func (c *ppChild) holdOne(role string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if role == "wait" {
		fmt.Println("ready")
	}
	l, err := c.pool.AcquireName(ctx, c.names[0])
	if err != nil {
		c.fatal("AcquireName: %v", err)
	}
	fmt.Println("held", l.Name())
	for range c.commands {
	}
	l.Release()
}

// uses takes and releases c.budget leases, from c.workers goroutines.
func (c *ppChild) uses() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	for range c.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c.leases.Add(1) <= c.budget {
				l, err := c.pool.Acquire(ctx)
				if err != nil {
					c.fatal("Acquire: %v", err)
				}
				l.Release()
			}
		}()
	}
	wg.Wait()
	fmt.Println("done")
}

// ---- The parent's side of a child ----

// ppBuffer collects a child's stderr.
type ppBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *ppBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.b.Len() < 1<<20 {
		s.b.Write(p)
	}
	return len(p), nil
}

func (s *ppBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// ppProc is a running child process.
type ppProc struct {
	idx    int
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan string // its stdout, closed at the end
	stderr *ppBuffer
	reap   chan struct{} // closed when the child may be waited for
	done   chan struct{} // closed once it ended and was waited for
	err    error         // cmd.Wait's, after done
	killed atomic.Bool
	pid    int
}

// ppStart starts a child process in role on the pool directory dir; it is
// waited for as soon as it ends, unless manualReap (then after p.reap is
// closed), and killed when t ends.
func ppStart(t *testing.T, role, dir string, idx int, manualReap bool, env ...string) *ppProc {
	t.Helper()
	cmd := helperCmd(t, "pool-process", dir)
	cmd.Env = append(cmd.Env, ppRoleEnv+"="+role, ppChildEnv+"="+strconv.Itoa(idx))
	cmd.Env = append(cmd.Env, env...)
	p := &ppProc{idx: idx, cmd: cmd, lines: make(chan string, 64), stderr: new(ppBuffer),
		reap: make(chan struct{}), done: make(chan struct{})}
	if !manualReap {
		close(p.reap)
	}
	cmd.Stderr = p.stderr
	var err error
	p.stdin, err = cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	p.pid = cmd.Process.Pid
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case p.lines <- sc.Text():
			default:
				fmt.Fprintf(p.stderr, "(stdout, unread) %s\n", sc.Text())
			}
		}
		close(p.lines)
		<-p.reap
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		_ = p.stdin.Close()
		_ = cmd.Process.Kill()
		select {
		case <-p.reap:
		default:
			close(p.reap)
		}
		<-p.done
		if out := p.stderr.String(); strings.Contains(out, "WARNING: DATA RACE") {
			t.Errorf("the race detector reported in child %d:\n%s", idx, out)
		}
	})
	return p
}

// kill sends SIGKILL and waits for the child to be gone.
func (p *ppProc) kill() {
	p.killed.Store(true)
	_ = p.cmd.Process.Kill()
	<-p.done
}

// line returns the child's next line on stdout, which must start with
// prefix.
func (p *ppProc) line(t *testing.T, prefix string) string {
	t.Helper()
	select {
	case l, ok := <-p.lines:
		require.True(t, ok, "child %d ended before saying %q; its stderr:\n%s", p.idx, prefix, p.stderr)
		require.True(t, strings.HasPrefix(l, prefix), "child %d said %q, not %q...", p.idx, l, prefix)
		return l
	case <-time.After(time.Minute):
		t.Fatalf("child %d did not say %q in a minute; its stderr:\n%s", p.idx, prefix, p.stderr)
		return ""
	}
}

// send writes a command line to the child.
func (p *ppProc) send(t *testing.T, cmd string) {
	t.Helper()
	_, err := io.WriteString(p.stdin, cmd+"\n")
	require.NoError(t, err)
}

// wait waits for the child to end by itself, which it must do with
// success.
func (p *ppProc) wait(t *testing.T) {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(time.Minute):
		t.Fatalf("child %d did not end in a minute; its stderr:\n%s", p.idx, p.stderr)
	}
	assert.NoError(t, p.err, "child %d; its stderr:\n%s", p.idx, p.stderr)
}

// readPoolDoc reads the pool's shared state in dir.
func readPoolDoc(t *testing.T, dir string) *poolDoc {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, ".pool.json"))
	if errors.Is(err, os.ErrNotExist) {
		data, err = nil, nil
	}
	require.NoError(t, err)
	d, err := decodePoolDoc(data)
	require.NoError(t, err)
	return d
}

// waitQueued waits until a waiter of process pid is in the pool's queue.
func waitQueued(t *testing.T, dir string, pid int) {
	t.Helper()
	require.Eventually(t, func() bool {
		return slices.ContainsFunc(readPoolDoc(t, dir).Wait, func(w poolTicket) bool { return w.PID == pid })
	}, time.Minute, 2*time.Millisecond, "no waiter of process %d in the queue", pid)
}

// ---- The site, and the model ----

// ppSite is the site of these tests: GET /login?user=NAME&c=CHILD logs in
// (cookie sid=NAME), GET /page?c=CHILD&l=LEASE&ms=MS answers the logged-in
// identity after MS ms, 401 without a login. It flags two requests of one
// identity in flight at once (those of a process known to be dead aside),
// and counts pages per child.
//
// As the model of TestPoolProcessModel (model), it also answers a few
// pages 429 (half with Retry-After: 1), and hears from the children under
// /model/ what they do (see report), flagging what breaks the pool's
// promises: an identity held by two live leases, a request on a lease the
// model does not see holding its identity, a lease on an identity while it
// cools down or is retired.
type ppSite struct {
	*httptest.Server
	model bool
	t0    time.Time

	mu         sync.Mutex
	rng        *rand.Rand
	procs      map[int]*ppProcInfo
	holder     map[string]ppRef
	inflight   map[string]map[ppRef]int
	holds      map[string][]ppHold
	windows    map[string][]ppWindow
	pending    map[ppPending]ppWindow // 429s sent, until their child says it got them
	reinstates map[string][]*ppSpan
	violations []string
	n          ppCounts
	pages      map[int]int // pages answered per child
	events     chan struct{}

	fairAt   int           // when this many pages were answered,
	fairDone chan struct{} // this is closed
	fair     map[int]int   // and this is pages then
}

// ppRef is a lease of a child (lease -1: its login).
type ppRef struct{ child, lease int }

type ppProcInfo struct {
	pid  int
	dead bool
}

// ppHold is a lease, with the time (Unix ns) its Acquire returned.
type ppHold struct {
	at  int64
	ref ppRef
}

// ppWindow is a time (Unix ns) during which no one may lease an
// identity: [from, to), from taken before the pool heard of it.
type ppWindow struct {
	from, to int64
	what     string
}

type ppPending struct {
	ref  ppRef
	name string
}

// ppSpan is a Reinstate, between the model's hearing of it before and
// after (to: 0 while under way), which may have happened at any time in
// between.
type ppSpan struct {
	from, to int64
	child    int
	id       string
}

type ppCounts struct {
	holds, unholds, pages, logins, timeouts, noIdentity, retiredErrs,
	blocks, site429, retires, reinstates, statuses int
}

// ops counts the operations the children told: acquires (leases and
// failures), requests, lease ends, reinstates, statuses.
func (c ppCounts) ops() int {
	return c.holds + c.timeouts + c.noIdentity + c.retiredErrs + c.pages + c.unholds + c.reinstates + c.statuses
}

func newPPSite(t *testing.T, model bool, seed uint64) *ppSite {
	t.Helper()
	s := &ppSite{
		model: model, t0: time.Now(), rng: rand.New(rand.NewPCG(seed, 2)),
		procs: map[int]*ppProcInfo{}, holder: map[string]ppRef{}, inflight: map[string]map[ppRef]int{},
		holds: map[string][]ppHold{}, windows: map[string][]ppWindow{}, pending: map[ppPending]ppWindow{},
		reinstates: map[string][]*ppSpan{}, pages: map[int]int{}, events: make(chan struct{}, 1),
		fairDone: make(chan struct{}),
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *ppSite) violateLocked(format string, args ...any) {
	if len(s.violations) < 100 {
		s.violations = append(s.violations, fmt.Sprintf(format, args...))
	}
}

// ms says a time as milliseconds since the site started.
func (s *ppSite) ms(ns int64) string {
	if ns == math.MaxInt64 {
		return "forever"
	}
	return fmt.Sprintf("%.1fms", float64(ns-s.t0.UnixNano())/1e6)
}

// register tells the site a child's process id.
func (s *ppSite) register(child, pid int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.procs[child] = &ppProcInfo{pid: pid}
}

// markDead tells the site that a child is dead or about to be (before its
// SIGKILL): its leases, requests in flight and reinstates under way no
// longer count.
func (s *ppSite) markDead(child int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if info := s.procs[child]; info != nil {
		info.dead = true
	}
	now := time.Now().UnixNano()
	for _, spans := range s.reinstates {
		for _, r := range spans {
			if r.child == child && r.to == 0 {
				r.to = now
			}
		}
	}
}

// aliveLocked reports whether a child's process may still run.
func (s *ppSite) aliveLocked(child int) bool {
	info := s.procs[child]
	if info == nil {
		return true
	}
	return !info.dead && processAlive(info.pid)
}

func (s *ppSite) signal() {
	select {
	case s.events <- struct{}{}:
	default:
	}
}

func (s *ppSite) counts() ppCounts {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

func (s *ppSite) violationList() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.violations)
}

// holding returns the children that hold an identity, as the model sees.
func (s *ppSite) holding() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []int
	for _, ref := range s.holder {
		if !slices.Contains(out, ref.child) {
			out = append(out, ref.child)
		}
	}
	slices.Sort(out)
	return out
}

func (s *ppSite) serve(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if kind, ok := strings.CutPrefix(r.URL.Path, "/model/"); ok {
		s.report(kind, q)
		s.signal()
		return
	}
	child, _ := strconv.Atoi(q.Get("c"))
	lease, _ := strconv.Atoi(q.Get("l"))
	var who string
	switch r.URL.Path {
	case "/login":
		who, lease = q.Get("user"), -1
	case "/page":
		c, err := r.Cookie("sid")
		if err != nil {
			http.Error(w, "log in", http.StatusUnauthorized)
			return
		}
		who = c.Value
	default:
		http.NotFound(w, r)
		return
	}
	ref := ppRef{child, lease}
	s.mu.Lock()
	s.enterLocked(who, ref, r.URL.Path == "/page")
	s.mu.Unlock()
	if ms, _ := strconv.Atoi(q.Get("ms")); ms > 0 {
		time.Sleep(time.Duration(ms) * time.Millisecond)
	}
	// Counted out before the answer is written: the client cannot end
	// its lease before this.
	s.mu.Lock()
	m := s.inflight[who]
	if m[ref]--; m[ref] == 0 {
		delete(m, ref)
	}
	status, retryAfter := http.StatusOK, ""
	switch {
	case r.URL.Path == "/login":
		s.n.logins++
		http.SetCookie(w, &http.Cookie{Name: "sid", Value: who, Path: "/"})
	case s.model && s.rng.IntN(1000) < 6:
		// No one may lease who until the pool's clock, which reads
		// after this, says the cool-down is over: Retry-After, or at
		// least half the first backoff (DefaultBlockBackoff).
		status = http.StatusTooManyRequests
		now := time.Now().UnixNano()
		d := DefaultBlockBackoff / 2
		if s.rng.IntN(2) == 0 {
			retryAfter, d = "1", time.Second
		}
		s.n.site429++
		s.pending[ppPending{ref, who}] = ppWindow{now, now + int64(d),
			fmt.Sprintf("the cool-down of a 429 (Retry-After %q) to child %d lease %d", retryAfter, child, lease)}
	default:
		s.n.pages++
		s.pages[child]++
		if s.n.pages == s.fairAt {
			s.fair = copyCounts(s.pages)
			close(s.fairDone)
		}
	}
	s.mu.Unlock()
	if retryAfter != "" {
		w.Header().Set("Retry-After", retryAfter)
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, who)
	s.signal()
}

func copyCounts(m map[int]int) map[int]int {
	out := make(map[int]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// enterLocked counts a request of who in, and flags a second one in
// flight, or (model) one on a lease the model does not see holding who.
func (s *ppSite) enterLocked(who string, ref ppRef, page bool) {
	m := s.inflight[who]
	if m == nil {
		m = map[ppRef]int{}
		s.inflight[who] = m
	}
	m[ref]++
	live := 0
	for r, n := range m {
		if s.aliveLocked(r.child) {
			live += n
		}
	}
	if live > 1 {
		s.violateLocked("%d requests of %s in flight at once (child, lease: count): %v", live, who, m)
	}
	// A request of a child killed meanwhile may come late (sent before
	// its death, read after): its lease ended with it.
	if s.model && page && s.aliveLocked(ref.child) {
		if h, ok := s.holder[who]; !ok || h != ref {
			s.violateLocked("a request of %s on child %d lease %d, which the model does not see holding it (its holder: %v)", who, ref.child, ref.lease, h)
		}
	}
}

// report is what the children of the model test tell, under /model/KIND
// with c=CHILD, and name=IDENTITY and l=LEASE for a lease's:
//
//	hold at=NS       right after Acquire returned, at NS (Unix ns)
//	unhold           right before the lease ends
//	cool from=NS d=D after Block(D), called at NS
//	cool429          after a request answered 429 (the site knows when)
//	retired from=NS  after Retire, called at NS
//	reinstate phase=pre|post id=ID   before and after Reinstate(name)
//	fail why=timeout|noidentity|retired   an Acquire that failed
//	status           a Status read
func (s *ppSite) report(kind string, q url.Values) {
	child, _ := strconv.Atoi(q.Get("c"))
	lease, _ := strconv.Atoi(q.Get("l"))
	name := q.Get("name")
	ref := ppRef{child, lease}
	num := func(k string) int64 { v, _ := strconv.ParseInt(q.Get(k), 10, 64); return v }
	s.mu.Lock()
	defer s.mu.Unlock()
	switch kind {
	case "hold":
		s.n.holds++
		// The report of a child killed meanwhile may come late, after
		// another's lease that its death allowed: its lease ended.
		if s.aliveLocked(child) {
			if cur, ok := s.holder[name]; ok && s.aliveLocked(cur.child) {
				s.violateLocked("%s leased to child %d lease %d while child %d, alive, holds it with lease %d", name, child, lease, cur.child, cur.lease)
			}
			s.holder[name] = ref
		}
		h := ppHold{at: num("at"), ref: ref}
		for _, win := range s.windows[name] {
			s.checkLocked(name, win, h)
		}
		s.holds[name] = append(s.holds[name], h)
	case "unhold":
		s.n.unholds++
		if s.holder[name] == ref {
			delete(s.holder, name)
		}
	case "cool":
		s.n.blocks++
		from := num("from")
		s.addWindowLocked(name, ppWindow{from, from + num("d"),
			fmt.Sprintf("Block(%v) by child %d lease %d", time.Duration(num("d")), child, lease)})
	case "cool429":
		key := ppPending{ref, name}
		if win, ok := s.pending[key]; ok {
			delete(s.pending, key)
			s.addWindowLocked(name, win)
		}
	case "retired":
		s.n.retires++
		s.addWindowLocked(name, ppWindow{num("from"), math.MaxInt64,
			fmt.Sprintf("the retirement by child %d lease %d", child, lease)})
	case "reinstate":
		now := time.Now().UnixNano()
		if q.Get("phase") == "pre" {
			s.n.reinstates++
			s.reinstates[name] = append(s.reinstates[name], &ppSpan{from: now, child: child, id: q.Get("id")})
			break
		}
		for _, r := range s.reinstates[name] {
			if r.id == q.Get("id") {
				r.to = now
			}
		}
	case "fail":
		switch q.Get("why") {
		case "timeout":
			s.n.timeouts++
		case "noidentity":
			s.n.noIdentity++
		case "retired":
			s.n.retiredErrs++
		}
	case "status":
		s.n.statuses++
	}
}

// addWindowLocked adds a time during which name may not be leased, and
// checks the leases heard of so far against it.
func (s *ppSite) addWindowLocked(name string, win ppWindow) {
	s.windows[name] = append(s.windows[name], win)
	for _, h := range s.holds[name] {
		s.checkLocked(name, win, h)
	}
}

// checkLocked flags lease h of name if it began inside win, unless a
// Reinstate of name may have happened between the window's start and the
// lease (it ends cool-downs and retirements). Every Reinstate that
// happened before h.at was heard of before h was (its "pre" comes before
// it), so the check never misses one.
func (s *ppSite) checkLocked(name string, win ppWindow, h ppHold) {
	if h.at <= win.from || h.at >= win.to {
		return
	}
	for _, r := range s.reinstates[name] {
		to := r.to
		if to == 0 {
			to = math.MaxInt64
		}
		if r.from < h.at && to > win.from {
			return
		}
	}
	s.violateLocked("%s leased to child %d lease %d at %s, during %s (%s to %s)",
		name, h.ref.child, h.ref.lease, s.ms(h.at), win.what, s.ms(win.from), s.ms(win.to))
}

// ---- The tests ----

// ppSeed returns the seed in env, or a new one, and logs how to replay it.
func ppSeed(t *testing.T, env string) uint64 {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv(env); v != "" {
		var err error
		seed, err = strconv.ParseUint(v, 10, 64)
		require.NoError(t, err, env)
	}
	t.Logf("seed %d (replay: %s=%d go test -run '^%s$')", seed, env, seed, t.Name())
	return seed
}

// TestPoolProcessModel runs child processes doing random operations on one
// pool directory, kills some of them at random moments (while they hold
// identities, wait for them, log in, block or reinstate them) and starts
// others, and checks every lease against the model the site keeps: an
// identity is held by one live lease at a time, is not leased while it
// cools down (an explicit Block, a 429) nor while it is retired, and one
// identity's requests are never in flight together. When all children are
// gone, nothing is stuck: a fresh pool sees every identity free, no
// waiter queued, and leases every identity at once.
func TestPoolProcessModel(t *testing.T) {
	ppSkip(t)
	seed := ppSeed(t, ppModelSeedEnv)
	rng := rand.New(rand.NewPCG(seed, 1))
	site := newPPSite(t, true, seed)
	dir := ppDir(t)
	names := []string{"ann", "bob", "cy", "dee"}
	const (
		running   = 4    // children at once
		workers   = 3    // goroutines of a child
		targetOps = 3000 // operations told by the children, in all
	)
	began := time.Now()
	deadline := time.NewTimer(3 * time.Minute)
	defer deadline.Stop()
	exited := make(chan *ppProc, 256)
	procs := map[int]*ppProc{}
	next, kills, killedHolding := 0, 0, 0
	var childSeeds []string
	start := func() {
		childSeed, budget := rng.Uint64(), 150+rng.IntN(300)
		p := ppStart(t, "model", dir, next, false,
			ppSiteEnv+"="+site.URL, ppNamesEnv+"="+strings.Join(names, ","),
			ppSeedEnv+"="+strconv.FormatUint(childSeed, 10), ppOpsEnv+"="+strconv.Itoa(budget),
			ppWorkersEnv+"="+strconv.Itoa(workers))
		site.register(next, p.pid)
		childSeeds = append(childSeeds, fmt.Sprintf("%d:pid=%d,seed=%d,ops=%d", next, p.pid, childSeed, budget))
		procs[next] = p
		next++
		go func() {
			<-p.done
			exited <- p
		}()
	}
	for range running {
		start()
	}
	killAt := 50 + rng.IntN(150)
	stopping := false
	for len(procs) > 0 {
		select {
		case <-site.events:
		case p := <-exited:
			delete(procs, p.idx)
			site.markDead(p.idx)
			if !p.killed.Load() && !assert.NoError(t, p.err, "child %d ended with an error; its stderr:\n%s", p.idx, p.stderr) && !stopping {
				stopping = true // and see what the model says
				for _, p := range procs {
					_ = p.stdin.Close()
				}
			}
			if !stopping {
				start()
			}
		case <-deadline.C:
			t.Fatalf("still running after 3 minutes: %+v", site.counts())
		}
		ops := site.counts().ops()
		if !stopping && ops >= targetOps {
			stopping = true
			for _, p := range procs {
				_ = p.stdin.Close() // ends it with its current operation
			}
		}
		if stopping || ops < killAt || len(procs) == 0 {
			continue
		}
		// A victim: half the time one the model sees holding an
		// identity, else any (which may be waiting, requesting,
		// reinstating, or starting).
		var victim *ppProc
		if holding := site.holding(); len(holding) > 0 && rng.IntN(2) == 0 {
			victim = procs[holding[rng.IntN(len(holding))]]
			if victim != nil {
				killedHolding++
			}
		}
		if victim == nil {
			keys := make([]int, 0, len(procs))
			for k := range procs {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			victim = procs[keys[rng.IntN(len(keys))]]
		}
		site.markDead(victim.idx)
		victim.kill()
		kills++
		killAt = ops + 40 + rng.IntN(200)
	}
	elapsed := time.Since(began)
	n := site.counts()
	t.Logf("children (number:pid,seed,budget): %s", strings.Join(childSeeds, " "))
	t.Logf("%d children, %d killed (%d while the model saw them hold), in %v: %d operations: "+
		"%d leases, %d acquires timed out, %d ErrNoIdentity, %d ErrRetired, %d pages, %d 429s, %d logins, "+
		"%d blocks, %d retirements, %d reinstates, %d status reads",
		next, kills, killedHolding, elapsed.Round(time.Millisecond), n.ops(), n.holds, n.timeouts, n.noIdentity,
		n.retiredErrs, n.pages, n.site429, n.logins, n.blocks, n.retires, n.reinstates, n.statuses)
	for _, v := range site.violationList() {
		t.Errorf("violation: %s", v)
	}
	require.False(t, t.Failed())
	require.GreaterOrEqual(t, n.ops(), targetOps)
	require.NotZero(t, kills)

	// Nothing stuck: every holder and waiter is dead, which a fresh pool
	// sees at once.
	p, err := OpenPool(dir, ppIdentities(names, -1), WithSessionOptions(WithBaseURL(site.URL)))
	require.NoError(t, err)
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	uses := 0
	for _, st := range p.Status() {
		assert.NotEqual(t, IdentityLeased, st.State, "%s is still leased", st.Name)
		uses += st.Uses
	}
	assert.Empty(t, readPoolDoc(t, dir).Wait, "waiters of dead processes are still queued")
	// Every lease the children told of counts; so may a lease whose child
	// was killed before it could tell (at most a lease per worker).
	assert.GreaterOrEqual(t, uses, n.holds, "Status().Uses lost leases")
	assert.LessOrEqual(t, uses, n.holds+kills*workers, "Status().Uses counts leases that were not")
	for _, name := range names {
		require.NoError(t, p.Reinstate(ctx, name))
	}
	acquired := time.Now()
	var leases []*Lease
	got := map[string]bool{}
	for range names {
		lctx, lcancel := context.WithTimeout(ctx, 5*time.Second)
		l, err := p.Acquire(lctx)
		lcancel()
		require.NoError(t, err, "an identity is stuck: %+v", p.Status())
		got[l.Name()] = true
		leases = append(leases, l)
	}
	assert.Len(t, got, len(names))
	assert.Less(t, time.Since(acquired), 3*time.Second, "leasing every identity took long")
	for _, l := range leases {
		l.Release()
	}
	for _, st := range p.Status() {
		assert.Equal(t, IdentityFree, st.State, "%s: %v", st.Name, st.Err)
	}
}

// TestPoolProcessFairShares runs 3 processes of 4 goroutines each, leasing
// 2 identities in a loop (a request of 2 ms per lease): each process gets
// a fair share of the leases, and no Acquire waits far longer than they
// do on the whole.
func TestPoolProcessFairShares(t *testing.T) {
	ppSkip(t)
	site := newPPSite(t, false, 0)
	dir := ppDir(t)
	const procs, goroutines, total = 3, 4, 300
	site.fairAt = total
	var children []*ppProc
	for i := range procs {
		children = append(children, ppStart(t, "fair", dir, i, false,
			ppSiteEnv+"="+site.URL, ppNamesEnv+"=ann,bob", ppWorkersEnv+"="+strconv.Itoa(goroutines)))
	}
	for _, c := range children {
		c.line(t, "ready")
	}
	began := time.Now()
	for _, c := range children {
		c.send(t, "go")
	}
	select {
	case <-site.fairDone:
	case <-time.After(2 * time.Minute):
		t.Fatalf("%d leases not done in 2 minutes: %v", total, site.counts())
	}
	elapsed := time.Since(began)
	for _, c := range children {
		c.send(t, "stop")
	}
	var means, maxes []time.Duration
	for _, c := range children {
		var n, mean, median, most int64
		line := c.line(t, "waits")
		_, err := fmt.Sscanf(line, "waits n=%d mean=%d median=%d max=%d", &n, &mean, &median, &most)
		require.NoError(t, err, line)
		c.wait(t)
		t.Logf("process %d: %d of the first %d leases; its %d Acquires waited %v on average, median %v, at most %v",
			c.idx, site.fair[c.idx], total, n, time.Duration(mean), time.Duration(median), time.Duration(most))
		means, maxes = append(means, time.Duration(mean)), append(maxes, time.Duration(most))
	}
	t.Logf("%d leases in %v", total, elapsed.Round(time.Millisecond))
	for i := range procs {
		assert.GreaterOrEqual(t, site.fair[i], total/procs/3, "process %d starved: %v", i, site.fair)
	}
	// With 12 workers on 2 identities, an Acquire waits for about 6
	// leases; the longest wait stays within a small multiple of that.
	mean := (means[0] + means[1] + means[2]) / 3
	for i, most := range maxes {
		assert.Less(t, most, 20*mean+time.Second, "process %d: an Acquire waited %v, the mean wait is %v", i, most, mean)
	}
}

// TestPoolProcessKilledHolderFreesItsIdentity: a process holding an
// identity is killed while this one waits for it in AcquireName, which
// returns at once, far sooner than the pool's 10 s re-check.
func TestPoolProcessKilledHolderFreesItsIdentity(t *testing.T) {
	ppSkip(t)
	dir := ppDir(t)
	p, err := OpenPool(dir, []Identity{{Name: "solo"}})
	require.NoError(t, err)
	defer p.Close()
	child := ppStart(t, "hold", dir, 0, false, ppNamesEnv+"=solo")
	child.line(t, "held solo")

	type result struct {
		l   *Lease
		err error
	}
	got := make(chan result, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		l, err := p.AcquireName(ctx, "solo")
		got <- result{l, err}
	}()
	waitQueued(t, dir, os.Getpid())
	select {
	case r := <-got:
		t.Fatalf("AcquireName returned while the child held the identity: %v", r.err)
	default:
	}
	killed := time.Now()
	child.kill()
	r := <-got
	took := time.Since(killed)
	require.NoError(t, r.err)
	assert.Equal(t, "solo", r.l.Name())
	t.Logf("AcquireName returned %v after the holder's SIGKILL", took.Round(time.Microsecond))
	assert.Less(t, took, 3*time.Second, "the identity of a killed holder was not taken at once")
	r.l.Release()
}

// TestPoolProcessKilledWaiterLeavesTheQueue: the first waiter in the
// queue dies when an identity is free for it, after another waiter found
// it ahead; the other waiter takes the identity at once rather than after
// the pool's 10 s re-check. The child is killed and left unreaped while
// this process queues behind it (it then looks alive to signal 0, as a
// waiter a moment before its death does), then reaped.
func TestPoolProcessKilledWaiterLeavesTheQueue(t *testing.T) {
	ppSkip(t)
	dir := ppDir(t)
	p, err := OpenPool(dir, []Identity{{Name: "solo"}})
	require.NoError(t, err)
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	held, err := p.AcquireName(ctx, "solo")
	require.NoError(t, err)
	child := ppStart(t, "wait", dir, 0, true, ppNamesEnv+"=solo")
	child.line(t, "ready")
	waitQueued(t, dir, child.pid)
	child.killed.Store(true)
	require.NoError(t, child.cmd.Process.Kill())
	for range child.lines { // its stdout ends with it
	}
	require.True(t, processAlive(child.pid), "precondition: the dead child, unreaped, answers signal 0")

	held.Release()
	type result struct {
		l   *Lease
		err error
	}
	got := make(chan result, 1)
	go func() {
		l, err := p.AcquireName(ctx, "solo")
		got <- result{l, err}
	}()
	waitQueued(t, dir, os.Getpid()) // behind the child, to whom the identity goes
	reaped := time.Now()
	close(child.reap)
	<-child.done
	r := <-got
	took := time.Since(reaped)
	require.NoError(t, r.err)
	t.Logf("AcquireName returned %v after the first waiter was reaped", took.Round(time.Microsecond))
	assert.Less(t, took, 3*time.Second, "a dead waiter held up the queue")
	r.l.Release()
}

// TestPoolProcessUsesAddUp: 4 processes of 2 goroutines each take and
// release 50 leases on 3 identities; Status().Uses adds up to 200 exactly.
func TestPoolProcessUsesAddUp(t *testing.T) {
	ppSkip(t)
	dir := ppDir(t)
	names := []string{"ann", "bob", "cy"}
	const procs, leases = 4, 50
	var children []*ppProc
	for i := range procs {
		children = append(children, ppStart(t, "uses", dir, i, false,
			ppNamesEnv+"="+strings.Join(names, ","), ppOpsEnv+"="+strconv.Itoa(leases), ppWorkersEnv+"=2"))
	}
	for _, c := range children {
		c.line(t, "done")
		c.wait(t)
	}
	p, err := OpenPool(dir, ppIdentities(names, -1))
	require.NoError(t, err)
	defer p.Close()
	uses := 0
	for _, st := range p.Status() {
		assert.Equal(t, IdentityFree, st.State, st.Name)
		assert.NotZero(t, st.Uses, "%s was never leased", st.Name)
		uses += st.Uses
	}
	assert.Equal(t, procs*leases, uses)
}

// ppHookedStore is a directory store that runs a hook once, when an Update
// has returned: after the state was written and its lock dropped, before
// the pool does what comes next.
type ppHookedStore struct {
	*dirStore
	after   atomic.Pointer[func()]
	updates atomic.Int64
}

func (s *ppHookedStore) Update(ctx context.Context, change func([]byte, time.Time) ([]byte, error)) error {
	s.updates.Add(1)
	err := s.dirStore.Update(ctx, change)
	if f := s.after.Swap(nil); f != nil {
		(*f)()
	}
	return err
}

// TestPoolReleaseDropsTheLockWithTheState: a waiter that looks at the state
// a release wrote finds the identity's lease lock free too. (Were the lock
// dropped after the state's, it would take the identity for held by a
// process outside the pool, and wait for the pool's 10 s re-check: the
// release changes the state no more.) Two pools of one process on one
// directory stand for two processes, and a hook stops the releasing one
// right after its update.
func TestPoolReleaseDropsTheLockWithTheState(t *testing.T) {
	dir := ppDir(t)
	a, err := OpenPool(dir, []Identity{{Name: "solo"}})
	require.NoError(t, err)
	defer a.Close()
	b, err := OpenPool(dir, []Identity{{Name: "solo"}})
	require.NoError(t, err)
	defer b.Close()
	hooked := &ppHookedStore{dirStore: a.store.(*dirStore)}
	a.store = hooked
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	l, err := a.AcquireName(ctx, "solo")
	require.NoError(t, err)

	type result struct {
		l   *Lease
		err error
	}
	got := make(chan result, 1)
	go func() {
		l, err := b.AcquireName(ctx, "solo")
		got <- result{l, err}
	}()
	waitQueued(t, dir, os.Getpid())
	paused, proceed := make(chan struct{}), make(chan struct{})
	hook := func() {
		close(paused)
		<-proceed
	}
	hooked.after.Store(&hook)
	go l.Release()
	<-paused
	// b sees the state the release wrote, and takes the identity, or
	// finds its lock held.
	var r result
	require.Eventually(t, func() bool {
		select {
		case r = <-got:
			return true
		default:
		}
		e := readPoolDoc(t, dir).IDs["solo"]
		return e != nil && e.Holder == "unknown"
	}, time.Minute, 2*time.Millisecond)
	released := time.Now()
	close(proceed)
	if r.l == nil && r.err == nil {
		r = <-got
	}
	took := time.Since(released)
	require.NoError(t, r.err)
	t.Logf("the waiter had the identity %v after the release ended", took.Round(time.Microsecond))
	assert.Less(t, took, 3*time.Second, "the waiter found the lease lock held after the state said free, and waited for the re-check")
	r.l.Release()
}

// TestPoolWaiterBehindAServedOneDoesNotSpin: a waiter of this process is
// first in the queue, and the identity free for it, but it has not taken
// it yet (it is slow to, or its Acquire just gave up and its place is
// still there); two other waiters of this process, behind it, wait
// without taking the state's lock again and again. (A take that wakes this
// process's served waiters must not wake its own caller: each look would
// wake it for another, hogging the lock that the served waiter needs.)
func TestPoolWaiterBehindAServedOneDoesNotSpin(t *testing.T) {
	dir := ppDir(t)
	p, err := OpenPool(dir, []Identity{{Name: "solo"}})
	require.NoError(t, err)
	defer p.Close()
	hooked := &ppHookedStore{dirStore: p.store.(*dirStore)}
	p.store = hooked
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	first := poolTicket{ID: p.node + ".first", Name: "solo", Host: p.host, PID: p.pid}
	require.NoError(t, p.update(ctx, func(d *poolDoc, n int64) error {
		first.Deadline = n + int64(time.Minute)
		d.queue(first)
		return nil
	}))
	before := hooked.updates.Load()
	wctx, wcancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer wcancel()
	errs := make(chan error, 2)
	for range 2 { // two, lest they wake each other
		go func() {
			_, err := p.AcquireName(wctx, "solo")
			errs <- err
		}()
	}
	for range 2 {
		require.ErrorIs(t, <-errs, context.DeadlineExceeded)
	}
	updates := hooked.updates.Load() - before
	t.Logf("the two waiters behind made %d updates of the state in 300 ms", updates)
	// Each: a look or two, and the dequeue at the end.
	assert.LessOrEqual(t, updates, int64(12), "the waiters behind kept taking the state's lock")
}

// TestOpenPoolLeavesAWritersTemporaryFile: a process opening the pool
// while another replaces the state (under its lock, through a temporary
// file) leaves that file alone; removing it made the writer's rename fail
// ("no such file or directory"), and its update with it.
func TestOpenPoolLeavesAWritersTemporaryFile(t *testing.T) {
	dir := ppDir(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	unlock, err := safefile.Lock(ctx, filepath.Join(dir, ".pool.json.lock"), time.Minute)
	require.NoError(t, err)
	tmp := filepath.Join(dir, "..pool.json.tmp-1234567")
	require.NoError(t, os.WriteFile(tmp, []byte(`{"v":1}`), 0o600))
	p, err := OpenPool(dir, []Identity{{Name: "solo"}})
	require.NoError(t, err)
	defer p.Close()
	_, err = os.Stat(tmp)
	assert.NoError(t, err, "OpenPool removed the temporary file of a writer that holds the state's lock")
	require.NoError(t, os.Rename(tmp, filepath.Join(dir, ".pool.json")))
	unlock()
	assert.Equal(t, IdentityFree, p.Status()[0].State)
}

// TestPoolLateUnlockKeepsTheNextLeasesLock: a release drops its lease lock
// with the state, and the next lease of this process takes the identity
// before the release has returned; what the release does after (its
// fallback unlock, for a state it could not write) leaves the next lease's
// lock alone. (Dropping the lock by name alone let another process lease
// the identity while this one still held it.)
func TestPoolLateUnlockKeepsTheNextLeasesLock(t *testing.T) {
	dir := ppDir(t)
	p, err := OpenPool(dir, []Identity{{Name: "solo"}})
	require.NoError(t, err)
	defer p.Close()
	hooked := &ppHookedStore{dirStore: p.store.(*dirStore)}
	p.store = hooked
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	first, err := p.AcquireName(ctx, "solo")
	require.NoError(t, err)

	paused, proceed, released := make(chan struct{}), make(chan struct{}), make(chan struct{})
	hook := func() {
		close(paused)
		<-proceed
	}
	hooked.after.Store(&hook)
	go func() {
		first.Release()
		close(released)
	}()
	<-paused // the release's update is stored
	next, err := p.AcquireName(ctx, "solo")
	require.NoError(t, err)
	close(proceed)
	<-released
	assert.False(t, hooked.free("solo"), "the next lease's lock was dropped by the release before it")
	assert.Equal(t, IdentityLeased, p.Status()[0].State)
	next.Release()
	assert.True(t, hooked.free("solo"))
}
