//go:build unix

package httpsession

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// openNoFollow makes an open fail on a symbolic link instead of following
// it, and return at once on a FIFO instead of waiting for a writer.
const openNoFollow = syscall.O_NOFOLLOW | syscall.O_NONBLOCK

// linkAllowed applies Linux's protected_symlinks rule to the link at p: in
// a world-writable sticky directory, a link is followed only if its owner
// is the caller or the directory's owner.
func linkAllowed(p string, link fs.FileInfo) error {
	dir, err := os.Stat(filepath.Dir(p))
	if err != nil {
		return err
	}
	dm := dir.Mode()
	if dm&fs.ModeSticky == 0 || dm.Perm()&0o002 == 0 {
		return nil
	}
	lst, ok1 := link.Sys().(*syscall.Stat_t)
	dst, ok2 := dir.Sys().(*syscall.Stat_t)
	if !ok1 || !ok2 {
		return nil
	}
	if lst.Uid == uint32(os.Geteuid()) || lst.Uid == dst.Uid {
		return nil
	}
	return fmt.Errorf("%w: %s is a symbolic link owned by another user (uid %d) in a shared directory", ErrUnsafePath, p, lst.Uid)
}

// ownedByCaller reports whether the caller owns the file.
func ownedByCaller(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && st.Uid == uint32(os.Geteuid())
}
