package httpsession

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// benchPool opens a pool of n identities that never log in, in dir.
func benchPool(b *testing.B, dir string, n int) *Pool {
	b.Helper()
	ids := make([]Identity, n)
	for i := range ids {
		ids[i] = Identity{Name: fmt.Sprintf("id%d", i)}
	}
	p, err := OpenPool(dir, ids)
	require.NoError(b, err)
	b.Cleanup(func() { _ = p.Close() })
	return p
}

func acquireRelease(b *testing.B, p *Pool) {
	l, err := p.Acquire(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	l.Release()
}

// The cost of a lease on a directory: Acquire and Release, each a
// read-modify-write of the shared state under its lock (fsynced), and the
// identity's save.
func BenchmarkPoolAcquireRelease(b *testing.B) {
	b.Run("one-process", func(b *testing.B) {
		p := benchPool(b, b.TempDir(), 4)
		acquireRelease(b, p) // opens the identity's session
		b.ResetTimer()
		for range b.N {
			acquireRelease(b, p)
		}
	})
	b.Run("one-process-4-goroutines", func(b *testing.B) {
		p := benchPool(b, b.TempDir(), 4)
		b.SetParallelism(1) // GOMAXPROCS goroutines; 4 identities are enough
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				acquireRelease(b, p)
			}
		})
	})
	b.Run("two-processes", func(b *testing.B) {
		dir := b.TempDir()
		p := benchPool(b, dir, 4)
		// Another process leasing the same identities without pause.
		cmd := benchChild("pool-bench-loop", dir)
		out, err := cmd.StdoutPipe()
		require.NoError(b, err)
		require.NoError(b, cmd.Start())
		b.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		line, err := bufio.NewReader(out).ReadString('\n')
		require.NoError(b, err)
		require.Equal(b, "looping", strings.TrimSpace(line))
		b.ResetTimer()
		for range b.N {
			acquireRelease(b, p)
		}
	})
}

// The cost of one request on a lease's session, against a local server,
// beside the same request on a session of no pool: what a lease is to be
// compared with.
func BenchmarkPoolRequest(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ok")
	}))
	b.Cleanup(srv.Close)
	get := func(b *testing.B, s *Session) {
		resp, err := s.Get(context.Background(), srv.URL)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
	}
	b.Run("session", func(b *testing.B) {
		s, err := Open(filepath.Join(b.TempDir(), "c.json"))
		require.NoError(b, err)
		b.Cleanup(func() { _ = s.Close() })
		for range b.N {
			get(b, s)
		}
	})
	b.Run("lease", func(b *testing.B) {
		p := benchPool(b, b.TempDir(), 1)
		l, err := p.Acquire(context.Background())
		require.NoError(b, err)
		b.Cleanup(l.Release)
		for range b.N {
			get(b, l.Session())
		}
	})
}

// poolBenchLoop is a child process of BenchmarkPoolAcquireRelease: it
// leases the identities of the pool in dir without pause until killed.
func poolBenchLoop(dir string) int {
	ids := make([]Identity, 4)
	for i := range ids {
		ids[i] = Identity{Name: fmt.Sprintf("id%d", i)}
	}
	p, err := OpenPool(dir, ids)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("looping")
	for {
		l, err := p.Acquire(context.Background())
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		l.Release()
	}
}

// benchChild returns this test binary as a child process in the given
// mode (see helperProcess).
func benchChild(mode, path string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), "HTTPSESSION_TEST_HELPER="+mode, "HTTPSESSION_TEST_FILE="+path)
	cmd.Stderr = os.Stderr
	return cmd
}
