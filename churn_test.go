package httpsession

// A session under churn for a while: the file's size and what the jar
// remembers reach their bounds and stay there, and Close is quick.

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var churnFor = flag.Duration("churn.duration", 0, "how long TestSessionUnderChurn drives each session (0: 20s, 4s with -short)")

// churnServer answers with flash cookies (set by one answer, deleted by
// the next, as Django's messages are) or with a new cookie that lives one
// second at every answer.
func churnServer(t *testing.T, kind string) *httptest.Server {
	var n atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := n.Add(1)
		switch kind {
		case "flash":
			if _, err := r.Cookie("flash"); err == nil {
				w.Header().Add("Set-Cookie", "flash=; Path=/; Max-Age=0")
			} else {
				w.Header().Add("Set-Cookie", fmt.Sprintf("flash=m%d; Path=/", i))
			}
		case "short":
			w.Header().Add("Set-Cookie", fmt.Sprintf(".AspNetCore.Correlation.%08x=v%d; Path=/; Max-Age=1", i, i))
		}
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(ts.Close)
	return ts
}

func TestSessionUnderChurn(t *testing.T) {
	d := *churnFor
	if d == 0 {
		d = 20 * time.Second
		if testing.Short() {
			d = 4 * time.Second
		}
	}
	for _, kind := range []string{"flash", "short"} {
		t.Run(kind, func(t *testing.T) {
			ts := churnServer(t, kind)
			path := filepath.Join(t.TempDir(), "cookies.json")
			// The file an older version's long run left: 20,000 expired
			// cookies with their values.
			writeOldFile(t, path, 20000, 10, 300)
			s, err := Open(path, WithLoadOptions(ReadLarge(256<<20)))
			require.NoError(t, err)
			ctx, cancel := context.WithTimeout(context.Background(), d)
			defer cancel()
			var requests atomic.Int64
			var wg sync.WaitGroup
			for range 16 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for ctx.Err() == nil {
						resp, err := s.Get(context.Background(), ts.URL+"/")
						if !assert.NoError(t, err) {
							return
						}
						_, _ = io.Copy(io.Discard, resp.Body)
						_ = resp.Body.Close()
						requests.Add(1)
					}
				}()
			}
			// Watch the file as the autosaves replace it.
			var largest int64
			var saves int
			var last time.Time
			for ctx.Err() == nil {
				fi, err := os.Stat(path)
				if err == nil && !fi.ModTime().Equal(last) {
					last = fi.ModTime()
					saves++
					if saves > 1 { // the first is the old file
						largest = max(largest, fi.Size())
					}
				}
				select {
				case <-ctx.Done():
				case <-time.After(20 * time.Millisecond):
				}
			}
			wg.Wait()
			closed := make(chan error, 1)
			go func() { closed <- s.Close() }()
			select {
			case err := <-closed:
				require.NoError(t, err)
			case <-time.After(time.Minute):
				t.Fatal("Close did not return within a minute")
			}
			s.jar.mu.Lock()
			tombs, tombBytes := len(s.jar.hist.tombs), s.jar.hist.tombBytes
			s.jar.mu.Unlock()
			t.Logf("%d requests, %d saves seen, largest file %d KiB, %d tombstones (%d KiB)", requests.Load(), saves, largest>>10, tombs, tombBytes>>10)
			assert.Greater(t, saves, 1, "the session autosaved")
			assert.LessOrEqual(t, tombs, MaxTombstones, "the jar remembers no more than its bound")
			assert.LessOrEqual(t, tombBytes, MaxTombstoneBytes)
			// The file holds the tombstones, and the live cookies: those
			// the jar holds, and the short-lived ones its limits evicted
			// before a save wrote them (at most DefaultTotalLimit), of
			// about 300 bytes each.
			assert.LessOrEqual(t, largest, int64(MaxTombstoneBytes+2*DefaultTotalLimit*300), "the file stays within its bound")
			require.NoError(t, NewJar().Load(path), "the file opens again")
		})
	}
}

// failureLog records when the session logged a failed save.
type failureLog struct {
	mu    sync.Mutex
	times []time.Time
}

func (l *failureLog) Enabled(context.Context, slog.Level) bool { return true }
func (l *failureLog) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *failureLog) WithGroup(string) slog.Handler            { return l }
func (l *failureLog) Handle(_ context.Context, r slog.Record) error {
	if strings.Contains(r.Message, "saving cookies failed") {
		l.mu.Lock()
		l.times = append(l.times, time.Now())
		l.mu.Unlock()
	}
	return nil
}

func (l *failureLog) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.times)
}

func TestAutosaveBacksOffAfterFailures(t *testing.T) {
	ts := churnServer(t, "flash")
	path := filepath.Join(t.TempDir(), "cookies.json")
	logs := &failureLog{}
	const interval = 20 * time.Millisecond
	s, err := Open(path, WithSaveInterval(interval), WithLogger(slog.New(logs)))
	require.NoError(t, err)
	// A file the session will not write over: every save fails.
	require.NoError(t, os.WriteFile(path, []byte("not a cookie file\x00"), 0o600))
	deadline := time.Now().Add(2 * time.Minute)
	for logs.count() < 5 && time.Now().Before(deadline) {
		resp, err := s.Get(context.Background(), ts.URL+"/")
		require.NoError(t, err)
		_ = resp.Body.Close() // every answer changes the jar
	}
	logs.mu.Lock()
	times := slices.Clone(logs.times)
	logs.mu.Unlock()
	require.GreaterOrEqual(t, len(times), 5, "the failures are logged")
	for k := 1; k < 5; k++ {
		// The k-th failure scheduled the next autosave interval<<k later:
		// the gap can only be longer, however busy the machine.
		assert.GreaterOrEqual(t, times[k].Sub(times[k-1]), interval<<k, "gap after failure %d", k)
	}
	require.NoError(t, os.Remove(path))
	require.NoError(t, s.Close(), "a save that can write ends the backoff")
	require.NoError(t, NewJar().Load(path))
}

func TestBackoffDelay(t *testing.T) {
	assert.Equal(t, time.Second, backoffDelay(time.Second, 0))
	assert.Equal(t, 8*time.Second, backoffDelay(time.Second, 3))
	assert.Equal(t, time.Minute, backoffDelay(time.Second, 10), "at most a minute")
	assert.Equal(t, time.Minute, backoffDelay(time.Second, 1000), "however many failures")
	assert.Equal(t, 2*time.Minute, backoffDelay(2*time.Minute, 5), "or the interval, if longer")
}
