//go:build unix

package atomicfile

import (
	"io/fs"
	"os"
	"syscall"
)

// keepOwner gives the new file the owner and group of the file it replaces,
// where the caller may (root saving another user's file): otherwise the
// owner could no longer read their own file. It is best effort.
//
// Never in a world-writable sticky directory (/tmp): there a file of
// another user's may have been planted, and giving them our file would
// give them its content.
func keepOwner(f *os.File, old fs.FileInfo, dir string) {
	st, ok := old.Sys().(*syscall.Stat_t)
	if !ok || (int(st.Uid) == os.Geteuid() && int(st.Gid) == os.Getegid()) {
		return
	}
	if d, err := os.Stat(dir); err != nil || d.Mode()&fs.ModeSticky != 0 && d.Mode().Perm()&0o002 != 0 {
		return
	}
	_ = f.Chown(int(st.Uid), int(st.Gid))
}
