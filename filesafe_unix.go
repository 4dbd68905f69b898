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
	return plantedCheck(p, link, "a symbolic link")
}

// ownerAllowed applies Linux's protected_regular rule to the existing file
// at p: in a world-writable sticky directory, a file that another user
// planted there (not the caller's, not the directory owner's) is neither
// read nor replaced.
func ownerAllowed(p string, fi fs.FileInfo) error {
	return plantedCheck(p, fi, "a file")
}

func plantedCheck(p string, fi fs.FileInfo, what string) error {
	dir, err := os.Stat(filepath.Dir(p))
	if err != nil {
		return err
	}
	dm := dir.Mode()
	if dm&fs.ModeSticky == 0 || dm.Perm()&0o002 == 0 {
		return nil
	}
	st, ok1 := fi.Sys().(*syscall.Stat_t)
	dst, ok2 := dir.Sys().(*syscall.Stat_t)
	if !ok1 || !ok2 {
		return nil
	}
	if st.Uid == uint32(os.Geteuid()) || st.Uid == dst.Uid {
		return nil
	}
	return fmt.Errorf("%w: %s is %s owned by another user (uid %d) in a shared directory", ErrUnsafePath, p, what, st.Uid)
}

// ownedByCaller reports whether the caller owns the file.
func ownedByCaller(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && st.Uid == uint32(os.Geteuid())
}
