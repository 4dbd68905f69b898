package safefile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// WriteFile replaces the regular file at path with what write produces, so
// that a reader, or a process that restarts after a crash, sees either the
// old file or the new one, whole. It writes a temporary file in the same
// directory, flushes it to disk, renames it over path and flushes the
// directory. If anything fails, the old file is left as it was and the
// temporary file is removed. The temporary file's name is "." + the base
// name + ".tmp-" + digits: a crash between its creation and the rename
// leaves it behind, for RemoveStaleTemps.
//
// A new file gets mode perm. An existing file keeps its mode where that is
// stricter than perm, and its owner and group where the caller may set
// them. path must name a regular file or nothing (ErrNotRegular): links
// are the caller's to resolve (Resolve).
func WriteFile(path string, perm fs.FileMode, write func(w io.Writer) error) error {
	return writeFile(path, perm, write, true, 256<<10)
}

// WriteFileNoSync is WriteFile without flushing to disk: a process killed
// at any moment still leaves the old file or the new one, whole, but a
// power failure or a crash of the system may leave the old one, or on
// some file systems an empty one. For small state that is cheap to lose
// and written often.
func WriteFileNoSync(path string, perm fs.FileMode, write func(w io.Writer) error) error {
	return writeFile(path, perm, write, false, 4<<10)
}

func writeFile(path string, perm fs.FileMode, write func(w io.Writer) error, durable bool, buf int) (err error) {
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
	bw := bufio.NewWriterSize(f, buf)
	if err := write(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if durable {
		if err := f.Sync(); err != nil {
			return fmt.Errorf("sync %s: %w", tmp, err)
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, target); err != nil {
		return err
	}
	if !durable {
		return nil
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

// tempPrefix is how the names of WriteFile's temporary files for path
// begin.
func tempPrefix(path string) string {
	return "." + filepath.Base(path) + ".tmp-"
}

// RemoveStaleTemps removes the temporary files that WriteFile calls for
// path left behind when their process was killed before the rename: they
// may hold what the file holds. The caller must hold a lock that keeps
// every WriteFile of path out meanwhile. Only regular files of the
// caller's are removed; errors are ignored.
func RemoveStaleTemps(path string) {
	dir := filepath.Dir(path)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	prefix := tempPrefix(path)
	for _, de := range entries {
		// os.CreateTemp puts digits where the pattern has its '*'.
		suffix, ok := strings.CutPrefix(de.Name(), prefix)
		if !ok || suffix == "" || strings.Trim(suffix, "0123456789") != "" || !de.Type().IsRegular() {
			continue
		}
		p := filepath.Join(dir, de.Name())
		if fi, err := os.Lstat(p); err == nil && fi.Mode().IsRegular() && ownedByCaller(fi) {
			_ = os.Remove(p)
		}
	}
}
