//go:build unix

package safefile

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLockIsExclusiveUntilReleased(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.lock")
	unlock, err := Lock(context.Background(), path, time.Minute)
	require.NoError(t, err)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	_, err = Lock(context.Background(), path, 20*time.Millisecond)
	require.ErrorIs(t, err, ErrLocked)
	assert.EqualError(t, err, path+" held by another process (context deadline exceeded)")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = Lock(ctx, path, 0)
	require.ErrorIs(t, err, ErrLocked)
	assert.EqualError(t, err, path+" held by another process (context canceled)")

	got := make(chan error, 1)
	go func() {
		unlock2, err := Lock(context.Background(), path, time.Minute)
		if err == nil {
			unlock2()
		}
		got <- err
	}()
	time.Sleep(20 * time.Millisecond)
	unlock()
	require.NoError(t, <-got, "a waiting Lock has it once it is released")
}

func TestLockRefusesWhatIsNotARegularFile(t *testing.T) {
	dir := t.TempDir()
	elsewhere := filepath.Join(dir, "created-by-us")
	link := filepath.Join(dir, "link.lock")
	require.NoError(t, os.Symlink(elsewhere, link))
	fifo := filepath.Join(dir, "fifo.lock")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	for _, path := range []string{link, fifo, dir} {
		watchdog(t, "Lock", func() {
			_, err := Lock(context.Background(), path, time.Second)
			assert.ErrorIs(t, err, ErrUnsafePath, path)
			assert.ErrorIs(t, ProbeLock(path), ErrUnsafePath, path)
		})
	}
	assert.NoFileExists(t, elsewhere, "no file is created through the link")
}

func TestProbeLockCreatesTheLockFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f.lock")
	require.NoError(t, ProbeLock(path))
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.True(t, fi.Mode().IsRegular())
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	require.NoError(t, ProbeLock(path), "an existing lock file is fine")
	assert.ErrorIs(t, ProbeLock(filepath.Join(dir, "missing", "f.lock")), os.ErrNotExist)
}

func TestLockFilePlantedByAnotherUserIsRefused(t *testing.T) {
	needRoot(t)
	dir := sharedDir(t)
	path := filepath.Join(dir, "f.lock")
	require.NoError(t, os.WriteFile(path, nil, 0o666))
	require.NoError(t, os.Chown(path, 65534, 65534))
	_, err := Lock(context.Background(), path, time.Second)
	require.ErrorIs(t, err, ErrUnsafePath)
	assert.EqualError(t, err, path+" is a file owned by another user (uid 65534) in a shared directory")
	require.ErrorIs(t, ProbeLock(path), ErrUnsafePath)
}
