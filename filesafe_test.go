package httpsession

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/httpsession/httpsession/internal/safefile"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Tests of what paths and files a save or a load accepts; internal/safefile
// has the tests of its own rules.

// watchdog fails the test if fn has not returned within a minute: fn must
// not block at all, and a minute is only a bound on a broken build.
func watchdog(t *testing.T, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); fn() }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatalf("%s blocked", what)
	}
}

func TestOnlyRegularFilesAreReadAndReplaced(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	for _, path := range []string{"/dev/null", "/dev/zero", fifo, dir} {
		t.Run(path, func(t *testing.T) {
			before, err := os.Lstat(path)
			require.NoError(t, err)
			watchdog(t, "Open", func() {
				s, err := Open(path)
				assert.ErrorIs(t, err, ErrUnsafePath)
				assert.Nil(t, s)
			})
			watchdog(t, "Load", func() { assert.ErrorIs(t, NewJar().Load(path), ErrUnsafePath) })
			watchdog(t, "Save", func() {
				j := NewJar()
				require.NoError(t, j.Set(sidCookie("1")))
				assert.ErrorIs(t, j.Save(path), ErrUnsafePath)
			})
			after, err := os.Lstat(path)
			require.NoError(t, err)
			assert.Equal(t, before.Mode(), after.Mode(), "left as it was")
			assert.True(t, os.SameFile(before, after))
		})
	}
}

func TestFilesLargerThanTheBoundAreRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cookies.json")
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, f.Truncate(MaxFileSize+1)) // sparse: no disk used
	require.NoError(t, f.Close())
	err = NewJar().Load(path)
	require.ErrorIs(t, err, ErrCorrupt)
	assert.Contains(t, err.Error(), "larger than")
	j := NewJar()
	require.NoError(t, j.Set(sidCookie("1")))
	require.ErrorIs(t, j.Save(path), ErrCorrupt, "and never overwritten")
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, int64(MaxFileSize+1), fi.Size())
}

// sharedDir returns a world-writable sticky directory, as /tmp is.
func sharedDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.Chmod(dir, 0o777|fs.ModeSticky))
	return dir
}

func TestLinkPlantedByAnotherUserIsNotFollowed(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to plant a link owned by another user")
	}
	dir := sharedDir(t)
	victim := filepath.Join(t.TempDir(), "victim")
	require.NoError(t, os.WriteFile(victim, []byte("precious"), 0o600))
	path := filepath.Join(dir, "cookies.json")
	require.NoError(t, os.Symlink(victim, path))
	require.NoError(t, os.Lchown(path, 65534, 65534))

	_, err := Open(path)
	require.ErrorIs(t, err, ErrUnsafePath)
	j := NewJar()
	require.NoError(t, j.Set(sidCookie("1")))
	require.ErrorIs(t, j.Save(path), ErrUnsafePath)
	require.ErrorIs(t, j.Load(path), ErrUnsafePath)
	data, err := os.ReadFile(victim)
	require.NoError(t, err)
	assert.Equal(t, "precious", string(data), "the link's target is untouched")

	// The caller's own link in the same directory is followed.
	own := filepath.Join(dir, "mine.json")
	target := filepath.Join(t.TempDir(), "real.json")
	require.NoError(t, os.Symlink(target, own))
	require.NoError(t, j.Save(own))
	assert.FileExists(t, target)
}

func TestLockFileLinkIsNotFollowed(t *testing.T) {
	dir := sharedDir(t)
	path := filepath.Join(dir, "cookies.json")
	elsewhere := filepath.Join(t.TempDir(), "created-by-us")
	require.NoError(t, os.Symlink(elsewhere, path+".lock"))
	j := NewJar()
	require.NoError(t, j.Set(sidCookie("1")))
	require.ErrorIs(t, j.Save(path), ErrUnsafePath)
	_, err := Open(path)
	require.ErrorIs(t, err, ErrUnsafePath)
	assert.NoFileExists(t, elsewhere, "no file is created through the link")
	assert.NoFileExists(t, path)
}

func TestStaleTemporaryFilesAreRemovedBySave(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cookies.json")
	for _, name := range []string{".cookies.json.tmp-123", ".cookies.json.tmp-456"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte("sid=secret"), 0o600))
	}
	unrelated := filepath.Join(dir, ".other.json.tmp-1")
	require.NoError(t, os.WriteFile(unrelated, nil, 0o600))
	j := NewJar()
	require.NoError(t, j.Set(sidCookie("1")))
	require.NoError(t, j.Save(path))
	left, err := filepath.Glob(filepath.Join(dir, ".cookies.json.tmp-*"))
	require.NoError(t, err)
	assert.Empty(t, left)
	assert.FileExists(t, unrelated, "only this file's temporary files")
}

func TestFilePlantedByAnotherUserIsNotUsed(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to plant a file owned by another user")
	}
	dir := sharedDir(t)
	path := filepath.Join(dir, "cookies.json")
	planted := `{"version": 2, "cookies": [], "deleted": []}`
	require.NoError(t, os.WriteFile(path, []byte(planted), 0o666))
	require.NoError(t, os.Chown(path, 65534, 65534))
	_, err := Open(path)
	require.ErrorIs(t, err, ErrUnsafePath, "a file another user planted in a shared directory is not read")
	j := NewJar()
	require.NoError(t, j.Set(sidCookie("secret")))
	require.ErrorIs(t, j.Save(path), ErrUnsafePath, "nor replaced with our cookies")
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, planted, string(data))

	lock := filepath.Join(dir, "other.json")
	require.NoError(t, os.WriteFile(lock+".lock", nil, 0o666))
	require.NoError(t, os.Chown(lock+".lock", 65534, 65534))
	require.ErrorIs(t, j.Save(lock), ErrUnsafePath, "nor a lock file another user planted")
}

func TestDirectoryLinkPlantedByAnotherUserIsNotFollowed(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to plant a link owned by another user")
	}
	dir := sharedDir(t)
	victim := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(victim, "c.json"), []byte("precious"), 0o600))
	app := filepath.Join(dir, "app")
	require.NoError(t, os.Symlink(victim, app))
	require.NoError(t, os.Lchown(app, 65534, 65534))
	j := NewJar()
	require.NoError(t, j.Set(sidCookie("1")))
	require.ErrorIs(t, j.Save(filepath.Join(app, "c.json")), ErrUnsafePath)
	_, err := Open(filepath.Join(app, "c.json"))
	require.ErrorIs(t, err, ErrUnsafePath)
	data, err := os.ReadFile(filepath.Join(victim, "c.json"))
	require.NoError(t, err)
	assert.Equal(t, "precious", string(data))
}

func TestSaveAsRootKeepsTheFileOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to save another user's file")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "cookies.json")
	j := NewJar()
	require.NoError(t, j.Set(sidCookie("1")))
	require.NoError(t, j.Save(path))
	require.NoError(t, os.Chown(path, 65534, 65534))
	require.NoError(t, j.Set(sidCookie("2")))
	require.NoError(t, j.Save(path))
	fi, err := os.Stat(path)
	require.NoError(t, err)
	st := fi.Sys().(*syscall.Stat_t)
	assert.Equal(t, uint32(65534), st.Uid, "the owner can still read their file")
}

func TestFilePlantedWhileASaveWaitsIsNotUsed(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to plant a file owned by another user")
	}
	dir := sharedDir(t)
	path := filepath.Join(dir, "c.json")
	unlock, err := safefile.Lock(context.Background(), path+".lock", time.Minute)
	require.NoError(t, err)
	j := NewJar()
	require.NoError(t, j.Set(sidCookie("secret")))
	saved := make(chan error, 1)
	go func() { saved <- j.Save(path) }()
	for j.saveMu.TryLock() { // until the save waits for the lock
		j.saveMu.Unlock()
		time.Sleep(time.Millisecond)
	}
	planted := `{"version": 2, "cookies": [], "deleted": []}`
	require.NoError(t, os.WriteFile(path, []byte(planted), 0o666))
	require.NoError(t, os.Chown(path, 65534, 65534))
	unlock()
	require.ErrorIs(t, <-saved, ErrUnsafePath)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, planted, string(data), "our cookies never reach a file another user owns")
}

// The errors of internal/safefile reach the caller in this package's words,
// with its sentinels, as one *PathError whose message says "httpsession:"
// once (issue 20, point 12).
func TestFileErrorsKeepTheirWords(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	err := NewJar().Load(fifo)
	require.ErrorIs(t, err, ErrUnsafePath)
	assert.EqualError(t, err, "httpsession: load "+fifo+": unsafe cookie file path: "+fifo+" is a FIFO")
	var pe *PathError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "load", pe.Op)
	assert.Equal(t, fifo, pe.Path)

	big := filepath.Join(dir, "big.json")
	f, err := os.Create(big)
	require.NoError(t, err)
	require.NoError(t, f.Truncate(MaxFileSize+1))
	require.NoError(t, f.Close())
	err = NewJar().Load(big)
	require.ErrorIs(t, err, ErrCorrupt)
	require.ErrorIs(t, err, ErrTooLarge)
	assert.EqualError(t, err, "httpsession: load "+big+": corrupt cookie file: "+big+
		" is larger than 64 MiB, more than a cookie file holds (cookie file larger than MaxFileSize) (ReadLarge opens it)")

	path := filepath.Join(dir, "c.json")
	unlock, err := safefile.Lock(context.Background(), path+".lock", time.Minute)
	require.NoError(t, err)
	defer unlock()
	j := NewJar()
	require.NoError(t, j.Set(sidCookie("1")))
	err = j.SaveContext(context.Background(), path, LockTimeout(10*time.Millisecond))
	require.ErrorIs(t, err, ErrLocked)
	assert.EqualError(t, err, "httpsession: save "+path+": cookie file is locked: "+path+
		".lock held by another process (context deadline exceeded)")
}

// Open("") is a *PathError like every other failure of Open, and its
// message says httpsession: once.
func TestOpenOfAnEmptyPathIsAPathError(t *testing.T) {
	_, err := Open("")
	var pe *PathError
	require.ErrorAs(t, err, &pe)
	require.ErrorIs(t, err, ErrUnsafePath)
	assert.Equal(t, 1, strings.Count(err.Error(), "httpsession:"), err.Error())
}
