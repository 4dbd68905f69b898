// Package atomicfile replaces files so that a reader, or a process that
// restarts after a crash, sees either the old file or the new one, whole.
package atomicfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// ErrNotRegular is returned by WriteFile when path exists and is not a
// regular file: a device, FIFO, socket, directory or symbolic link is never
// replaced.
var ErrNotRegular = errors.New("not a regular file")

// WriteFile replaces the regular file at path with what write produces. It
// writes a temporary file in the same directory, flushes it to disk,
// renames it over path and flushes the directory, so that a crash at any
// instant leaves the old file or the new one, never a torn mix. If anything
// fails, the old file is left as it was and the temporary file is removed.
// The temporary file's name is "." + the base name + ".tmp-" + a random
// suffix: a crash between its creation and the rename leaves it behind.
//
// A new file gets mode perm. An existing file keeps its mode where that is
// stricter than perm, and its owner and group where the caller may set
// them. path must name a regular file or nothing: links are
// the caller's to resolve.
func WriteFile(path string, perm fs.FileMode, write func(w io.Writer) error) (err error) {
	target := path
	mode := perm
	old, err := os.Lstat(target)
	if err == nil {
		if !old.Mode().IsRegular() {
			return fmt.Errorf("%s: %w", target, ErrNotRegular)
		}
		mode = old.Mode().Perm() & perm
	} else {
		old = nil
	}
	dir, base := filepath.Split(target)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	// CreateTemp makes the file 0600; narrow it further if asked, before a
	// single byte of content is in it.
	if err := f.Chmod(mode); err != nil && runtime.GOOS != "windows" {
		return err
	}
	if old != nil {
		keepOwner(f, old, dir)
	}
	bw := bufio.NewWriterSize(f, 256<<10)
	if err := write(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, target); err != nil {
		return err
	}
	return syncDir(dir)
}

// syncDir flushes a directory, so that a rename in it survives a power
// failure. Windows cannot open directories for this and needs no such call.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if errors.Is(err, fs.ErrInvalid) {
		err = nil // some file systems cannot sync a directory; nothing to do
	}
	return errors.Join(err, d.Close())
}
