package safefile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// maxLinks bounds how many symbolic links Resolve follows, as the kernel's
// own limit does.
const maxLinks = 40

// Resolve returns the file that path names, following symbolic links only
// where Linux's protected_symlinks rule would: a link in a directory that
// is world-writable and sticky (such as /tmp) is followed only if it
// belongs to the caller or to the directory's owner, so that another user
// cannot point the caller's file at another file of the caller's. The
// result may not exist yet; if it does, it is a regular file, and in such a
// shared directory one of the caller's or the directory owner's
// (protected_regular), so that another user cannot plant a file, or a hard
// link to one, for the caller to read.
//
// A refusal wraps ErrUnsafePath; a missing directory on the way gives an
// error for which errors.Is(err, fs.ErrNotExist) holds.
func Resolve(path string) (string, error) {
	if path == "" {
		return "", unsafePath("empty path")
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
			return "", unsafePath("%s: too many levels of symbolic links", path)
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
	if err := Regular(cur, fi); err != nil {
		return "", err
	}
	if strings.HasSuffix(path, string(filepath.Separator)) {
		return "", unsafePath("%s names a directory, and %s is a file", path, cur)
	}
	return cur, ownerAllowed(cur, fi)
}

// splitPath splits a path into its components.
func splitPath(p string) []string {
	return strings.FieldsFunc(p, func(r rune) bool { return os.IsPathSeparator(uint8(r)) })
}

// Regular returns an error wrapping ErrUnsafePath unless fi, the
// information of the file at path, is that of a regular file. The error
// says what the file is instead ("/tmp/x is a FIFO").
func Regular(path string, fi fs.FileInfo) error {
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
	return unsafePath("%s is %s", path, kind)
}
