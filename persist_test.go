package httpsession

import (
	"bufio"
	"context"
	"fmt"
	"io/fs"
	"math/rand"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gofrs/flock"
	"github.com/httpsession/httpsession/internal/safefile"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMain lets the test binary act as a second process for the tests that
// need real processes racing on one file (see helperProcess).
func TestMain(m *testing.M) {
	if mode := os.Getenv("HTTPSESSION_TEST_HELPER"); mode != "" {
		os.Exit(helperProcess(mode, os.Getenv("HTTPSESSION_TEST_FILE")))
	}
	os.Exit(m.Run())
}

// helperProcess is the body of a child process.
func helperProcess(mode, path string) int {
	u, _ := url.Parse("https://www.example.com/")
	switch mode {
	case "login-worker":
		return loginWorker(path, os.Getenv("HTTPSESSION_TEST_BASE"))
	case "form-worker":
		return formWorker(path, os.Getenv("HTTPSESSION_TEST_BASE"), os.Getenv("HTTPSESSION_TEST_FIELDS"), 2, 10)
	case "form-exit":
		return formExit(path, os.Getenv("HTTPSESSION_TEST_BASE"))
	case "pool-process":
		return poolProcessChild(path)
	case "pool-bench-loop":
		return poolBenchLoop(path)
	case "save-loop":
		// Save forever, with a changing jar, until killed, telling the
		// parent of each save that finished.
		j := NewJar(WithLimits(0, 0))
		for i := 0; ; i++ {
			j.SetRawCookies(u, []string{fmt.Sprintf("c%d=%s; Max-Age=3600", i%300, strings.Repeat("v", i%200))})
			if err := j.Save(path); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			fmt.Printf("saved %d\n", i)
		}
	case "add-500-a", "add-500-b":
		j := NewJar(WithLimits(0, 0))
		for i := range 500 {
			name := fmt.Sprintf("%s-%d", mode[len(mode)-1:], i)
			c := Cookie{Name: name, Value: "1", Domain: "h" + strconv.Itoa(i%7) + ".example.com", HostOnly: true}
			if err := j.Set(c); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			if i%10 == 9 {
				if err := j.Save(path); err != nil {
					fmt.Fprintln(os.Stderr, err)
					return 1
				}
			}
		}
		return 0
	}
	return 2
}

// richJar returns a jar holding cookies with every attribute set some way.
func richJar(t *testing.T, clock *testClock) *Jar {
	t.Helper()
	j := NewJar(WithClock(clock.now))
	j.SetRawCookies(mustURL(t, "https://www.example.com/app/login"), []string{
		"session=abc; Path=/; Secure; HttpOnly; SameSite=Lax",
		"pref=dark; Domain=example.com; Max-Age=3600; SameSite=Strict",
		`quoted="a b"`,
		"nameless",
		"__Host-id=1; Secure; Path=/; SameSite=None; Partitioned",
		"latin=caf\xe9; Path=/caf\xe9",
		"odd=1; SameSite=whatever",
	})
	clock.advance(time.Second)
	j.SetCookies(mustURL(t, "https://api.example.com/"), []*http.Cookie{{Name: "q", Value: "v", Quoted: true}})
	clock.advance(time.Second)
	j.CookieHeader(mustURL(t, "https://www.example.com/app/"))
	return j
}

func TestSaveLoadRoundTrip(t *testing.T) {
	clock := newTestClock()
	j := richJar(t, clock)
	path := filepath.Join(t.TempDir(), "cookies.json")
	require.NoError(t, j.Save(path))

	fi, err := os.Stat(path)
	require.NoError(t, err)
	if runtime.GOOS != "windows" {
		assert.Equal(t, fs.FileMode(0o600), fi.Mode().Perm(), "cookie files are created 0600")
	}

	j2 := NewJar(WithClock(clock.now))
	require.NoError(t, j2.Load(path))
	assert.Equal(t, j.All(), j2.All(), "every attribute survives Save and Load")
	assert.Len(t, j2.All(), 8)
	u := mustURL(t, "https://www.example.com/app/x")
	assert.Equal(t, j.CookieHeader(u), j2.CookieHeader(u))
}

func TestNativeFileIsReadable(t *testing.T) {
	clock := newTestClock()
	j := NewJar(WithClock(clock.now))
	j.SetRawCookies(mustURL(t, "https://b.example.com/"), []string{"b=2; Max-Age=60"})
	j.SetRawCookies(mustURL(t, "https://a.example.com/"), []string{"a=<1&2>"})
	path := filepath.Join(t.TempDir(), "cookies.json")
	require.NoError(t, j.Save(path))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	require.Len(t, lines, 4, "one line per cookie between the header and the footer")
	assert.Equal(t, `{"version": 2, "cookies": [`, lines[0])
	assert.Contains(t, lines[1], `"name":"a","value":"<1&2>","domain":"a.example.com"`, "sorted by domain, HTML not escaped")
	assert.NotContains(t, lines[1], "expires", "a session cookie has no expires")
	assert.Contains(t, lines[2], `"expires":"2026-03-01T12:01:00Z"`)
	assert.Equal(t, `], "deleted": []}`, lines[3])
}

func TestSaveKeepsStricterMode(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("POSIX modes")
	}
	dir := t.TempDir()
	for _, tt := range []struct {
		before, after fs.FileMode
	}{{0o644, 0o600}, {0o640, 0o600}, {0o400, 0o400}, {0o600, 0o600}} {
		path := filepath.Join(dir, fmt.Sprintf("c%o.json", tt.before))
		require.NoError(t, os.WriteFile(path, []byte(`{"version":1,"cookies":[]}`), tt.before))
		require.NoError(t, os.Chmod(path, tt.before))
		require.NoError(t, NewJar().Save(path))
		fi, err := os.Stat(path)
		require.NoError(t, err)
		assert.Equal(t, tt.after, fi.Mode().Perm(), "mode %o", tt.before)
	}
}

func TestSaveThroughSymlink(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symlinks need privileges on Windows")
	}
	dir := t.TempDir()
	real := filepath.Join(dir, "real.json")
	link := filepath.Join(dir, "link.json")
	require.NoError(t, os.WriteFile(real, []byte(`{"version":1,"cookies":[]}`), 0o600))
	require.NoError(t, os.Symlink(real, link))
	j := NewJar()
	j.SetRawCookies(mustURL(t, "http://h.com/"), []string{"a=1"})
	require.NoError(t, j.Save(link))
	fi, err := os.Lstat(link)
	require.NoError(t, err)
	assert.True(t, fi.Mode()&fs.ModeSymlink != 0, "the link stays a link")
	j2 := NewJar()
	require.NoError(t, j2.Load(real))
	assert.Equal(t, 1, j2.Len())
}

func TestLoadMissingFile(t *testing.T) {
	err := NewJar().Load(filepath.Join(t.TempDir(), "nope.json"))
	require.Error(t, err)
	assert.ErrorIs(t, err, fs.ErrNotExist)
}

func TestCorruptFile(t *testing.T) {
	for _, tt := range []struct {
		name, content, where string
	}{
		{"broken JSON names line and column", "{\"version\": 1, \"cookies\": [\n  {\"name\": \"a\",\n  oops\n]}", "line 3, column 3"},
		{"unknown version", `{"version": 3, "cookies": []}`, "unsupported version 3"},
		{"JSON that is not a cookie file", `{"version": 1, "name": "my-service", "port": 8080}`, "not a cookie file"},
		{"cookies that are not an array", `{"version": 2, "cookies": {}}`, "not an array"},
		{"truncated file", `{"version": 1, "cookies": [{"name": "a"`, "unexpected end"},
		{"binary junk", "\x00\x01\x02garbage", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "cookies.json")
			require.NoError(t, os.WriteFile(path, []byte(tt.content), 0o600))
			j := NewJar()
			j.SetRawCookies(mustURL(t, "http://h.com/"), []string{"keep=1"})
			before := j.All()

			err := j.Load(path)
			require.ErrorIs(t, err, ErrCorrupt)
			assert.Contains(t, err.Error(), path, "the error names the file")
			assert.Contains(t, err.Error(), tt.where)
			assert.Equal(t, before, j.All(), "a corrupt file leaves the jar unchanged")

			err = j.Save(path)
			require.ErrorIs(t, err, ErrCorrupt, "Save refuses to overwrite a corrupt file")
			data, rerr := os.ReadFile(path)
			require.NoError(t, rerr)
			assert.Equal(t, tt.content, string(data), "the corrupt file is left byte for byte")

			require.NoError(t, j.SaveContext(context.Background(), path, ReplaceCorrupt()))
			j2 := NewJar()
			require.NoError(t, j2.Load(path))
			assert.Equal(t, 1, j2.Len())
		})
	}
}

func TestLoadRevalidates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cookies.json")
	content := `{"version": 1, "cookies": [
  {"name":"ok","value":"1","domain":"example.com","path":"/","hostOnly":false,"secure":false,"httpOnly":false,"created":"2026-01-01T00:00:00Z","lastAccess":"2026-01-01T00:00:00Z","updated":"2026-01-01T00:00:00Z"},
  {"name":"super","value":"1","domain":"co.uk","path":"/","hostOnly":false,"secure":false,"httpOnly":false,"created":"2026-01-01T00:00:00Z","lastAccess":"2026-01-01T00:00:00Z","updated":"2026-01-01T00:00:00Z"},
  {"name":"__Host-x","value":"1","domain":"example.com","path":"/","hostOnly":false,"secure":true,"httpOnly":false,"created":"2026-01-01T00:00:00Z","lastAccess":"2026-01-01T00:00:00Z","updated":"2026-01-01T00:00:00Z"},
  {"name":"big","value":"` + strings.Repeat("x", 5000) + `","domain":"example.com","path":"/","hostOnly":true,"secure":false,"httpOnly":false,"created":"2026-01-01T00:00:00Z","lastAccess":"2026-01-01T00:00:00Z","updated":"2026-01-01T00:00:00Z"},
  {"name":"ss","value":"1","domain":"example.com","path":"/","hostOnly":true,"secure":false,"httpOnly":false,"sameSite":"sideways","created":"2026-01-01T00:00:00Z","lastAccess":"2026-01-01T00:00:00Z","updated":"2026-01-01T00:00:00Z"}
]}`
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	j := NewJar(WithClock(newTestClock().now))
	err := j.Load(path)
	var fe *FileError
	require.ErrorAs(t, err, &fe)
	assert.ErrorIs(t, err, ErrInvalidCookie)
	var lines []int
	for _, le := range fe.Lines {
		lines = append(lines, le.Line)
	}
	assert.Equal(t, []int{3, 4, 5, 6}, lines, "each refused record is named by its line")
	assert.Contains(t, err.Error(), "public suffix", "a file cannot plant a supercookie")
	assert.Equal(t, []string{"ok"}, cookieNames(j.All()), "the good record loads")
	assert.NotContains(t, err.Error(), strings.Repeat("x", 20), "values never reach errors")
}

func TestExpiredDroppedOnSaveAndLoad(t *testing.T) {
	clock := newTestClock()
	j := NewJar(WithClock(clock.now))
	j.SetRawCookies(mustURL(t, "http://h.com/"), []string{"short=1; Max-Age=5", "long=1; Max-Age=500"})
	path := filepath.Join(t.TempDir(), "cookies.json")
	require.NoError(t, j.Save(path))
	clock.advance(10 * time.Second)
	j2 := NewJar(WithClock(clock.now))
	require.NoError(t, j2.Load(path))
	assert.Equal(t, []string{"long"}, cookieNames(j2.All()), "expired on load")
	require.NoError(t, j.Save(path))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Regexp(t, `\{"name":"short","domain":"h.com","path":"/","hostOnly":true,"deleted":"2026-03-01T12:00:00Z","expiredSet":"[0-9a-f]{16}"\}`, string(data),
		"an expired cookie stays in the file as a tombstone of the set it was, so that no older copy comes back")
	assert.NotContains(t, string(data), `"name":"short","value"`, "without its value")
	j3 := NewJar(WithClock(clock.now))
	require.NoError(t, j3.Load(path))
	assert.Equal(t, []string{"long"}, cookieNames(j3.All()), "and it loads as expired")
}

func TestOmitSessionCookies(t *testing.T) {
	j := NewJar()
	j.SetRawCookies(mustURL(t, "http://h.com/"), []string{"session=1", "persistent=1; Max-Age=60"})
	path := filepath.Join(t.TempDir(), "cookies.json")
	require.NoError(t, j.SaveContext(context.Background(), path, OmitSessionCookies()))
	j2 := NewJar()
	require.NoError(t, j2.Load(path))
	assert.Equal(t, []string{"persistent"}, cookieNames(j2.All()))
	assert.Equal(t, 2, j.Len(), "the jar keeps its session cookies")
}

func TestSaveMerges(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cookies.json")
	clock := newTestClock()
	u := mustURL(t, "https://h.com/")
	a := NewJar(WithClock(clock.now))
	b := NewJar(WithClock(clock.now))

	a.SetRawCookies(u, []string{"shared=a", "onlyA=1"})
	require.NoError(t, a.Save(path))
	clock.advance(time.Second)
	b.SetRawCookies(u, []string{"onlyB=1"})
	require.NoError(t, b.Save(path))
	assert.Equal(t, []string{"onlyA", "onlyB", "shared"}, sortedNames(b), "another process's cookies are kept, and taken in")

	clock.advance(time.Second)
	b.SetRawCookies(u, []string{"shared=b"})
	require.NoError(t, b.Save(path))
	clock.advance(time.Second)
	require.NoError(t, a.Save(path)) // a's shared=a is older: b's change wins
	c, _ := a.Get(u, "shared")
	assert.Equal(t, "b", c.Value, "the newer change wins, cookie by cookie")

	clock.advance(time.Second)
	require.True(t, a.Delete("h.com", "/", "onlyB"))
	require.NoError(t, a.Save(path))
	clock.advance(time.Second)
	require.NoError(t, b.Save(path))
	assert.NotContains(t, sortedNames(b), "onlyB", "a deletion is not undone by another process's copy")
	j := NewJar(WithClock(clock.now))
	require.NoError(t, j.Load(path))
	assert.Equal(t, []string{"onlyA", "shared"}, sortedNames(j))

	clock.advance(time.Second)
	b.SetRawCookies(u, []string{"onlyB=again"})
	require.NoError(t, b.Save(path))
	require.NoError(t, a.Save(path))
	c, ok := a.Get(u, "onlyB")
	assert.True(t, ok && c.Value == "again", "a cookie set again after the deletion comes back")

	clock.advance(time.Second)
	b.SetRawCookies(u, []string{"onlyA=1; Max-Age=0"})
	require.NoError(t, b.Save(path))
	require.NoError(t, a.Save(path))
	assert.NotContains(t, sortedNames(a), "onlyA", "an expiry made elsewhere reaches this jar")
}

func sortedNames(j *Jar) []string { return cookieNames(j.All()) }

func TestSaveSkipsUnchangedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cookies.json")
	j := NewJar()
	j.SetRawCookies(mustURL(t, "http://h.com/"), []string{"a=1"})
	require.NoError(t, j.Save(path))
	// Replace the file behind the jar's back with a corrupt one of the same
	// size and time: only a re-read would notice, and none is needed...
	target, err := safefile.Resolve(path)
	require.NoError(t, err)
	j.mu.Lock()
	st := j.hist.file(target)
	j.mu.Unlock()
	require.NotNil(t, st)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.True(t, st.unchanged(fi), "the jar recognises the file it wrote")
	// ...but a file written by someone else is read.
	require.NoError(t, os.WriteFile(path+".new", []byte(`{"version":1,"cookies":[]}`), 0o600))
	require.NoError(t, os.Rename(path+".new", path))
	fi, err = os.Stat(path)
	require.NoError(t, err)
	assert.False(t, st.unchanged(fi))
}

func TestSaveLockTimeout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cookies.json")
	held := flock.New(path + ".lock")
	ok, err := held.TryLock()
	require.NoError(t, err)
	require.True(t, ok)
	defer held.Unlock()

	start := time.Now()
	err = NewJar().SaveContext(context.Background(), path, LockTimeout(50*time.Millisecond))
	require.ErrorIs(t, err, ErrLocked)
	// The save gave up after LockTimeout, not after the default: the
	// widest bound that tells them apart, so that a busy machine does not
	// trip it.
	assert.Less(t, time.Since(start), DefaultLockTimeout, "LockTimeout, not the default, bounds the wait")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, NewJar().SaveContext(ctx, path), ErrLocked)
	_, err = os.Stat(path)
	assert.ErrorIs(t, err, fs.ErrNotExist, "nothing was written")
}

func TestSaveFailureLeavesOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cookies.json")
	require.NoError(t, NewJar().Save(path))
	old, err := os.ReadFile(path)
	require.NoError(t, err)
	j := NewJar()
	j.SetRawCookies(mustURL(t, "http://h.com/"), []string{"a=1"})
	if runtime.GOOS != "windows" && os.Geteuid() != 0 {
		// A directory the process cannot write to: the temporary file
		// cannot be made.
		require.NoError(t, os.Chmod(dir, 0o500))
		defer os.Chmod(dir, 0o700)
		require.Error(t, j.Save(path))
	} else {
		// Root writes anywhere: the save fails on the lock another holder
		// keeps instead.
		unlock, err := safefile.Lock(context.Background(), path+".lock", time.Minute)
		require.NoError(t, err)
		defer unlock()
		require.ErrorIs(t, j.SaveContext(context.Background(), path, LockTimeout(10*time.Millisecond)), ErrLocked)
	}
	now, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, old, now)
}

// helperCmd starts this test binary as a child process in the given mode.
func helperCmd(t *testing.T, mode, path string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "HTTPSESSION_TEST_HELPER="+mode, "HTTPSESSION_TEST_FILE="+path)
	cmd.Stderr = os.Stderr
	return cmd
}

func TestKilledSaveLeavesLoadableFile(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("SIGKILL")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "cookies.json")
	rng := rand.New(rand.NewSource(1))
	const rounds = 25
	for round := range rounds {
		cmd := helperCmd(t, "save-loop", path)
		out, err := cmd.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		// Kill the child during a save: after it reported a few finished
		// saves, at whatever instant of the next ones the signal lands.
		lines := bufio.NewScanner(out)
		want := 1 + rng.Intn(5)
		var last string
		for range want {
			require.True(t, lines.Scan(), "round %d: the child stopped before saving", round)
			last = lines.Text()
		}
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		_ = cmd.Wait()
		j := NewJar(WithLimits(0, 0))
		require.NoError(t, j.Load(path), "round %d: a save killed at any instant leaves a loadable file", round)
		var n int
		_, err = fmt.Sscanf(last, "saved %d", &n)
		require.NoError(t, err)
		assert.GreaterOrEqual(t, j.Len(), min(n+1, 300), "round %d: what the child reported saved is in the file", round)
	}
	// The next save removes the temporary files killed saves left: each
	// holds cookie values.
	j := NewJar(WithLimits(0, 0))
	require.NoError(t, j.Load(path))
	assert.Positive(t, j.Len())
	require.NoError(t, j.Save(path))
	left, err := filepath.Glob(filepath.Join(dir, ".cookies.json.tmp-*"))
	require.NoError(t, err)
	assert.Empty(t, left)
}

func TestTwoProcessesSaveOneFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cookies.json")
	a := helperCmd(t, "add-500-a", path)
	b := helperCmd(t, "add-500-b", path)
	require.NoError(t, a.Start())
	require.NoError(t, b.Start())
	require.NoError(t, a.Wait())
	require.NoError(t, b.Wait())
	j := NewJar(WithLimits(0, 0))
	require.NoError(t, j.Load(path))
	assert.Equal(t, 1000, j.Len(), "both processes' cookies are in the file")
}

func TestOverwrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cookies.json")
	a := NewJar()
	a.SetRawCookies(mustURL(t, "http://h.com/"), []string{"old=1"})
	require.NoError(t, a.Save(path))
	b := NewJar()
	b.SetRawCookies(mustURL(t, "http://h.com/"), []string{"new=1"})
	require.NoError(t, b.SaveContext(context.Background(), path, Overwrite()))
	j := NewJar()
	require.NoError(t, j.Load(path))
	assert.Equal(t, []string{"new"}, cookieNames(j.All()), "Overwrite replaces instead of merging")

	require.NoError(t, os.WriteFile(path, []byte("{broken"), 0o600))
	require.NoError(t, b.SaveContext(context.Background(), path, Overwrite()), "Overwrite also replaces a corrupt file")
}

func TestLoadNetscapeNamesRefusedLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cookies.txt")
	content := "# Netscape HTTP Cookie File\n" +
		".example.com\tTRUE\t/\tFALSE\t0\tok\t1\n" +
		".co.uk\tTRUE\t/\tFALSE\t0\tsuper\t1\n" +
		"bad line\n"
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	j := NewJar()
	err := j.Load(path)
	var fe *FileError
	require.ErrorAs(t, err, &fe)
	require.Len(t, fe.Lines, 2)
	assert.Equal(t, 3, fe.Lines[0].Line, "a record refused by the jar is named by its line")
	assert.ErrorIs(t, fe.Lines[0].Err, ErrInvalidCookie)
	assert.Equal(t, 4, fe.Lines[1].Line)
	assert.Equal(t, []string{"ok"}, cookieNames(j.All()))
}

func TestSaveNetscapeSkipsUnwritable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cookies.txt")
	j := NewJar()
	j.SetRawCookies(mustURL(t, "http://h.com/"), []string{"ok=1", "tab=a\tb"})
	err := j.SaveNetscape(path)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"tab"`, "the error names the cookie left out")
	assert.NotContains(t, err.Error(), "a\tb", "but not its value")
	j2 := NewJar()
	require.NoError(t, j2.Load(path))
	assert.Equal(t, []string{"ok"}, cookieNames(j2.All()), "the others are written")
}

func TestNotACookieFileIsCorrupt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notes.txt")
	content := "my shopping list\nmilk\n"
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	j := NewJar()
	require.ErrorIs(t, j.Load(path), ErrCorrupt, "a text file with no cookie line is not a cookie file")
	require.ErrorIs(t, j.Save(path), ErrCorrupt)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, content, string(data), "and it is not overwritten")
}

func TestSaveKeepsTheOtherFormat(t *testing.T) {
	dir := t.TempDir()
	txt := filepath.Join(dir, "cookies.txt")
	j := NewJar()
	j.SetRawCookies(mustURL(t, "http://h.com/"), []string{"a=1"})
	require.NoError(t, j.SaveNetscape(txt))
	before, err := os.ReadFile(txt)
	require.NoError(t, err)

	j2 := NewJar()
	require.NoError(t, j2.Load(txt))
	require.ErrorIs(t, j2.Save(txt), ErrFormat, "Save does not turn cookies.txt into JSON")
	after, err := os.ReadFile(txt)
	require.NoError(t, err)
	assert.Equal(t, before, after)
	require.NoError(t, j2.SaveContext(context.Background(), txt, Overwrite()))

	native := filepath.Join(dir, "cookies.json")
	require.NoError(t, j.Save(native))
	require.ErrorIs(t, j.SaveNetscape(native), ErrFormat, "nor SaveNetscape JSON into cookies.txt")
}

func TestSaveNetscapeMerges(t *testing.T) {
	txt := filepath.Join(t.TempDir(), "cookies.txt")
	a, b := NewJar(), NewJar()
	a.SetRawCookies(mustURL(t, "http://h.com/"), []string{"a=1"})
	require.NoError(t, a.SaveNetscape(txt))
	b.SetRawCookies(mustURL(t, "http://h.com/"), []string{"b=1"})
	require.NoError(t, b.SaveNetscape(txt))
	j := NewJar()
	require.NoError(t, j.Load(txt))
	assert.Equal(t, []string{"a", "b"}, cookieNames(j.All()), "cookies.txt saves merge too")
}
