// Package loginrounds runs the tests of automatic re-login across processes
// (httpsession.WithLogin): worker processes that fetch a logged-in page in
// rounds, told when by their parent, and a parent that ends every session
// on the site between rounds and compares the logins the site counted with
// the expiries.
//
// A worker reads a line "go" from standard input for each round, fetches
// the page from several goroutines (Round), and answers "ok" or
// "fail: reasons" on standard output (Serve). The parent writes the lines
// and reads the answers: a round ends on the workers' answers, never on a
// guessed delay.
package loginrounds

import (
	"bufio"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Serve is the body of a worker: for each line on in, it runs round and
// writes "ok", or "fail: " and the failures, to out. It returns when in
// ends.
func Serve(in io.Reader, out io.Writer, round func() []string) error {
	lines := bufio.NewScanner(in)
	for lines.Scan() {
		if failures := round(); len(failures) > 0 {
			fmt.Fprintln(out, "fail:", strings.Join(failures, "; "))
		} else {
			fmt.Fprintln(out, "ok")
		}
	}
	return lines.Err()
}

// Round calls fetch n times from each of g goroutines and returns the
// failures.
func Round(g, n int, fetch func() error) []string {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []string
	for range g {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range n {
				if err := fetch(); err != nil {
					mu.Lock()
					failures = append(failures, err.Error())
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return failures
}

// Worker is a started worker process.
type Worker struct {
	in  io.WriteCloser
	out *bufio.Scanner
}

// Start starts cmd as a worker; the test's cleanup closes its input, which
// ends it, and waits for it.
func Start(t testing.TB, cmd *exec.Cmd) Worker {
	t.Helper()
	in, err := cmd.StdinPipe()
	require.NoError(t, err)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = in.Close(); _ = cmd.Wait() })
	return Worker{in: in, out: bufio.NewScanner(out)}
}

// Run runs expiries rounds: every worker fetches, every worker must answer
// "ok", the logins the site counted since the start must equal the rounds
// so far, and then expire ends every session on the site.
func Run(t testing.TB, workers []Worker, expiries int, logins func() int, expire func()) {
	t.Helper()
	before := logins()
	for round := 1; round <= expiries; round++ {
		for _, w := range workers {
			_, err := io.WriteString(w.in, "go\n")
			require.NoError(t, err)
		}
		for i, w := range workers {
			require.True(t, w.out.Scan(), "worker %d ended: %v", i, w.out.Err())
			assert.Equal(t, "ok", w.out.Text(), "worker %d, round %d", i, round)
		}
		assert.Equal(t, round, logins()-before, "logins after %d expiries", round)
		expire()
	}
}

// Loop is the body of a worker of Continuous: on the line "go" it starts g
// goroutines that call fetch again and again; on the line "stop" it stops
// them, waits for them, and writes "ok", or "fail: " and the failures, to
// out. It returns when in ends.
func Loop(in io.Reader, out io.Writer, g int, fetch func() error) error {
	lines := bufio.NewScanner(in)
	for lines.Scan() {
		if lines.Text() != "go" {
			continue
		}
		var stop atomic.Bool
		var wg sync.WaitGroup
		var mu sync.Mutex
		var failures []string
		for range g {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for !stop.Load() {
					if err := fetch(); err != nil {
						mu.Lock()
						failures = append(failures, err.Error())
						mu.Unlock()
					}
				}
			}()
		}
		if !lines.Scan() {
			stop.Store(true)
			wg.Wait()
			break
		}
		stop.Store(true)
		wg.Wait()
		if len(failures) > 0 {
			fmt.Fprintln(out, "fail:", strings.Join(failures, "; "))
		} else {
			fmt.Fprintln(out, "ok")
		}
	}
	return lines.Err()
}

// Continuous runs the workers (see Loop) without pause for ends+1
// periods of every, ending every session on the site (expire) between
// periods while requests are in flight, as a site whose sessions end on
// their own does. Every worker must answer "ok", and the site must count
// at most one login per end, and one for the start.
func Continuous(t testing.TB, workers []Worker, ends int, every time.Duration, logins func() int, expire func()) {
	t.Helper()
	before := logins()
	for _, w := range workers {
		_, err := io.WriteString(w.in, "go\n")
		require.NoError(t, err)
	}
	// The periods are the scenario, not a wait for an event: requests run
	// throughout, and sessions end under them.
	for range ends {
		time.Sleep(every)
		expire()
	}
	time.Sleep(every)
	for _, w := range workers {
		_, err := io.WriteString(w.in, "stop\n")
		require.NoError(t, err)
	}
	for i, w := range workers {
		require.True(t, w.out.Scan(), "worker %d ended: %v", i, w.out.Err())
		assert.Equal(t, "ok", w.out.Text(), "worker %d", i)
	}
	assert.LessOrEqual(t, logins()-before, ends+1, "logins for %d ends", ends)
}
