package httpsession

import (
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/httpsession/httpsession/internal/safefile"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Regression tests for the sync model (history.go, merge.go): each is named
// after the behaviour it keeps, and would fail if it broke.

// syncJars returns n jars on one shared clock.
func syncJars(clock *testClock, n int, opts ...JarOption) []*Jar {
	jars := make([]*Jar, n)
	for i := range jars {
		jars[i] = NewJar(append([]JarOption{WithClock(clock.now)}, opts...)...)
	}
	return jars
}

func sidCookie(value string) Cookie {
	return Cookie{Name: "sid", Value: value, Domain: "example.com", Path: "/", HostOnly: true}
}

func hasCookie(j *Jar, name string) bool {
	for _, c := range j.All() {
		if c.Name == name {
			return true
		}
	}
	return false
}

// fileCookies loads path into a fresh unlimited jar and returns its cookies
// by name.
func fileCookies(t *testing.T, clock *testClock, path string) map[string]Cookie {
	t.Helper()
	j := NewJar(WithClock(clock.now), WithLimits(0, 0))
	require.NoError(t, j.Load(path))
	out := make(map[string]Cookie)
	for _, c := range j.All() {
		out[c.Name] = c
	}
	return out
}

// sharedLogin has writer set sid and save it to a new file, which reader
// then loads; the clock moves on a second.
func sharedLogin(t *testing.T) (clock *testClock, path string, writer, reader *Jar) {
	t.Helper()
	clock = newTestClock()
	path = filepath.Join(t.TempDir(), "cookies.json")
	js := syncJars(clock, 2)
	writer, reader = js[0], js[1]
	require.NoError(t, writer.Set(sidCookie("1")))
	require.NoError(t, writer.Save(path))
	require.NoError(t, reader.Load(path))
	clock.advance(time.Second)
	return clock, path, writer, reader
}

func TestLoadKeepsANewerDeletionMadeHere(t *testing.T) {
	clock, path, _, a := sharedLogin(t)
	assert.True(t, a.Delete("example.com", "/", "sid"), "a logout")
	require.NoError(t, a.Load(path), "the file still holds the older sid")
	assert.False(t, hasCookie(a, "sid"), "Load does not undo a newer deletion made in this jar")
	require.NoError(t, a.Save(path))
	assert.NotContains(t, fileCookies(t, clock, path), "sid", "and the deletion reaches the file")
}

func TestLoadTakesADeletionFromTheFile(t *testing.T) {
	clock, path, a, b := sharedLogin(t)
	b.Delete("example.com", "/", "sid")
	require.NoError(t, b.Save(path))
	require.NoError(t, a.Load(path))
	assert.False(t, hasCookie(a, "sid"), "the file's newer deletion removes the jar's copy")
	require.NoError(t, a.Save(path))
	assert.NotContains(t, fileCookies(t, clock, path), "sid", "Load then Save does not write the deleted cookie back")
}

func TestSmallerLimitsNeverDeleteFromTheFile(t *testing.T) {
	clock := newTestClock()
	path := filepath.Join(t.TempDir(), "cookies.json")
	big := NewJar(WithClock(clock.now), WithLimits(1000, 10000))
	for i := range 500 {
		require.NoError(t, big.Set(Cookie{Name: fmt.Sprintf("c%03d", i), Value: "v", Domain: "shop.example", HostOnly: true}))
	}
	require.NoError(t, big.Save(path))
	small := NewJar(WithClock(clock.now)) // 180 per site
	require.NoError(t, small.Load(path))
	assert.LessOrEqual(t, small.Len(), DefaultPerDomainLimit, "the small jar holds what its limits allow")
	require.NoError(t, small.Set(Cookie{Name: "other", Value: "1", Domain: "elsewhere.example", HostOnly: true}))
	require.NoError(t, small.Save(path))
	assert.Len(t, fileCookies(t, clock, path), 501, "a save never removes from the file what this jar could not hold")
	require.NoError(t, small.Save(path), "a second save, with nothing new")
	assert.Len(t, fileCookies(t, clock, path), 501)
	require.NoError(t, big.Save(path))
	assert.Equal(t, 501, big.Len(), "the jar with larger limits loses nothing from memory")
}

func TestEvictionIsNotADeletion(t *testing.T) {
	clock := newTestClock()
	rep := &recordingReplica{}
	j := NewJar(WithClock(clock.now), WithLimits(2, 0), WithReplica(rep))
	for _, name := range []string{"a", "b", "c"} {
		clock.advance(time.Second)
		require.NoError(t, j.Set(Cookie{Name: name, Value: "1", Domain: "example.com", HostOnly: true}))
	}
	assert.Equal(t, 2, j.Len(), "one cookie was evicted")
	for _, ch := range rep.all() {
		assert.False(t, ch.Deleted, "an eviction tells the Replica nothing: %+v", ch)
	}
	last := rep.all()[len(rep.all())-1]
	assert.Equal(t, "c", last.Cookie.Name)
	assert.Equal(t, clock.now().UTC(), last.Updated, "the stored cookie's change carries its own time")
}

// recordingReplica is a Replica that records what it is told.
type recordingReplica struct {
	mu      sync.Mutex
	changes []Change
}

func (r *recordingReplica) Refresh() {}
func (r *recordingReplica) Changed(chs []Change) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.changes = append(r.changes, chs...)
}
func (r *recordingReplica) all() []Change {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Change(nil), r.changes...)
}

func TestDeletionInAFreshJarBeatsAnOlderFileCopy(t *testing.T) {
	clock := newTestClock()
	path := filepath.Join(t.TempDir(), "cookies.json")
	js := syncJars(clock, 3)
	require.NoError(t, js[0].Set(sidCookie("old")))
	require.NoError(t, js[0].Save(path))
	clock.advance(time.Second)

	// Set then delete in a jar that never read the file.
	require.NoError(t, js[1].Set(sidCookie("new")))
	js[1].Delete("example.com", "/", "sid")
	require.NoError(t, js[1].Save(path))
	assert.NotContains(t, fileCookies(t, clock, path), "sid")
	assert.False(t, hasCookie(js[1], "sid"), "the older copy does not come back into the jar")

	// A deletion of a cookie the jar never held is a change all the same.
	require.NoError(t, js[0].Set(sidCookie("again")))
	require.NoError(t, js[0].Save(path))
	clock.advance(time.Second)
	assert.False(t, js[2].Delete("example.com", "/", "sid"), "nothing held")
	require.NoError(t, js[2].Save(path))
	assert.NotContains(t, fileCookies(t, clock, path), "sid", "an older copy elsewhere is deleted")
}

func TestExpiryDoesNotBringBackAnOlderCopy(t *testing.T) {
	clock := newTestClock()
	path := filepath.Join(t.TempDir(), "cookies.json")
	js := syncJars(clock, 2)
	long := sidCookie("long")
	long.Expires = clock.now().Add(24 * time.Hour)
	require.NoError(t, js[0].Set(long))
	require.NoError(t, js[0].Save(path))
	require.NoError(t, js[1].Load(path))
	clock.advance(time.Second)
	short := sidCookie("short")
	short.Expires = clock.now().Add(time.Minute)
	require.NoError(t, js[1].Set(short), "a newer set with a short life")
	clock.advance(time.Hour)
	assert.False(t, hasCookie(js[1], "sid"), "expired")
	require.NoError(t, js[1].Save(path))
	assert.NotContains(t, fileCookies(t, clock, path), "sid", "the file's older, longer-lived copy does not come back")
	require.NoError(t, js[0].Save(path))
	assert.NotContains(t, fileCookies(t, clock, path), "sid")
}

func TestTombstonesAreForgottenAfterTheirLifetime(t *testing.T) {
	clock := newTestClock()
	path := filepath.Join(t.TempDir(), "cookies.json")
	j := NewJar(WithClock(clock.now))
	require.NoError(t, j.Set(sidCookie("1")))
	j.Delete("example.com", "/", "sid")
	require.NoError(t, j.Save(path))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(data), `"name":"sid"`, "the deletion is in the file")
	clock.advance(TombstoneLifetime + time.Hour)
	require.NoError(t, j.Set(Cookie{Name: "other", Value: "1", Domain: "example.com", HostOnly: true}))
	require.NoError(t, j.Save(path))
	data, err = os.ReadFile(path)
	require.NoError(t, err)
	assert.NotContains(t, string(data), `"name":"sid"`, "and gone after TombstoneLifetime")
}

func TestVersion1FilesStillLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cookies.json")
	v1 := `{"version": 1, "cookies": [
  {"name":"a","value":"1","domain":"example.com","path":"/","hostOnly":true,"secure":false,"httpOnly":false,"created":"2026-03-01T11:00:00Z","lastAccess":"2026-03-01T11:00:00Z","updated":"2026-03-01T11:00:00Z"}
]}`
	require.NoError(t, os.WriteFile(path, []byte(v1), 0o600))
	clock := newTestClock()
	j := NewJar(WithClock(clock.now))
	require.NoError(t, j.Load(path))
	assert.True(t, hasCookie(j, "a"))
	require.NoError(t, j.Save(path))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(data), `{"version": 2,`), "saves write version 2")
}

func TestUnreadableRecordsAreKeptAndReported(t *testing.T) {
	for _, tt := range []struct {
		name, file, keep string
		line             int
	}{
		{
			name: "cookies.txt line with spaces for tabs, and comments",
			file: "# Netscape HTTP Cookie File\n# my notes\n" +
				".example.com\tTRUE\t/\tFALSE\t0\tgood\t1\n" +
				".example.com TRUE / FALSE 0 edited 2\n",
			keep: ".example.com TRUE / FALSE 0 edited 2\n",
			line: 4,
		},
		{
			name: "native record with a field that cannot be read",
			file: `{"version": 2, "cookies": [` + "\n" +
				`  {"name":"good","value":"1","domain":"example.com","path":"/","hostOnly":true,"secure":false,"httpOnly":false,"created":"2026-03-01T11:00:00Z","lastAccess":"2026-03-01T11:00:00Z","updated":"2026-03-01T11:00:00Z"},` + "\n" +
				`  {"name":"odd","value":"2","domain":"example.com","path":"/","hostOnly":true,"secure":false,"httpOnly":false,"sameSite":"sideways","created":"2026-03-01T11:00:00Z","lastAccess":"2026-03-01T11:00:00Z","updated":"2026-03-01T11:00:00Z"},` + "\n" +
				`  {"name": 5, "future": true}` + "\n" +
				"]}\n",
			keep: `{"name": 5, "future": true}`,
			line: 3,
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "cookies.txt")
			if tt.file[0] == '{' {
				path = filepath.Join(t.TempDir(), "cookies.json")
			}
			require.NoError(t, os.WriteFile(path, []byte(tt.file), 0o600))
			s, err := Open(path, WithJarOptions(WithClock(newTestClock().now)))
			var fe *FileError
			require.ErrorAs(t, err, &fe, "Open reports what it did not load")
			require.NotNil(t, s)
			assert.Equal(t, tt.line, fe.Lines[0].Line, "by line")
			require.NoError(t, s.Jar().Set(Cookie{Name: "new", Value: "1", Domain: "example.com", HostOnly: true}))
			require.NoError(t, s.Close())
			data, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Contains(t, string(data), tt.keep, "the record is carried through the save as it was")
			if strings.HasPrefix(tt.file, "#") {
				assert.Contains(t, string(data), "# my notes\n", "comments too")
			}
			j := NewJar(WithClock(newTestClock().now))
			err = j.Load(path)
			require.ErrorAs(t, err, &fe, "and reported again")
			assert.True(t, hasCookie(j, "good") && hasCookie(j, "new"))
			// Overwrite drops them on purpose.
			require.NoError(t, j.saveFile(context.Background(), path, fe0Format(path), []SaveOption{Overwrite()}))
			require.NoError(t, NewJar(WithClock(newTestClock().now)).Load(path))
		})
	}
}

func fe0Format(path string) Format {
	if strings.HasSuffix(path, ".txt") {
		return FormatNetscape
	}
	return FormatJSON
}

func TestJSONThatIsNotACookieFileIsNeverWrittenOver(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cookies.json")
	other := `{"version": 1, "name": "my-service", "port": 8080}`
	require.NoError(t, os.WriteFile(path, []byte(other), 0o600))
	s, err := Open(path)
	require.ErrorIs(t, err, ErrCorrupt)
	assert.Nil(t, s)
	j := NewJar()
	require.NoError(t, j.Set(sidCookie("1")))
	require.ErrorIs(t, j.Save(path), ErrCorrupt)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, other, string(data))
}

func TestCloseWaitsForASaveUnderWay(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cookies.json")
	s, err := Open(path, WithSaveInterval(0))
	require.NoError(t, err)
	// Hold the file's lock, so that the save a response starts waits.
	target, err := safefile.Resolve(path)
	require.NoError(t, err)
	unlock, err := safefile.Lock(context.Background(), target+".lock", time.Minute)
	require.NoError(t, err)
	ts := sessServer(t, &sessRecorder{}, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Set-Cookie", "sid=1")
	})
	reqDone := make(chan struct{})
	go func() {
		defer close(reqDone)
		resp, err := s.Get(context.Background(), ts.URL)
		if err == nil {
			resp.Body.Close()
		}
	}()
	// Wait until the save is under way: it holds the jar's save mutex
	// while it waits for the file's lock.
	for s.jar.saveMu.TryLock() {
		s.jar.saveMu.Unlock()
		select {
		case <-reqDone:
			t.Fatal("the request finished without saving")
		case <-time.After(time.Millisecond):
		}
	}
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	unlock()
	require.NoError(t, <-closed)
	after, err := os.Stat(path)
	require.NoError(t, err)
	<-reqDone
	now, err := os.Stat(path)
	require.NoError(t, err)
	assert.True(t, os.SameFile(after, now) && after.ModTime().Equal(now.ModTime()), "nothing wrote the file after Close returned")
}

func TestApplyTakesTheNewerChangeOnly(t *testing.T) {
	clock := newTestClock()
	j := NewJar(WithClock(clock.now))
	require.NoError(t, j.Set(sidCookie("mine")))
	mine := clock.now().UTC()
	older := sidCookie("older")
	require.NoError(t, j.Apply([]Change{{Cookie: older, Updated: mine.Add(-time.Second)}}))
	c, _ := j.Get(mustURL(t, "https://example.com/"), "sid")
	assert.Equal(t, "mine", c.Value, "an older change elsewhere loses")
	require.NoError(t, j.Apply([]Change{{Cookie: sidCookie(""), Deleted: true, Updated: mine}}))
	assert.False(t, hasCookie(j, "sid"), "a deletion at the same time wins")
	require.NoError(t, j.Apply([]Change{{Cookie: sidCookie("stale"), Updated: mine.Add(-time.Hour)}}))
	assert.False(t, hasCookie(j, "sid"), "and an older set does not bring it back")
	path := filepath.Join(t.TempDir(), "cookies.json")
	require.NoError(t, j.Save(path))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(data), `"deleted":`, "a deletion from a replica reaches the file")
}

func TestTiesAreBrokenTheSameWayEverywhere(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	a, b := sidCookie("a"), sidCookie("b")
	va, vb := setVersion(at, &a), setVersion(at, &b)
	if va.sum > vb.sum {
		va, vb = vb, va
	}
	del := version{at: at}
	assert.True(t, newer(vb, va), "between two sets, the greater content digest")
	assert.False(t, newer(va, vb))
	assert.True(t, newer(del, vb), "a deletion wins over a set at the same time")
	assert.False(t, newer(vb, del))
	assert.False(t, newer(va, va), "the same change is not newer than itself")
	assert.True(t, newer(setVersion(at.Add(1), &a), del), "a later set wins over a deletion")
	assert.Equal(t, contentSum(&a), contentSum(&a), "the digest is a function of the content")
	c := a
	c.LastAccess = at.Add(time.Hour)
	assert.Equal(t, contentSum(&a), contentSum(&c), "sending a cookie is no change")
	for _, change := range []func(*Cookie){
		func(c *Cookie) { c.Value += "x" },
		func(c *Cookie) { c.Quoted = !c.Quoted },
		func(c *Cookie) { c.Expires = at.Add(time.Nanosecond) },
		func(c *Cookie) { c.Secure = !c.Secure },
		func(c *Cookie) { c.HttpOnly = !c.HttpOnly },
		func(c *Cookie) { c.SameSite = http.SameSiteStrictMode },
		func(c *Cookie) { c.Created = c.Created.Add(time.Nanosecond) },
	} {
		c := a
		change(&c)
		assert.NotEqual(t, contentSum(&a), contentSum(&c), "every attribute a change can alter is in the digest")
	}
	// The digest is fixed across processes and versions: files written by
	// one process and read by another break ties alike.
	assert.Equal(t, uint64(0x34118ec79ab5b236), contentSum(&Cookie{Value: "v"}))
}

func TestAChangeMadeAfterSeeingAnotherWinsWhateverTheClocks(t *testing.T) {
	fast, slow := newTestClock(), newTestClock()
	slow.advance(-3 * time.Hour) // b's clock is three hours behind a's
	path := filepath.Join(t.TempDir(), "cookies.json")
	a := NewJar(WithClock(fast.now))
	b := NewJar(WithClock(slow.now))
	require.NoError(t, a.Set(sidCookie("1")))
	require.NoError(t, a.Save(path))
	require.NoError(t, b.Load(path))
	b.Delete("example.com", "/", "sid")
	require.NoError(t, b.Save(path))
	require.NoError(t, a.Load(path))
	assert.False(t, hasCookie(a, "sid"), "b deleted what it had seen: the deletion wins")
	require.NoError(t, b.Set(sidCookie("2")))
	require.NoError(t, b.Save(path))
	require.NoError(t, a.Load(path))
	assert.True(t, hasCookie(a, "sid"), "and b's later set after that")
}

func TestCookiesTxtChangesAreFoundByComparison(t *testing.T) {
	clock := newTestClock()
	txt := filepath.Join(t.TempDir(), "cookies.txt")
	j := NewJar(WithClock(clock.now))
	for _, name := range []string{"kept", "edited", "removed", "mine"} {
		require.NoError(t, j.Set(Cookie{Name: name, Value: "1", Domain: "example.com", HostOnly: true}))
	}
	require.NoError(t, j.SaveNetscape(txt))
	clock.advance(time.Second)
	// This jar changes "mine"; another program (curl, an editor) edits
	// "edited" and drops "removed", keeping "kept" and "mine" as they were.
	require.NoError(t, j.Set(Cookie{Name: "mine", Value: "2", Domain: "example.com", HostOnly: true}))
	data, err := os.ReadFile(txt)
	require.NoError(t, err)
	edited := strings.Replace(string(data), "\tedited\t1\n", "\tedited\tnew\n", 1)
	edited = strings.Replace(edited, "example.com\tFALSE\t/\tFALSE\t0\tremoved\t1\n", "", 1)
	require.NotEqual(t, string(data), edited)
	require.NoError(t, os.WriteFile(txt+".tmp", []byte(edited), 0o600))
	require.NoError(t, os.Rename(txt+".tmp", txt))
	require.NoError(t, os.Chtimes(txt, clock.now(), clock.now().Add(time.Second)))

	require.NoError(t, j.SaveNetscape(txt))
	got := map[string]string{}
	for _, c := range j.All() {
		got[c.Name] = c.Value
	}
	assert.Equal(t, map[string]string{"kept": "1", "edited": "new", "mine": "2"}, got,
		"an edited line is a change, a removed line a deletion, a line as it was no change")
	assert.Equal(t, got, func() map[string]string {
		m := map[string]string{}
		for n, c := range fileCookies(t, clock, txt) {
			m[n] = c.Value
		}
		return m
	}())
}

func TestSaveAfterCloseWritesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cookies.json")
	s, err := Open(path)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	before, err := os.Stat(path)
	require.NoError(t, err)
	require.NoError(t, s.Jar().Set(sidCookie("late")))
	require.ErrorIs(t, s.Save(), ErrClosed)
	after, err := os.Stat(path)
	require.NoError(t, err)
	assert.True(t, os.SameFile(before, after))
}

func TestMoreRegressionsFromReview(t *testing.T) {
	t.Run("an unreadable record does not delete the cookie it was", func(t *testing.T) {
		clock := newTestClock()
		path := filepath.Join(t.TempDir(), "cookies.json")
		a := NewJar(WithClock(clock.now))
		c := sidCookie("v")
		c.SameSite = http.SameSiteLaxMode
		require.NoError(t, a.Set(c))
		require.NoError(t, a.Save(path))
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(path, []byte(strings.Replace(string(data), `"sameSite":"lax"`, `"sameSite":"Lax"`, 1)), 0o600))
		require.NoError(t, a.Save(path))
		assert.True(t, hasCookie(a, "sid"))
		data, err = os.ReadFile(path)
		require.NoError(t, err)
		fixed := strings.Replace(string(data), `"sameSite":"Lax"`, `"sameSite":"lax"`, 1)
		require.NoError(t, os.WriteFile(path, []byte(fixed), 0o600))
		assert.Contains(t, fileCookies(t, clock, path), "sid")
	})
	t.Run("a refused record is carried byte for byte", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "cookies.json")
		rec := `{"name":"x","value":"caf\u00e9\ufffd","domain":"com","path":"/","hostOnly":false,"secure":false,"httpOnly":false,"expires":"2030-01-01T00:00:00.000+00:00","created":"2026-01-01T00:00:00Z","lastAccess":"2026-01-01T00:00:00Z","updated":"2026-01-01T00:00:00Z"}`
		require.NoError(t, os.WriteFile(path, []byte(`{"version": 2, "cookies": [`+"\n  "+rec+"\n]}\n"), 0o600))
		j := NewJar(WithClock(newTestClock().now))
		require.Error(t, j.Load(path))
		require.NoError(t, j.Set(sidCookie("1")))
		require.NoError(t, j.Save(path))
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.Contains(t, string(data), rec)
	})
	t.Run("a key given twice is corrupt", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "cookies.json")
		doc := `{"version": 2, "cookies": [{"name":"a","value":"1","domain":"example.com","path":"/","hostOnly":true,"secure":false,"httpOnly":false,"created":"2026-01-01T00:00:00Z","lastAccess":"2026-01-01T00:00:00Z","updated":"2026-01-01T00:00:00Z"}], "cookies": []}`
		require.NoError(t, os.WriteFile(path, []byte(doc), 0o600))
		require.ErrorIs(t, NewJar().Load(path), ErrCorrupt)
		j := NewJar()
		require.NoError(t, j.Set(sidCookie("1")))
		require.ErrorIs(t, j.Save(path), ErrCorrupt)
	})
	t.Run("Delete of a partitioned cookie this jar does not hold", func(t *testing.T) {
		clock := newTestClock()
		path := filepath.Join(t.TempDir(), "cookies.json")
		a := NewJar(WithClock(clock.now))
		require.NoError(t, a.Set(Cookie{Name: "x", Value: "1", Domain: "example.com", Path: "/", HostOnly: true, Secure: true, Partitioned: true}))
		require.NoError(t, a.Save(path))
		clock.advance(time.Second)
		b := NewJar(WithClock(clock.now))
		assert.False(t, b.Delete("example.com", "/", "x"))
		require.NoError(t, b.Save(path))
		assert.NotContains(t, fileCookies(t, clock, path), "x")
	})
	t.Run("a file of our own name that is not a temporary file stays", func(t *testing.T) {
		dir := t.TempDir()
		notes := filepath.Join(dir, ".c.json.tmp-notes-of-mine")
		require.NoError(t, os.WriteFile(notes, []byte("mine"), 0o600))
		j := NewJar()
		require.NoError(t, j.Set(sidCookie("1")))
		require.NoError(t, j.Save(filepath.Join(dir, "c.json")))
		assert.FileExists(t, notes)
	})
	t.Run("an omitted session cookie evicted later is still saved", func(t *testing.T) {
		clock := newTestClock()
		path := filepath.Join(t.TempDir(), "cookies.json")
		j := NewJar(WithClock(clock.now), WithLimits(2, 0))
		require.NoError(t, j.Set(Cookie{Name: "login", Value: "tok", Domain: "example.com", HostOnly: true}))
		require.NoError(t, j.SaveContext(context.Background(), path, OmitSessionCookies()))
		for _, n := range []string{"x", "y"} {
			clock.advance(time.Second)
			require.NoError(t, j.Set(Cookie{Name: n, Value: "1", Domain: "example.com", HostOnly: true, Expires: clock.now().Add(time.Hour)}))
		}
		require.NoError(t, j.Save(path))
		assert.Contains(t, fileCookies(t, clock, path), "login")
	})
	t.Run("a file replaced within one timestamp tick is read again", func(t *testing.T) {
		clock := newTestClock()
		path := filepath.Join(t.TempDir(), "cookies.json")
		a, b := NewJar(WithClock(clock.now)), NewJar(WithClock(clock.now))
		require.NoError(t, a.Set(sidCookie("a")))
		require.NoError(t, a.Save(path))
		require.NoError(t, b.Load(path))
		clock.advance(time.Second)
		require.NoError(t, b.Set(sidCookie("b")))
		require.NoError(t, b.Save(path))
		// Make b's file look like a's by identity, time and size, as a
		// reused inode on a file system with coarse times can.
		target, err := safefile.Resolve(path)
		require.NoError(t, err)
		fi, err := os.Stat(target)
		require.NoError(t, err)
		a.mu.Lock()
		a.hist.file(target).info = fi
		a.mu.Unlock()
		require.NoError(t, a.Save(path))
		assert.Equal(t, "b", fileCookies(t, clock, path)["sid"].Value, "b's newer change is not written over")
	})
}

func TestRecordWithAFieldWeDoNotKnowIsCarried(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cookies.json")
	rec := `{"name":"a","value":"1","domain":"example.com","path":"/","hostOnly":true,"secure":false,"httpOnly":false,"created":"2026-01-01T00:00:00Z","lastAccess":"2026-01-01T00:00:00Z","updated":"2026-01-01T00:00:00Z","future":{"x":1}}`
	require.NoError(t, os.WriteFile(path, []byte(`{"version": 2, "cookies": [`+"\n  "+rec+"\n], \"deleted\": []}\n"), 0o600))
	j := NewJar(WithClock(newTestClock().now))
	var fe *FileError
	require.ErrorAs(t, j.Load(path), &fe)
	require.NoError(t, j.Set(sidCookie("1")))
	require.NoError(t, j.Save(path))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(data), rec, "nothing of a record is dropped, not even a field this version does not know")
}

func TestEachJarJudgesExpiryByItsOwnClock(t *testing.T) {
	slow, fast := newTestClock(), newTestClock()
	fast.advance(2 * time.Hour) // b's clock runs two hours ahead
	path := filepath.Join(t.TempDir(), "cookies.json")
	a, b := NewJar(WithClock(slow.now)), NewJar(WithClock(fast.now))
	c := sidCookie("1")
	c.Expires = slow.now().Add(time.Hour)
	require.NoError(t, a.Set(c))
	require.NoError(t, a.Save(path))
	require.NoError(t, b.Load(path))
	assert.False(t, hasCookie(b, "sid"), "expired by b's clock")
	require.NoError(t, b.Save(path))
	slow.advance(time.Minute)
	require.NoError(t, a.Load(path))
	assert.True(t, hasCookie(a, "sid"), "b's clock does not expire a's cookie")
	// b wrote a tombstone of the set, without its value: a reader that
	// never held the cookie cannot get it from there, but a's next save
	// writes it back, and b does not take that for a change.
	assert.NotContains(t, fileCookies(t, slow, path), "sid", "the tombstone keeps no value")
	require.NoError(t, a.Save(path))
	assert.Contains(t, fileCookies(t, slow, path), "sid", "a writes its live copy back")
	require.NoError(t, b.Load(path))
	assert.False(t, hasCookie(b, "sid"), "still expired by b's clock")
	require.NoError(t, b.Save(path))
	require.NoError(t, a.Load(path))
	assert.True(t, hasCookie(a, "sid"), "the same set is no change: a keeps its copy through b's tombstone")
}

func TestAnExpiryDoesNotChangeWhoWinsATie(t *testing.T) {
	for _, syncFirst := range []bool{true, false} {
		clock := newTestClock()
		path := filepath.Join(t.TempDir(), "cookies.json")
		a, b := NewJar(WithClock(clock.now)), NewJar(WithClock(clock.now))
		short, long := sidCookie("a"), sidCookie("b")
		short.Expires, long.Expires = clock.now().Add(time.Second), clock.now().Add(24*time.Hour)
		require.NoError(t, a.Set(short))
		require.NoError(t, b.Set(long)) // the same instant: the greater digest wins
		sa, sb := a.All()[0], b.All()[0]
		want := "b"
		if newer(setVersion(clock.now(), &sa), setVersion(clock.now(), &sb)) {
			want = "" // the short one wins, and expires
		}
		if syncFirst {
			require.NoError(t, a.Save(path))
			require.NoError(t, b.Save(path))
			require.NoError(t, a.Load(path))
		}
		clock.advance(time.Minute)
		require.NoError(t, a.Save(path))
		require.NoError(t, b.Save(path))
		require.NoError(t, a.Load(path))
		assert.Equal(t, want, fileCookies(t, clock, path)["sid"].Value, "synced before the expiry: %v", syncFirst)
		assert.Equal(t, want != "", hasCookie(a, "sid"))
		assert.Equal(t, want != "", hasCookie(b, "sid"))
	}
}

func TestSecondReviewRegressions(t *testing.T) {
	rec := func(extra string) string {
		return `{"name":"a","value":"1","domain":"example.com","path":"/","hostOnly":true,"secure":false,` + extra + `"created":"2026-01-01T00:00:00Z","lastAccess":"2026-01-01T00:00:00Z","updated":"2026-01-01T00:00:00Z"}`
	}
	for _, tt := range []struct {
		name, doc string
		corrupt   bool   // the whole file is refused
		keep      string // else: this record is carried as it was
	}{
		{"an unknown field where a known one is missing", `{"version": 2, "cookies": [` + rec(`"priority":"high",`) + `]}`, false, rec(`"priority":"high",`)},
		{"an extra top-level key", `{"version": 2, "name": "my-service", "cookies": [` + rec(`"httpOnly":false,`) + `]}`, true, ""},
		{"a top-level key given twice", `{"version": 2, "deleted": [{"name":"x","domain":"example.com","path":"/","hostOnly":true,"deleted":"2026-01-01T00:00:00Z"}], "cookies": [], "deleted": []}`, true, ""},
		{"a key given twice in a record", `{"version": 2, "cookies": [` + rec(`"httpOnly":false,"name":"other",`) + `]}`, false, rec(`"httpOnly":false,"name":"other",`)},
		{"a key in another case", `{"version": 2, "cookies": [` + rec(`"httpOnly":false,"VALUE":"2",`) + `]}`, false, rec(`"httpOnly":false,"VALUE":"2",`)},
		{"a top-level key in another case", `{"version": 2, "Cookies": [` + rec(`"httpOnly":false,`) + `]}`, true, ""},
		{"a change time too late to write after", `{"version": 2, "cookies": [` + strings.Replace(rec(`"httpOnly":false,`), `"updated":"2026-01-01T00:00:00Z"`, `"updated":"9999-12-31T23:59:59.999999999Z"`, 1) + `]}`, false, `"updated":"9999-12-31T23:59:59.999999999Z"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "cookies.json")
			require.NoError(t, os.WriteFile(path, []byte(tt.doc), 0o600))
			j := NewJar(WithClock(newTestClock().now))
			err := j.Load(path)
			if tt.corrupt {
				require.ErrorIs(t, err, ErrCorrupt)
				require.NoError(t, j.Set(sidCookie("1")))
				require.ErrorIs(t, j.Save(path), ErrCorrupt)
				data, _ := os.ReadFile(path)
				assert.Equal(t, tt.doc, string(data), "never written over")
				return
			}
			var fe *FileError
			require.ErrorAs(t, err, &fe, "reported")
			require.NoError(t, j.Set(sidCookie("1")))
			j.Delete("example.com", "/", "gone")
			require.NoError(t, j.Save(path), "a later save still works")
			data, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Contains(t, string(data), tt.keep, "carried as it was")
		})
	}
	t.Run("a missing directory and .. skip no check", func(t *testing.T) {
		dir := t.TempDir()
		err := NewJar().Save(filepath.Join(dir, "nope") + "/../c.json")
		require.ErrorIs(t, err, fs.ErrNotExist, "as the kernel says")
		require.ErrorIs(t, NewJar().Load(filepath.Join(dir, "nope")+"/../c.json"), fs.ErrNotExist)
	})
	t.Run("a path with a trailing slash names no file", func(t *testing.T) {
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, "d.json"), nil, 0o600))
		require.ErrorIs(t, NewJar().Save(filepath.Join(dir, "d.json")+"/"), ErrUnsafePath)
		require.ErrorIs(t, NewJar().Load(filepath.Join(dir, "d.json")+"/"), ErrUnsafePath)
		require.Error(t, NewJar().Save(filepath.Join(dir, "e.json")+"/"))
		assert.NoFileExists(t, filepath.Join(dir, "e.json"))
	})
}
