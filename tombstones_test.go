package httpsession

// What a file remembers of cookies that are gone: tombstones without
// values, bounded in count and bytes; no save writes a file that Load
// refuses; hand edits of the native file are changes.

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// correlationValue is a value as large as ASP.NET Core's OpenID Connect
// correlation cookies get.
func correlationValue(i int) string {
	return fmt.Sprintf("%06d", i) + strings.Repeat("c", 3894)
}

func TestExpiredCookiesLeaveOnlyTombstones(t *testing.T) {
	// A scraper that logs in 20,000 times meets 20,000 correlation cookies
	// of 3,900 bytes that live one second: the file keeps none of their
	// values and stays small, and it opens again.
	if testing.Short() && raceEnabled {
		t.Skip("20,000 logins: not with -short under -race")
	}
	clock := newTestClock()
	path := filepath.Join(t.TempDir(), "cookies.json")
	j := NewJar(WithClock(clock.now))
	u := mustURL(t, "https://login.example.com/signin-oidc")
	const logins = 20000
	maxSize := int64(0)
	for i := range logins {
		j.SetRawCookies(u, []string{fmt.Sprintf(".AspNetCore.Correlation.%08x=%s; Path=/signin-oidc; Max-Age=1; Secure; HttpOnly; SameSite=None", i, correlationValue(i))})
		clock.advance(2 * time.Second)
		if i%500 == 499 || i == logins-1 {
			require.NoError(t, j.Save(path), "save after %d logins", i+1)
			fi, err := os.Stat(path)
			require.NoError(t, err)
			maxSize = max(maxSize, fi.Size())
		}
	}
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Less(t, maxSize, int64(8<<20), "the file stays under 8 MiB")
	assert.LessOrEqual(t, maxSize, int64(MaxTombstoneBytes+64<<10), "in fact under MaxTombstoneBytes, what its tombstones may take")
	assert.NotContains(t, string(data), strings.Repeat("c", 100), "no value of an expired cookie is kept")
	fresh := NewJar(WithClock(clock.now))
	require.NoError(t, fresh.Load(path), "the file opens again")
	assert.Empty(t, fresh.All())
}

func TestTombstonesAreBoundedInBytes(t *testing.T) {
	// Deletions of cookies with 3,900-byte names: each tombstone keeps the
	// name, so the byte bound forgets the oldest long before the count
	// bound would.
	clock := newTestClock()
	path := filepath.Join(t.TempDir(), "cookies.json")
	j := NewJar(WithClock(clock.now))
	u := mustURL(t, "https://example.com/")
	for i := range 5000 {
		name := fmt.Sprintf("%06d", i) + strings.Repeat("n", 3894)
		j.SetRawCookies(u, []string{name + "=1"})
		clock.advance(time.Second)
		require.True(t, j.Delete("example.com", "/", name))
		if i%250 == 249 {
			require.NoError(t, j.Save(path))
			fi, err := os.Stat(path)
			require.NoError(t, err)
			require.LessOrEqual(t, fi.Size(), int64(MaxTombstoneBytes+64<<10), "the tombstones stay within MaxTombstoneBytes")
		}
	}
	j.mu.Lock()
	n, size := len(j.hist.tombs), j.hist.tombBytes
	j.mu.Unlock()
	assert.LessOrEqual(t, size, MaxTombstoneBytes, "in the jar too")
	assert.Greater(t, n, 150, "the newest are kept")
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(data), `"name":"004999`, "the newest deletion is remembered")
	assert.NotContains(t, string(data), `"name":"000000`, "the oldest is forgotten")
}

func TestTombstoneLimitsAreTheJars(t *testing.T) {
	clock := newTestClock()
	j := NewJar(WithClock(clock.now), WithTombstoneLimits(10, 0))
	for i := range 100 {
		j.Delete("example.com", "/", fmt.Sprintf("c%d", i))
		clock.advance(time.Second)
	}
	path := filepath.Join(t.TempDir(), "cookies.json")
	require.NoError(t, j.Save(path))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.LessOrEqual(t, strings.Count(string(data), `"deleted":"`), 10)
	assert.Contains(t, string(data), `"name":"c99"`, "the newest are kept")
}

func TestForgottenTombstonesDoNotComeBackFromTheFile(t *testing.T) {
	// A jar that forgets a tombstone does not write it back, and the file
	// does not give it back at the next read.
	clock := newTestClock()
	path := filepath.Join(t.TempDir(), "cookies.json")
	big := NewJar(WithClock(clock.now))
	for i := range 50 {
		big.Delete("example.com", "/", fmt.Sprintf("c%d", i))
		clock.advance(time.Second)
	}
	require.NoError(t, big.Save(path))
	small := NewJar(WithClock(clock.now), WithTombstoneLimits(8, 0))
	require.NoError(t, small.Load(path))
	require.NoError(t, small.Set(sidCookie("1")))
	require.NoError(t, small.Save(path))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.LessOrEqual(t, strings.Count(string(data), `"deleted":"`), 8, "the file keeps what the saving jar remembers")
}

func TestNoSaveWritesAFileLoadRefuses(t *testing.T) {
	if testing.Short() {
		t.Skip("writes files of 64 MiB")
	}
	clock := newTestClock()
	dir := t.TempDir()
	u := mustURL(t, "https://example.com/")

	t.Run("live cookies past MaxFileSize: refused, the old file kept", func(t *testing.T) {
		path := filepath.Join(dir, "live.json")
		j := NewJar(WithClock(clock.now), WithLimits(0, 0))
		require.NoError(t, j.Set(sidCookie("1")))
		require.NoError(t, j.Save(path))
		before, err := os.ReadFile(path)
		require.NoError(t, err)
		for i := range 17000 { // 17,000 × 4 KB
			j.SetRawCookies(u, []string{fmt.Sprintf("c%05d=%s; Max-Age=86400", i, correlationValue(i))})
		}
		err = j.Save(path)
		require.ErrorIs(t, err, ErrTooLarge)
		assert.NotContains(t, err.Error(), "cccccccc", "no value in the error")
		after, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.Equal(t, before, after, "the old file is left whole")
		matches, _ := filepath.Glob(filepath.Join(dir, ".live.json.tmp-*"))
		assert.Empty(t, matches, "no temporary file left")
	})

	t.Run("tombstones are forgotten to fit", func(t *testing.T) {
		path := filepath.Join(dir, "fit.json")
		j := NewJar(WithClock(clock.now), WithLimits(0, 0), WithTombstoneLimits(0, 16<<20))
		for i := range 3000 { // 3,000 long-named deletions: 16 MiB of tombstones
			j.Delete("example.com", "/", fmt.Sprintf("%06d", i)+strings.Repeat("n", 3894))
			clock.advance(time.Millisecond)
		}
		for i := range 13000 { // 13,000 × 4 KB live: 52 MiB
			j.SetRawCookies(u, []string{fmt.Sprintf("c%05d=%s; Max-Age=86400", i, correlationValue(i))})
		}
		require.NoError(t, j.Save(path))
		fi, err := os.Stat(path)
		require.NoError(t, err)
		assert.LessOrEqual(t, fi.Size(), int64(MaxFileSize))
		fresh := NewJar(WithClock(clock.now), WithLimits(0, 0))
		require.NoError(t, fresh.Load(path), "the file opens again")
		assert.Len(t, fresh.All(), 13000, "every live cookie kept")
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.Contains(t, string(data), `"name":"002999`, "the newest tombstones kept")
		assert.NotContains(t, string(data), `"name":"000000`, "the oldest forgotten")
	})
}

// writeOldFile writes a native file as versions before tombstones without
// values wrote it: expired cookies with their values, and live ones.
func writeOldFile(t *testing.T, path string, expired, live int, valueSize int) {
	t.Helper()
	var b bytes.Buffer
	b.WriteString(`{"version": 2, "cookies": [`)
	rec := func(i int, name, expires string) {
		if i > 0 || name == "live" {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "\n  {\"name\":\"%s%d\",\"value\":\"%s\",\"domain\":\"example.com\",\"path\":\"/\",\"hostOnly\":true,\"secure\":true,\"httpOnly\":false,\"expires\":\"%s\",\"created\":\"2026-02-01T00:00:00Z\",\"lastAccess\":\"2026-02-01T00:00:00Z\",\"updated\":\"2026-02-01T00:00:%02d.%09dZ\"}",
			name, i, strings.Repeat("v", valueSize), expires, i%60, i)
	}
	for i := range expired {
		rec(i, "gone", "2026-02-01T00:00:01Z")
	}
	for i := range live {
		rec(i, "live", "2027-01-01T00:00:00Z")
	}
	b.WriteString("\n]}\n")
	require.NoError(t, os.WriteFile(path, b.Bytes(), 0o600))
}

func TestReadLargeOpensAFileAnOlderVersionLetGrow(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a file of 70 MiB")
	}
	path := filepath.Join(t.TempDir(), "cookies.json")
	writeOldFile(t, path, 18000, 100, 3900)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Greater(t, fi.Size(), int64(MaxFileSize))
	clock := newTestClock()

	j := NewJar(WithClock(clock.now))
	err = j.Load(path)
	require.ErrorIs(t, err, ErrTooLarge)
	require.ErrorIs(t, err, ErrCorrupt)
	assert.Contains(t, err.Error(), "ReadLarge", "the error names the way out")

	require.NoError(t, j.LoadContext(context.Background(), path, ReadLarge(256<<20)))
	assert.Len(t, j.All(), 100, "every live cookie is loaded")
	require.NoError(t, j.Save(path))
	fi, err = os.Stat(path)
	require.NoError(t, err)
	assert.Less(t, fi.Size(), int64(8<<20), "the next save writes tombstones without values")
	fresh := NewJar(WithClock(clock.now))
	require.NoError(t, fresh.Load(path), "and the file opens without the way out")
	assert.Len(t, fresh.All(), 100)

	s, err := Open(path, WithLoadOptions(ReadLarge(256<<20)), WithJarOptions(WithClock(clock.now)))
	require.NoError(t, err, "Open takes the way out too")
	require.NoError(t, s.Close())
}

// savedThenEdited saves a jar holding sid=old to a new native file, then
// edits the value in the file as a person would: pasting another over it,
// leaving "updated" as it was.
func savedThenEdited(t *testing.T, clock *testClock, old, edited string) (*Jar, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "cookies.json")
	j := NewJar(WithClock(clock.now))
	require.NoError(t, j.Set(sidCookie(old)))
	require.NoError(t, j.Save(path))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	data = bytes.Replace(data, []byte(`"value":"`+old+`"`), []byte(`"value":"`+edited+`"`), 1)
	require.NoError(t, os.WriteFile(path, data, 0o600))
	return j, path
}

func TestHandEditedValueSticksWhicheverWayItSorts(t *testing.T) {
	for _, edited := range []string{"aaa", "zzz"} {
		t.Run(edited, func(t *testing.T) {
			clock := newTestClock()
			j, path := savedThenEdited(t, clock, "mmm", edited)
			clock.advance(time.Minute)
			require.NoError(t, j.Set(Cookie{Name: "other", Value: "1", Domain: "example.com", Path: "/", HostOnly: true}))
			require.NoError(t, j.Save(path))
			assert.Equal(t, edited, fileCookies(t, clock, path)["sid"].Value, "the edit stays in the file")
			assert.Equal(t, edited, j.CookieMap(mustURL(t, "https://example.com/"))["sid"], "and the jar takes it")
		})
	}
}

func TestHandEditLosesToALaterChangeInTheJar(t *testing.T) {
	clock := newTestClock()
	j, path := savedThenEdited(t, clock, "old", "edited")
	past := time.Now().Add(-time.Hour)
	require.NoError(t, os.Chtimes(path, past, past)) // edited before...
	clock.set(time.Now())
	require.NoError(t, j.Set(sidCookie("server"))) // ...the server's newer set
	require.NoError(t, j.Save(path))
	assert.Equal(t, "server", fileCookies(t, clock, path)["sid"].Value)
}
