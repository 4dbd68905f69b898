package httpsession

// The model of model_test.go with each jar in its own OS process: the test
// binary runs again as TestSyncModelProcessesChild, which holds one jar and
// does what the parent sends it on stdin, one JSON smOp per line, answering
// each with one line on stdout. The parent sets the interleaving and each
// operation's time, and keeps the model.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const (
	// smChildEnv marks a child process of TestSyncModelProcesses.
	smChildEnv = "HTTPSESSION_SYNC_MODEL_CHILD"
	// smAnswer starts a child's answer lines, which share stdout with
	// whatever the testing package prints.
	smAnswer = "SYNCMODEL-ANSWER "
	// smChildDeadline bounds the wait for one answer: a child that takes
	// longer is stuck (a lock never released, a deadlock), not slow.
	smChildDeadline = time.Minute
)

// TestSyncModelProcessesChild is the body of a child process; run directly,
// it skips.
func TestSyncModelProcessesChild(t *testing.T) {
	if os.Getenv(smChildEnv) != "1" {
		t.Skip("the child process of TestSyncModelProcesses")
	}
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 64<<10), 64<<20)
	out := bufio.NewWriter(os.Stdout)
	clock := &smClock{}
	var j *Jar
	for in.Scan() {
		var op smOp
		var r smResult
		if err := json.Unmarshal(in.Bytes(), &op); err != nil {
			r.Err = "child: bad request: " + err.Error()
		} else {
			clock.set(op.Now)
			switch {
			case op.Kind == "reset":
				j = NewJar(WithClock(clock.now), WithLimits(op.PerDomain, op.Total))
			case j == nil:
				r.Err = "child: no jar yet"
			default:
				r = smExec(j, op)
			}
		}
		line, err := json.Marshal(r)
		if err != nil {
			line, _ = json.Marshal(smResult{Err: "child: " + err.Error()})
		}
		out.WriteString(smAnswer)
		out.Write(line)
		out.WriteByte('\n')
		if err := out.Flush(); err != nil {
			return
		}
	}
}

// smSyncBuffer collects a child's stderr and stray stdout.
type smSyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *smSyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.b.Len() < 1<<20 {
		s.b.Write(p)
	}
	return len(p), nil
}

func (s *smSyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// smChild is a child process holding one jar.
type smChild struct {
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	answers chan []byte
	output  *smSyncBuffer
}

// smStartChild starts a child process; it is killed when t ends.
func smStartChild(t *testing.T) *smChild {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestSyncModelProcessesChild$", "-test.count=1")
	for _, kv := range os.Environ() {
		// Not the helper of persist_test.go's TestMain.
		if !strings.HasPrefix(kv, "HTTPSESSION_TEST_HELPER=") && !strings.HasPrefix(kv, smChildEnv+"=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, smChildEnv+"=1")
	c := &smChild{cmd: cmd, answers: make(chan []byte, 1), output: new(smSyncBuffer)}
	cmd.Stderr = c.output
	var err error
	c.stdin, err = cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(c.answers)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 64<<20)
		for sc.Scan() {
			if line, ok := bytes.CutPrefix(sc.Bytes(), []byte(smAnswer)); ok {
				c.answers <- bytes.Clone(line)
				continue
			}
			fmt.Fprintf(c.output, "stdout: %s\n", sc.Bytes())
		}
	}()
	t.Cleanup(func() {
		_ = c.stdin.Close()
		_ = cmd.Process.Kill()
		go func() {
			for range c.answers { // drain, so that the reader stops
			}
		}()
		<-done
		_ = cmd.Wait()
		if out := c.output.String(); strings.Contains(out, "WARNING: DATA RACE") {
			t.Errorf("the race detector reported in a child process:\n%s", out)
		}
	})
	return c
}

func (c *smChild) do(op smOp) (smResult, error) {
	var r smResult
	req, err := json.Marshal(op)
	if err != nil {
		return r, err
	}
	if _, err := c.stdin.Write(append(req, '\n')); err != nil {
		return r, fmt.Errorf("child %d: %v; its output:\n%s", c.cmd.Process.Pid, err, c.output)
	}
	timer := time.NewTimer(smChildDeadline)
	defer timer.Stop()
	select {
	case line, ok := <-c.answers:
		if !ok {
			return r, fmt.Errorf("child %d exited; its output:\n%s", c.cmd.Process.Pid, c.output)
		}
		if err := json.Unmarshal(line, &r); err != nil {
			return r, fmt.Errorf("child %d: bad answer %q: %v", c.cmd.Process.Pid, line, err)
		}
		return r, nil
	case <-timer.C:
		return r, fmt.Errorf("child %d gave no answer to %s in %v; its output:\n%s", c.cmd.Process.Pid, req, smChildDeadline, c.output)
	}
}

// smProcessConfigs returns the configurations of workers whose jars live
// in child processes: each worker has four children, one per jar.
func smProcessConfigs(t *testing.T, workers int) []smConfig {
	cfgs := make([]smConfig, workers)
	for w := range cfgs {
		children := make([]*smChild, 4)
		for i := range children {
			children[i] = smStartChild(t)
		}
		cfgs[w] = smConfig{newJars: func(limits [][2]int, _ string, _ *smClock) ([]smJar, error) {
			jars := make([]smJar, len(limits))
			for i, l := range limits {
				r, err := children[i].do(smOp{Kind: "reset", PerDomain: l[0], Total: l[1], Now: smStart})
				if err == nil && r.Err != "" {
					err = fmt.Errorf("child %d: %s", i, r.Err)
				}
				if err != nil {
					return nil, err
				}
				jars[i] = children[i]
			}
			return jars, nil
		}}
	}
	return cfgs
}

// TestSyncModelProcesses checks the model of TestSyncModel with every jar
// in its own process, all sharing one file.
func TestSyncModelProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("runs child processes")
	}
	if os.Getenv(smChildEnv) != "" {
		t.Skip("in a child process")
	}
	smRunMany(t, smHistoryCount(300, 300), smProcessConfigs(t, smWorkers()))
}
