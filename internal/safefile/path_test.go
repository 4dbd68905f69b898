//go:build unix

package safefile

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sharedDir returns a world-writable sticky directory, as /tmp is.
func sharedDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.Chmod(dir, 0o777|fs.ModeSticky))
	return dir
}

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to plant a file owned by another user")
	}
}

func TestPathsResolveAsTheKernelResolvesThem(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real")
	require.NoError(t, os.Mkdir(real, 0o700))
	require.NoError(t, os.Symlink("real", filepath.Join(dir, "link")))
	require.NoError(t, os.Symlink("../real/c.json", filepath.Join(real, "rel")))
	for _, p := range []string{
		filepath.Join(dir, "link", "c.json"),
		filepath.Join(dir, "link", "..", "real", "c.json"),
		filepath.Join(real, "rel"),
		filepath.Join(dir, "link", "rel"),
	} {
		got, err := Resolve(p)
		require.NoError(t, err, p)
		assert.Equal(t, filepath.Join(real, "c.json"), got, p)
	}
	// ".." after a link to a directory goes to the parent of its target.
	deep := filepath.Join(dir, "deep", "er")
	require.NoError(t, os.MkdirAll(deep, 0o700))
	require.NoError(t, os.Symlink(deep, filepath.Join(dir, "todeep")))
	got, err := Resolve(dir + "/todeep/../c.json")
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, "deep", "c.json"), got)

	loop := filepath.Join(dir, "loop")
	require.NoError(t, os.Symlink("loop", loop))
	_, err = Resolve(loop)
	require.ErrorIs(t, err, ErrUnsafePath, "a link loop ends")
	assert.EqualError(t, err, loop+": too many levels of symbolic links")
}

func TestResolveRelativePath(t *testing.T) {
	dir := t.TempDir()
	wd, err := os.Getwd()
	require.NoError(t, err)
	require.NoError(t, os.Chdir(dir))
	t.Cleanup(func() { _ = os.Chdir(wd) })
	got, err := Resolve("c.json")
	require.NoError(t, err)
	want, err := filepath.EvalSymlinks(dir)
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(want, "c.json"), got)
}

func TestResolveRefusals(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "d.json"), nil, 0o600))
	fifo := filepath.Join(dir, "fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))

	_, err := Resolve("")
	require.ErrorIs(t, err, ErrUnsafePath)
	assert.EqualError(t, err, "empty path", "the message is the detail alone")

	_, err = Resolve(fifo)
	require.ErrorIs(t, err, ErrUnsafePath)
	assert.EqualError(t, err, fifo+" is a FIFO")

	_, err = Resolve(dir)
	assert.EqualError(t, err, dir+" is a directory")

	_, err = Resolve("/dev/null")
	assert.EqualError(t, err, "/dev/null is a device")

	p := filepath.Join(dir, "d.json") + "/"
	_, err = Resolve(p)
	require.ErrorIs(t, err, ErrUnsafePath, "a trailing slash names no file")
	assert.EqualError(t, err, p+" names a directory, and "+filepath.Join(dir, "d.json")+" is a file")

	_, err = Resolve(filepath.Join(dir, "e.json") + "/")
	require.ErrorIs(t, err, fs.ErrNotExist)

	_, err = Resolve(filepath.Join(dir, "nope") + "/../c.json")
	require.ErrorIs(t, err, fs.ErrNotExist, "a missing directory and .. skip no check, as the kernel says")
	assert.NotErrorIs(t, err, ErrUnsafePath)
}

func TestRegularNamesWhatTheFileIs(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	link := filepath.Join(dir, "link")
	require.NoError(t, os.Symlink("nowhere", link))
	file := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	for path, want := range map[string]string{
		fifo:        "a FIFO",
		link:        "a symbolic link",
		dir:         "a directory",
		"/dev/null": "a device",
	} {
		fi, err := os.Lstat(path)
		require.NoError(t, err)
		err = Regular(path, fi)
		require.ErrorIs(t, err, ErrUnsafePath, path)
		assert.EqualError(t, err, path+" is "+want)
	}
	fi, err := os.Lstat(file)
	require.NoError(t, err)
	assert.NoError(t, Regular(file, fi))
}

func TestLinkPlantedByAnotherUserIsNotFollowed(t *testing.T) {
	needRoot(t)
	dir := sharedDir(t)
	victim := filepath.Join(t.TempDir(), "victim")
	require.NoError(t, os.WriteFile(victim, []byte("precious"), 0o600))
	path := filepath.Join(dir, "c.json")
	require.NoError(t, os.Symlink(victim, path))
	require.NoError(t, os.Lchown(path, 65534, 65534))
	_, err := Resolve(path)
	require.ErrorIs(t, err, ErrUnsafePath)
	assert.EqualError(t, err, path+" is a symbolic link owned by another user (uid 65534) in a shared directory")

	// A directory link on the way is refused too.
	app := filepath.Join(dir, "app")
	require.NoError(t, os.Symlink(filepath.Dir(victim), app))
	require.NoError(t, os.Lchown(app, 65534, 65534))
	_, err = Resolve(filepath.Join(app, "victim"))
	require.ErrorIs(t, err, ErrUnsafePath)

	// The caller's own link in the same directory is followed.
	own := filepath.Join(dir, "mine.json")
	require.NoError(t, os.Symlink(victim, own))
	got, err := Resolve(own)
	require.NoError(t, err)
	assert.Equal(t, victim, got)
}

func TestFilePlantedByAnotherUserIsRefused(t *testing.T) {
	needRoot(t)
	dir := sharedDir(t)
	path := filepath.Join(dir, "c.json")
	require.NoError(t, os.WriteFile(path, []byte("planted"), 0o666))
	require.NoError(t, os.Chown(path, 65534, 65534))
	_, err := Resolve(path)
	require.ErrorIs(t, err, ErrUnsafePath)
	assert.EqualError(t, err, path+" is a file owned by another user (uid 65534) in a shared directory")
	_, _, err = ReadRegular(path, 1<<20)
	require.ErrorIs(t, err, ErrUnsafePath, "nor read once resolved")

	// Outside a shared directory, another user's file is the caller's
	// business.
	other := filepath.Join(t.TempDir(), "c.json")
	require.NoError(t, os.WriteFile(other, []byte("theirs"), 0o666))
	require.NoError(t, os.Chown(other, 65534, 65534))
	_, err = Resolve(other)
	require.NoError(t, err)
}
