package httpsession

import (
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ErrUnsafePath is wrapped by the error for a cookie file path that this
// package will not read or replace: a FIFO, device, socket or directory
// where a regular file belongs, a symbolic link that another user planted
// in a shared directory, or a lock file that is not a regular file.
var ErrUnsafePath = errors.New("httpsession: unsafe cookie file path")

// MaxFileSize bounds a cookie file: 64 MiB, some 200,000 cookies. Load,
// Open and Save read no more of a file unless ReadLarge says so, and a save
// never writes more: it forgets the oldest tombstones to fit, or fails with
// an error that wraps ErrTooLarge and leaves the old file as it was. A
// larger file is refused with an error that wraps ErrCorrupt and
// ErrTooLarge, and never overwritten.
const MaxFileSize = 64 << 20

// ErrTooLarge is wrapped by the error for a cookie file larger than
// MaxFileSize (ReadLarge opens it), and by that of a save whose live
// cookies alone would pass it (the file is left as it was).
var ErrTooLarge = errors.New("httpsession: cookie file larger than MaxFileSize")

// maxLinks bounds how many symbolic links resolvePath follows, as the
// kernel's own limit does.
const maxLinks = 40

// resolvePath returns the file that path names, following symbolic links
// only where Linux's protected_symlinks rule would: a link in a directory
// that is world-writable and sticky (such as /tmp) is followed only if it
// belongs to the caller or to the directory's owner, so that another user
// cannot point our cookie file at a file of ours. The result may not exist
// yet; if it does, it is a regular file, and in such a shared directory one
// of the caller's or the directory owner's (protected_regular), so that
// another user cannot plant a file, or a hard link to one, for us to read.
func resolvePath(path string) (string, error) {
	if path == "" {
		return "", fmt.Errorf("%w: empty path", ErrUnsafePath)
	}
	// Not filepath.Abs, which would clean "link/.." away lexically.
	abs := path
	if !filepath.IsAbs(path) {
		wd, err := os.Getwd()
		if err != nil {
			return "", err
		}
		abs = wd + string(filepath.Separator) + path
	}
	// Walk the path a component at a time, as the kernel does, so that
	// the rule applies to a link anywhere on it, a directory's included.
	root := filepath.VolumeName(abs) + string(filepath.Separator)
	cur := root
	todo := splitPath(abs[len(root):])
	links := 0
	for len(todo) > 0 {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			cur = filepath.Dir(cur)
			continue
		}
		next := filepath.Join(cur, c)
		fi, err := os.Lstat(next)
		if errors.Is(err, fs.ErrNotExist) {
			if len(todo) > 0 || strings.HasSuffix(path, string(filepath.Separator)) {
				// A missing directory: the kernel stops here too, and
				// "missing/.." must not skip the checks of what follows.
				return "", fmt.Errorf("%s: %w", filepath.Dir(next+string(filepath.Separator)), err)
			}
			return next, nil // a new file
		}
		if err != nil {
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			cur = next
			continue
		}
		if links++; links > maxLinks {
			return "", fmt.Errorf("%w: %s: too many levels of symbolic links", ErrUnsafePath, path)
		}
		if err := linkAllowed(next, fi); err != nil {
			return "", err
		}
		target, err := os.Readlink(next)
		if err != nil {
			return "", err
		}
		if filepath.IsAbs(target) {
			cur = filepath.VolumeName(target) + string(filepath.Separator)
			target = target[len(cur):]
		}
		todo = append(splitPath(target), todo...)
	}
	fi, err := os.Lstat(cur)
	if err != nil {
		return "", err
	}
	if err := regular(cur, fi); err != nil {
		return "", err
	}
	if strings.HasSuffix(path, string(filepath.Separator)) {
		return "", fmt.Errorf("%w: %s names a directory, and %s is a file", ErrUnsafePath, path, cur)
	}
	return cur, ownerAllowed(cur, fi)
}

// splitPath splits a path into its components.
func splitPath(p string) []string {
	return strings.FieldsFunc(p, func(r rune) bool { return os.IsPathSeparator(uint8(r)) })
}

// regular returns an error wrapping ErrUnsafePath unless fi is a regular
// file.
func regular(path string, fi fs.FileInfo) error {
	if fi.Mode().IsRegular() {
		return nil
	}
	kind := "not a regular file"
	switch m := fi.Mode(); {
	case m.IsDir():
		kind = "a directory"
	case m&fs.ModeNamedPipe != 0:
		kind = "a FIFO"
	case m&fs.ModeSocket != 0:
		kind = "a socket"
	case m&fs.ModeDevice != 0:
		kind = "a device"
	case m&fs.ModeSymlink != 0:
		kind = "a symbolic link"
	}
	return fmt.Errorf("%w: %s is %s", ErrUnsafePath, path, kind)
}

// readRegular reads the regular file at a resolved path, at most
// MaxFileSize bytes, without following a link and without blocking on a
// FIFO that replaced it in the meantime. Its identity is taken from the
// open file, so that a rename by another process between the two cannot
// mix them.
func readRegular(path string) ([]byte, os.FileInfo, error) {
	return readRegularUpTo(path, MaxFileSize)
}

// readRegularUpTo is readRegular with another bound than MaxFileSize.
func readRegularUpTo(path string, limit int64) ([]byte, os.FileInfo, error) {
	f, fi, err := openRegular(path, limit)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	data := make([]byte, 0, fi.Size()+512)
	for {
		n, err := f.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if int64(len(data)) > limit {
			return nil, nil, tooLarge(path, limit)
		}
		if err == io.EOF {
			return data, fi, nil
		}
		if err != nil {
			return nil, nil, err
		}
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)] // grown while read
		}
	}
}

// openRegular opens the regular file at a resolved path for reading, as
// readRegular reads it: without following a link or blocking on a FIFO,
// and refusing a file another user planted or one larger than limit.
func openRegular(path string, limit int64) (*os.File, os.FileInfo, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|openNoFollow, 0)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err == nil {
		err = regular(path, fi)
	}
	if err == nil {
		err = ownerAllowed(path, fi) // planted since the path was resolved
	}
	if err == nil && fi.Size() > limit {
		err = tooLarge(path, limit)
	}
	if err != nil {
		_ = f.Close()
		return nil, nil, err
	}
	return f, fi, nil
}

// sumRegular feeds the content of the regular file at a resolved path
// through h, opened as readRegular opens it, without holding the content
// in memory, and returns the sum.
func sumRegular(path string, limit int64, h *maphash.Hash) (uint64, error) {
	f, _, err := openRegular(path, limit)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if _, err := io.Copy(h, io.LimitReader(f, limit+1)); err != nil {
		return 0, err
	}
	return h.Sum64(), nil
}

func tooLarge(path string, limit int64) error {
	return fmt.Errorf("%w: %s is larger than %d MiB, more than a cookie file holds (%w; ReadLarge opens it)", ErrCorrupt, path, limit>>20, ErrTooLarge)
}

// checkLockPath refuses a lock file path that exists and is not a regular
// file, a symbolic link among others.
func checkLockPath(path string) error {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	}
	if err := regular(path, fi); err != nil {
		return err
	}
	return ownerAllowed(path, fi)
}

// tempPrefix is how the temporary files of a save of path begin
// (internal/atomicfile writes them).
func tempPrefix(path string) string {
	return "." + filepath.Base(path) + ".tmp-"
}

// removeStaleTemps removes the temporary files that saves of path killed
// before their rename left behind: each holds cookie values. The caller
// holds the file's lock, so no save is writing one. Only regular files of
// the caller's are removed.
func removeStaleTemps(path string) {
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

// probeLockFile creates the lock file at path if it is missing, to tell at
// once whether saves will be able to: never through a link, and only as a
// regular file.
func probeLockFile(path string) error {
	if err := checkLockPath(path); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR|openNoFollow, filePerm)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	return regular(path, fi)
}
