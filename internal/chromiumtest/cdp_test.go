//go:build linux

package chromiumtest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// hangTimeout bounds one wait on the browser: an answer to one command, or
// the exit of the killed browser. It only catches a browser that stopped
// answering, so it is generous: a command takes milliseconds, the first
// ones wait for Chromium to start (seconds on a busy machine); the whole
// test has its budget (budgetContext).
const hangTimeout = 3 * time.Minute

// browser is one headless Chromium driven over the DevTools protocol on
// --remote-debugging-pipe: Chromium reads commands from file descriptor 3 and
// writes answers to file descriptor 4, one JSON message per NUL-terminated
// record. The pipe needs no port, no websocket and nothing beyond the
// standard library, and it dies with the browser.
type browser struct {
	cmd *exec.Cmd
	out io.WriteCloser // our end of Chromium's fd 3

	mu      sync.Mutex
	nextID  int64
	pending map[int64]chan cdpMessage
	readErr error
	done    chan struct{} // closed when the reader stops

	session string // the flattened session of our one page

	broke atomic.Bool // a command failed: show Chromium's log at cleanup
}

type cdpMessage struct {
	ID        int64           `json:"id,omitempty"`
	Method    string          `json:"method,omitempty"`
	Params    json.RawMessage `json:"params,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
	Error     *cdpError       `json:"error,omitempty"`
	SessionID string          `json:"sessionId,omitempty"`
}

type cdpError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *cdpError) Error() string { return fmt.Sprintf("cdp error %d: %s", e.Code, e.Message) }

// lockedBuilder is a strings.Builder safe for the writes os/exec makes from
// its copying goroutine while the test reads it.
type lockedBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuilder) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() < 1<<16 { // keep the start of a noisy log only
		l.b.Write(p)
	}
	return len(p), nil
}

func (l *lockedBuilder) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// chromiumFlags are the flags every launch uses. --host-resolver-rules sends
// every host name to the loopback servers of the test; the port stays the
// one in the URL. HTTPS upgrades are turned off so that an http URL is
// fetched over http and nothing else.
func chromiumFlags(userDataDir string) []string {
	return []string{
		"--headless",
		"--no-sandbox",
		// No crash handler: chrome_crashpad_handler leaves the process
		// group, and would outlive a run cut short.
		"--disable-crash-reporter",
		"--disable-breakpad",
		"--disable-gpu",
		"--disable-quic",
		"--no-first-run",
		"--disable-background-networking",
		"--disable-component-update",
		"--disable-sync",
		"--disable-extensions",
		"--disable-breakpad",
		"--disable-crash-reporter",
		"--disable-features=HttpsUpgrades,HttpsFirstBalancedModeAutoEnable",
		"--ignore-certificate-errors",
		`--host-resolver-rules=MAP * 127.0.0.1`,
		"--user-data-dir=" + userDataDir,
		"--remote-debugging-pipe",
		"about:blank",
	}
}

// launchBrowser starts Chromium with a fresh profile in its own process
// group and attaches to a new page. Cleanup kills the whole group, so no
// renderer or zygote outlives the test.
func launchBrowser(ctx context.Context, t *testing.T, bin string) *browser {
	t.Helper()
	// The Debian wrapper script sources /etc/chromium.d, which may add
	// --load-extension; --disable-extensions above wins over it.
	cmd := exec.Command(bin, chromiumFlags(t.TempDir())...)
	cmdIn, ourOut, err := os.Pipe() // Chromium reads fd 3
	if err != nil {
		t.Fatalf("pipe: %v", err)
	}
	ourIn, cmdOut, err := os.Pipe() // Chromium writes fd 4
	if err != nil {
		t.Fatalf("pipe: %v", err)
	}
	cmd.ExtraFiles = []*os.File{cmdIn, cmdOut}
	// Its own process group, so that cleanup can kill the renderers and the
	// zygote too; and SIGKILL should this test process die first (a test
	// timeout skips cleanups), on top of Chromium quitting when its pipe
	// closes.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	logs := &lockedBuilder{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	_ = cmdIn.Close()
	_ = cmdOut.Close()
	b := &browser{
		cmd:     cmd,
		out:     ourOut,
		pending: make(map[int64]chan cdpMessage),
		done:    make(chan struct{}),
	}
	pgid := cmd.Process.Pid
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = ourOut.Close()
		// Kill the process group we created (negative pid), then reap.
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		select {
		case <-exited:
		case <-time.After(hangTimeout):
			t.Errorf("chromium (pid %d) did not exit in %v after SIGKILL", pgid, hangTimeout)
		}
		_ = ourIn.Close()
		if b.broke.Load() {
			t.Logf("chromium output (start):\n%s", logs.String())
		}
	})
	go b.readLoop(ourIn)

	var created struct {
		TargetID string `json:"targetId"`
	}
	if err := b.call(ctx, "", "Target.createTarget", map[string]any{"url": "about:blank"}, &created); err != nil {
		t.Fatalf("Target.createTarget: %v\nchromium output:\n%s", err, logs.String())
	}
	var attached struct {
		SessionID string `json:"sessionId"`
	}
	if err := b.call(ctx, "", "Target.attachToTarget", map[string]any{"targetId": created.TargetID, "flatten": true}, &attached); err != nil {
		t.Fatalf("Target.attachToTarget: %v", err)
	}
	b.session = attached.SessionID
	return b
}

func (b *browser) readLoop(r io.Reader) {
	defer close(b.done)
	br := bufio.NewReaderSize(r, 1<<20)
	for {
		rec, err := br.ReadBytes(0)
		if err != nil {
			b.mu.Lock()
			b.readErr = err
			for id, ch := range b.pending {
				close(ch)
				delete(b.pending, id)
			}
			b.mu.Unlock()
			return
		}
		var m cdpMessage
		if err := json.Unmarshal(rec[:len(rec)-1], &m); err != nil || m.ID == 0 {
			continue // events, which the harness does not need
		}
		b.mu.Lock()
		ch := b.pending[m.ID]
		delete(b.pending, m.ID)
		b.mu.Unlock()
		if ch != nil {
			ch <- m
		}
	}
}

// call sends one command and remembers a failure for the cleanup's log.
func (b *browser) call(ctx context.Context, session, method string, params, res any) error {
	err := b.call1(ctx, session, method, params, res)
	if err != nil {
		b.broke.Store(true)
	}
	return err
}

// call1 sends one command (to the browser when session is "", else to that
// session) and waits for its answer, decoding the result into res.
func (b *browser) call1(ctx context.Context, session, method string, params, res any) error {
	ch := make(chan cdpMessage, 1)
	b.mu.Lock()
	if b.readErr != nil {
		b.mu.Unlock()
		return fmt.Errorf("%s: browser gone: %w", method, b.readErr)
	}
	b.nextID++
	id := b.nextID
	b.pending[id] = ch
	b.mu.Unlock()
	p, err := json.Marshal(params)
	if err != nil {
		return err
	}
	msg, err := json.Marshal(cdpMessage{ID: id, Method: method, Params: p, SessionID: session})
	if err != nil {
		return err
	}
	if _, err := b.out.Write(append(msg, 0)); err != nil {
		return fmt.Errorf("%s: write: %w", method, err)
	}
	wait, cancel := context.WithTimeout(ctx, hangTimeout)
	defer cancel()
	select {
	case m, ok := <-ch:
		if !ok {
			return fmt.Errorf("%s: browser closed the pipe", method)
		}
		if m.Error != nil {
			return fmt.Errorf("%s: %w", method, m.Error)
		}
		if res != nil {
			return json.Unmarshal(m.Result, res)
		}
		return nil
	case <-wait.Done():
		b.mu.Lock()
		delete(b.pending, id)
		b.mu.Unlock()
		if ctx.Err() != nil {
			return fmt.Errorf("%s: the test's time ran out: %w", method, ctx.Err())
		}
		return fmt.Errorf("%s: no answer in %v: %w", method, hangTimeout, wait.Err())
	}
}

// navigate loads rawURL in the page as a browser-initiated navigation (as if
// typed in the address bar: no initiator, so SameSite never withholds a
// cookie). Page.navigate answers once the response has been received and
// the navigation committed or ended, and Chromium stores a response's
// cookies before it goes on with the response.
func (b *browser) navigate(ctx context.Context, rawURL string) error {
	var res struct {
		ErrorText string `json:"errorText"`
	}
	if err := b.call(ctx, b.session, "Page.navigate", map[string]any{"url": rawURL}, &res); err != nil {
		return err
	}
	// A 204 answer ends the navigation without a document, which
	// Page.navigate reports as net::ERR_ABORTED.
	if res.ErrorText != "" && res.ErrorText != "net::ERR_ABORTED" {
		b.broke.Store(true)
		return errors.New("navigate " + rawURL + ": " + res.ErrorText)
	}
	return nil
}

// clearCookies empties the browser's cookie store between scenarios.
func (b *browser) clearCookies(ctx context.Context) error {
	return b.call(ctx, "", "Storage.clearCookies", map[string]any{}, nil)
}
