//go:build unix

package safefile

import (
	"bytes"
	"context"
	"hash/maphash"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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

func TestReadRegularReadsWithinTheBound(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	require.NoError(t, os.WriteFile(path, []byte("hello"), 0o600))
	data, fi, err := ReadRegular(path, 5)
	require.NoError(t, err)
	assert.Equal(t, "hello", string(data))
	assert.Equal(t, int64(5), fi.Size())

	_, _, err = ReadRegular(path, 4)
	require.ErrorIs(t, err, ErrTooLarge)
	var large *TooLargeError
	require.ErrorAs(t, err, &large)
	assert.Equal(t, &TooLargeError{Path: path, Limit: 4}, large)
	assert.EqualError(t, err, path+" is larger than 4 bytes")

	_, _, err = ReadRegular(filepath.Join(t.TempDir(), "missing"), 4)
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestReadRegularRefusesWhatIsNotARegularFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	target := filepath.Join(dir, "target")
	require.NoError(t, os.WriteFile(target, []byte("x"), 0o600))
	link := filepath.Join(dir, "link")
	require.NoError(t, os.Symlink(target, link))
	for _, path := range []string{fifo, "/dev/zero", dir} {
		watchdog(t, "ReadRegular "+path, func() {
			_, _, err := ReadRegular(path, 1<<20)
			assert.ErrorIs(t, err, ErrUnsafePath, path)
		})
	}
	_, _, err := ReadRegular(link, 1<<20)
	assert.ErrorIs(t, err, syscall.ELOOP, "a link is not followed")
	_, err = SumRegular(fifo, 1<<20, new(maphash.Hash))
	assert.ErrorIs(t, err, ErrUnsafePath)
}

func TestSumRegularSumsTheContent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	content := bytes.Repeat([]byte("0123456789"), 100_000)
	require.NoError(t, os.WriteFile(path, content, 0o600))
	seed := maphash.MakeSeed()
	h := new(maphash.Hash)
	h.SetSeed(seed)
	sum, err := SumRegular(path, int64(len(content)), h)
	require.NoError(t, err)
	assert.Equal(t, maphash.Bytes(seed, content), sum)

	_, err = SumRegular(path, int64(len(content))-1, new(maphash.Hash))
	assert.ErrorIs(t, err, ErrTooLarge)
}

func TestOpenFollowsALinkOnlyIfAsked(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	require.NoError(t, os.WriteFile(target, []byte("x"), 0o600))
	link := filepath.Join(dir, "link")
	require.NoError(t, os.Symlink(target, link))
	f, fi, err := Open(link, true)
	require.NoError(t, err)
	assert.Equal(t, int64(1), fi.Size())
	require.NoError(t, f.Close())
	_, _, err = Open(link, false)
	assert.ErrorIs(t, err, syscall.ELOOP)

	fifo := filepath.Join(dir, "fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	watchdog(t, "Open", func() {
		_, _, err := Open(fifo, true)
		assert.ErrorIs(t, err, ErrUnsafePath)
		assert.EqualError(t, err, fifo+" is a FIFO")
	})
}

func TestCopyStopsPastTheBoundAndWithTheContext(t *testing.T) {
	var dst bytes.Buffer
	n, err := Copy(context.Background(), &dst, bytes.NewReader([]byte("hello")), "p", 5)
	require.NoError(t, err)
	assert.Equal(t, int64(5), n)
	assert.Equal(t, "hello", dst.String())

	dst.Reset()
	n, err = Copy(context.Background(), &dst, bytes.NewReader([]byte("hello")), "p", 3)
	require.ErrorIs(t, err, ErrTooLarge)
	assert.EqualError(t, err, "p is larger than 3 bytes")
	assert.Equal(t, int64(4), n, "one byte past the bound is read, no more")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	n, err = Copy(ctx, &dst, bytes.NewReader([]byte("hello")), "p", 5)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Zero(t, n)
}

func TestContextReaderEndsAtTheNextRead(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	r := &ctxReader{ctx: ctx, r: readFunc(func(p []byte) (int, error) {
		cancel() // the context ends during the first read
		return len(p), nil
	})}
	buf := make([]byte, 8)
	n, err := r.Read(buf)
	assert.Equal(t, 8, n)
	require.NoError(t, err)
	_, err = r.Read(buf)
	assert.ErrorIs(t, err, context.Canceled)
}

type readFunc func([]byte) (int, error)

func (f readFunc) Read(p []byte) (int, error) { return f(p) }
