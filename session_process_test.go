package httpsession

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSessionSurvivesProcessRestart: one process opens a session file, logs
// in to a local server and exits; a second process opens the same file and
// reaches the protected page without logging in.
//
// The processes run testdata/sessionproc, built once from this module.
func TestSessionSurvivesProcessRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a program")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build the child program:", err)
	}

	var logins, granted, refused atomic.Int32
	var mu sync.Mutex
	tokens := make(map[string]bool)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		if r.PostFormValue("user") != "alice" || r.PostFormValue("password") != "wonderland" {
			http.Error(w, "bad credentials", http.StatusForbidden)
			return
		}
		logins.Add(1)
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		token := hex.EncodeToString(b)
		mu.Lock()
		tokens[token] = true
		mu.Unlock()
		// A session cookie: no Expires, no Max-Age.
		w.Header().Set("Set-Cookie", "session="+token+"; Path=/; HttpOnly; SameSite=Lax")
		http.Redirect(w, r, "/protected", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /protected", func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie("session")
		mu.Lock()
		ok := err == nil && tokens[c.Value]
		mu.Unlock()
		if !ok {
			refused.Add(1)
			http.Error(w, "log in first", http.StatusUnauthorized)
			return
		}
		granted.Add(1)
		_, _ = io.WriteString(w, "welcome alice")
	})
	ts := httptest.NewServer(mux)
	defer ts.Close()

	ctx := beforeTestDeadline(t)
	dir := t.TempDir()
	prog := filepath.Join(dir, "sessionproc")
	build := exec.CommandContext(ctx, goTool, "build", "-o", prog, "./testdata/sessionproc")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build ./testdata/sessionproc:\n%s", out)

	file := filepath.Join(dir, "session.json")
	run := func(mode string) {
		t.Helper()
		out, err := exec.CommandContext(ctx, prog, mode, file, ts.URL).CombinedOutput()
		require.NoError(t, err, "sessionproc %s:\n%s", mode, out)
	}

	run("login")
	require.Equal(t, int32(1), logins.Load())
	require.Equal(t, int32(2), granted.Load())
	_, err = os.Stat(file)
	require.NoError(t, err, "the first process left its session file")

	run("visit")
	assert.Equal(t, int32(1), logins.Load(), "the second process did not log in")
	assert.Equal(t, int32(3), granted.Load(), "the second process reached the protected page")
	assert.Zero(t, refused.Load())
}

// beforeTestDeadline returns a context that ends a little before the test
// binary's deadline (go test -timeout), for a test that runs programs: one
// that runs out of time is then killed and fails with its own message and
// the programs' output, instead of the binary panicking. How long a build
// or a child takes depends on the machine and how busy it is, so no fixed
// budget both holds on a slow machine and is shorter than -timeout.
// Without a deadline (-timeout 0) the context never ends.
func beforeTestDeadline(t *testing.T) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	if deadline, ok := t.Deadline(); ok {
		// A tenth of the time left for the report, between 5 seconds and
		// a minute.
		margin := min(max(time.Until(deadline)/10, 5*time.Second), time.Minute)
		ctx, cancel = context.WithDeadline(context.Background(), deadline.Add(-margin))
	}
	t.Cleanup(cancel)
	return ctx
}
