package redisjar_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/httpsession/httpsession/redisjar"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) {
	// The outage tests make go-redis log every failed dial; what matters
	// reaches the tests through the stores' error handlers.
	redis.SetLogger(quietLogger{})
	os.Exit(m.Run())
}

type quietLogger struct{}

// patience bounds a wait for something that must happen: Redis answering,
// a change reaching another worker, a store noticing an outage. Each wait
// ends as soon as what it waits for happens; the bound only stops a test
// whose event never comes, so it is generous: a machine busy with other
// work, running the tests under -race, can take seconds where an idle one
// takes milliseconds.
const patience = 2 * time.Minute

func (quietLogger) Printf(context.Context, string, ...any) {}

// redisServer is a redis-server of the test's own, on a free loopback port,
// with the append-only file fsynced on every write, killed at the end.
type redisServer struct {
	t    testing.TB
	bin  string
	dir  string
	port int

	// ephemeral servers keep nothing on disk: a restart loses every key.
	ephemeral bool

	mu  sync.Mutex
	cmd *exec.Cmd
	out *lockedBuffer
}

// lockedBuffer collects the server's output for failure messages.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startRedis starts a redis-server, or skips the test when there is none
// (fails it under CI=true).
func startRedis(t testing.TB) *redisServer {
	t.Helper()
	return startRedisServer(t, false)
}

// startEphemeralRedis starts a server without persistence: start after
// kill comes back empty, as a Redis restarted without AOF or RDB does.
func startEphemeralRedis(t *testing.T) *redisServer {
	t.Helper()
	return startRedisServer(t, true)
}

func startRedisServer(t testing.TB, ephemeral bool) *redisServer {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("redis-server is required under CI=true: %v", err)
		}
		t.Skipf("redis-server not installed (apt-get install redis-server): %v", err)
	}
	r := &redisServer{t: t, bin: bin, dir: t.TempDir(), port: freePort(t), out: &lockedBuffer{}, ephemeral: ephemeral}
	t.Cleanup(r.kill)
	r.start()
	return r
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func (r *redisServer) addr() string { return "127.0.0.1:" + strconv.Itoa(r.port) }

// start runs the server (again, on the same port and directory) and waits
// until it answers PING.
func (r *redisServer) start() {
	r.t.Helper()
	persist := []string{"--appendonly", "yes", "--appendfsync", "always"}
	if r.ephemeral {
		persist = []string{"--appendonly", "no"}
	}
	args := append([]string{"--port", strconv.Itoa(r.port), "--bind", "127.0.0.1", "--save", ""}, persist...)
	cmd := exec.Command(r.bin, append(args, "--dir", r.dir, "--daemonize", "no")...)
	cmd.Stdout, cmd.Stderr = r.out, r.out
	cmd.SysProcAttr = childSysProcAttr()
	require.NoError(r.t, cmd.Start())
	r.mu.Lock()
	r.cmd = cmd
	r.mu.Unlock()
	// Until the server listens, a dial is refused at once: poll.
	c := redis.NewClient(&redis.Options{Addr: r.addr(), MaxRetries: -1, DialTimeout: 10 * time.Second, ReadTimeout: 10 * time.Second})
	defer c.Close()
	deadline := time.Now().Add(patience)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			r.kill()
			r.t.Fatalf("redis-server did not answer PING: %v\n%s", err, r.out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// kill stops the server with SIGKILL and reaps it.
func (r *redisServer) kill() {
	r.mu.Lock()
	cmd := r.cmd
	r.cmd = nil
	r.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
}

// client returns a client of the server, closed at the end of the test.
// Its timeouts only catch a server that hangs, which no test makes: a
// killed server refuses a dial and ends a connection at once, so short
// timeouts would not find an outage sooner, and a busy machine could take
// longer than a short one to answer.
func (r *redisServer) client() *redis.Client {
	c := redis.NewClient(&redis.Options{
		Addr:        r.addr(),
		DialTimeout: 30 * time.Second,
		ReadTimeout: time.Minute,
	})
	r.t.Cleanup(func() { _ = c.Close() })
	return c
}

// errorLog collects what a store reports.
type errorLog struct {
	mu   sync.Mutex
	errs []error
}

func (e *errorLog) add(err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.errs = append(e.errs, err)
}

func (e *errorLog) has(target error) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, err := range e.errs {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

// hasText reports whether a reported error mentions s.
func (e *errorLog) hasText(s string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, err := range e.errs {
		if strings.Contains(err.Error(), s) {
			return true
		}
	}
	return false
}

// openStore opens a store with quick retries for tests, closed at the end of
// the test; what it reports goes to the returned log.
//
// A jar call waits until Redis has acknowledged its change, or is known to
// be unreachable (WithAckWait): that is the event the next request of
// another worker depends on. The default bound on that wait, two seconds,
// is one a busy machine could exceed; the tests wait for the event.
func openStore(t *testing.T, client redis.UniversalClient, prefix string, opts ...redisjar.Option) (*redisjar.Store, *errorLog) {
	t.Helper()
	log := &errorLog{}
	all := append([]redisjar.Option{
		redisjar.WithAckWait(patience),
		redisjar.WithBlockTime(100 * time.Millisecond),
		redisjar.WithBackoff(20*time.Millisecond, 200*time.Millisecond),
		redisjar.WithErrorHandler(log.add),
	}, opts...)
	s, err := redisjar.OpenStore(context.Background(), client, prefix, all...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s, log
}

// buildWorker builds the child program of the fleet test.
func buildWorker(t *testing.T) string {
	t.Helper()
	return buildProgram(t, "worker")
}

// buildProgram builds ./testdata/NAME, with -race when the tests have it.
func buildProgram(t *testing.T, name string) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	require.NoError(t, err, "the go command builds the worker")
	out := filepath.Join(t.TempDir(), name)
	args := []string{"build", "-o", out}
	if raceEnabled {
		args = append(args, "-race")
	}
	cmd := exec.Command(gobin, append(args, "./testdata/"+name)...)
	msg, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build: %s", msg)
	return out
}
