//go:build unix

package safefile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func writeString(s string) func(io.Writer) error {
	return func(w io.Writer) error {
		_, err := io.WriteString(w, s)
		return err
	}
}

func TestWriteFileReplacesTheFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	require.NoError(t, WriteFile(path, 0o600, writeString("one")))
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "a new file gets perm")

	require.NoError(t, os.Chmod(path, 0o400))
	require.NoError(t, WriteFile(path, 0o600, writeString("two")))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "two", string(data))
	fi, err = os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o400), fi.Mode().Perm(), "a stricter mode is kept")

	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary file is left")
}

func TestWriteFileLeavesTheOldFileOnFailure(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	require.NoError(t, os.WriteFile(path, []byte("old"), 0o600))
	boom := errors.New("boom")
	err := WriteFile(path, 0o600, func(w io.Writer) error {
		_, _ = io.WriteString(w, "half")
		return boom
	})
	require.ErrorIs(t, err, boom)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "old", string(data))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "the temporary file is removed")
}

func TestWriteFileReplacesOnlyARegularFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	target := filepath.Join(dir, "target")
	require.NoError(t, os.WriteFile(target, []byte("precious"), 0o600))
	link := filepath.Join(dir, "link")
	require.NoError(t, os.Symlink(target, link))
	for _, path := range []string{fifo, link, filepath.Join(dir, "sub")} {
		if path == filepath.Join(dir, "sub") {
			require.NoError(t, os.Mkdir(path, 0o700))
		}
		err := WriteFile(path, 0o600, writeString("x"))
		require.ErrorIs(t, err, ErrNotRegular, path)
		assert.EqualError(t, err, path+": not a regular file")
	}
	data, err := os.ReadFile(target)
	require.NoError(t, err)
	assert.Equal(t, "precious", string(data), "a link is not written through")
}

func TestWriteFileAsRootKeepsTheOwner(t *testing.T) {
	needRoot(t)
	path := filepath.Join(t.TempDir(), "f")
	require.NoError(t, os.WriteFile(path, []byte("theirs"), 0o600))
	require.NoError(t, os.Chown(path, 65534, 65534))
	require.NoError(t, WriteFile(path, 0o600, writeString("still theirs")))
	fi, err := os.Stat(path)
	require.NoError(t, err)
	st := fi.Sys().(*syscall.Stat_t)
	assert.Equal(t, uint32(65534), st.Uid, "the owner can still read their file")

	// Not in a shared directory, where the old file may have been planted.
	planted := filepath.Join(sharedDir(t), "f")
	require.NoError(t, os.WriteFile(planted, []byte("planted"), 0o666))
	require.NoError(t, os.Chown(planted, 65534, 65534))
	require.NoError(t, WriteFile(planted, 0o600, writeString("ours")))
	fi, err = os.Stat(planted)
	require.NoError(t, err)
	assert.Equal(t, uint32(0), fi.Sys().(*syscall.Stat_t).Uid)
}

func TestRemoveStaleTempsRemovesOnlyThisFilesTemporaries(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f.json")
	for _, name := range []string{".f.json.tmp-123", ".f.json.tmp-456"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte("secret"), 0o600))
	}
	keep := []string{".other.json.tmp-1", ".f.json.tmp-", ".f.json.tmp-12x", "f.json.tmp-1"}
	for _, name := range keep {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), nil, 0o600))
	}
	require.NoError(t, os.Mkdir(filepath.Join(dir, ".f.json.tmp-789"), 0o700))
	require.NoError(t, os.Symlink(filepath.Join(dir, "f.json.tmp-1"), filepath.Join(dir, ".f.json.tmp-999")))
	keep = append(keep, ".f.json.tmp-789", ".f.json.tmp-999")

	RemoveStaleTemps(path)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	assert.ElementsMatch(t, keep, left)
}

func TestRemoveStaleTempsLeavesAnotherUsersFiles(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	p := filepath.Join(dir, fmt.Sprintf(".f.json.tmp-%d", 1))
	require.NoError(t, os.WriteFile(p, nil, 0o600))
	require.NoError(t, os.Chown(p, 65534, 65534))
	RemoveStaleTemps(filepath.Join(dir, "f.json"))
	assert.FileExists(t, p)
}
