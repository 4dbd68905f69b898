//go:build unix

package safefile

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

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

// plantedCheck refuses fi, the file or link at p that is what, if another
// user planted it in a world-writable sticky directory.
func plantedCheck(p string, fi fs.FileInfo, what string) error {
	dir, err := os.Stat(filepath.Dir(p))
	if err != nil {
		return err
	}
	if !shared(dir) {
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
	return unsafePath("%s is %s owned by another user (uid %d) in a shared directory", p, what, st.Uid)
}

// shared reports whether dir is world-writable and sticky, as /tmp is.
func shared(dir fs.FileInfo) bool {
	m := dir.Mode()
	return m&fs.ModeSticky != 0 && m.Perm()&0o002 != 0
}

// ownedByCaller reports whether the caller owns the file.
func ownedByCaller(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && st.Uid == uint32(os.Geteuid())
}

// keepOwner gives the new file the owner and group of the file it replaces,
// where the caller may (root saving another user's file): otherwise the
// owner could no longer read their own file. It is best effort.
//
// Never in a world-writable sticky directory (/tmp): there a file of
// another user's may have been planted, and giving them the new file would
// give them its content.
func keepOwner(f *os.File, old fs.FileInfo, dir string) {
	st, ok := old.Sys().(*syscall.Stat_t)
	if !ok || (int(st.Uid) == os.Geteuid() && int(st.Gid) == os.Getegid()) {
		return
	}
	if d, err := os.Stat(dir); err != nil || shared(d) {
		return
	}
	_ = f.Chown(int(st.Uid), int(st.Gid))
}
