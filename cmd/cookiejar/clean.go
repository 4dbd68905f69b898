package main

import (
	"fmt"
	"io"
	"os"

	"github.com/httpsession/httpsession"
)

const cleanHelp = `clean rewrites FILE without its expired cookies and, with -session, without
its session cookies (those with no expiry, which a browser forgets when it
closes). The file keeps its format, detected from its content: native
JSON, cookies.txt, Playwright's storageState (whose "origins" are kept),
the Cookie-Editor extensions' JSON or CDP cookies. It is replaced
atomically and keeps its permissions.

Expired cookies are dropped whenever a file is loaded, so -expired only
says so explicitly; a native file remembers them as deleted, so that an
older copy elsewhere cannot come back. Session cookies removed with
-session are deleted the same way. Records that cannot be loaded are
reported (exit status 3) and kept in the file as they are, and so are the
comments of a cookies.txt file.

Examples:
  cookiejar clean cookies.txt
  cookiejar clean -session session.json
  cookiejar clean -session state.json
`

// runClean implements "cookiejar clean".
func runClean(args []string, stdout, stderr io.Writer) int {
	cmd := newSubcommand("clean", "clean [-expired] [-session] FILE", cleanHelp)
	cmd.flags.Bool("expired", false, "drop expired cookies (always done)")
	session := cmd.flags.Bool("session", false, "drop session cookies too")
	files, code, ok := cmd.parse(args, 1, stdout, stderr)
	if !ok {
		return code
	}
	path := files[0]
	// Load first: it refuses what is not a regular file (a FIFO would
	// block a plain read) and reports every failure as list and convert do.
	jar := newJar()
	code = loadInto(jar, path, stderr)
	if code == exitFailure {
		return code
	}
	format, err := detectFormat(path)
	if err != nil {
		return failFile(stderr, path, err)
	}
	removed := 0
	if *session {
		removed = jar.ClearSession()
	}
	if err := save(jar, path, format); err != nil {
		return failFile(stderr, path, err)
	}
	fmt.Fprintf(stdout, "%s: %s kept", path, plural(jar.Len(), "cookie"))
	if *session {
		fmt.Fprintf(stdout, ", %s removed", plural(removed, "session cookie"))
	}
	fmt.Fprintln(stdout)
	return code
}

// detectFormat returns the format of the file at path, by the rules the
// library reads files with (httpsession.DetectFormat); an empty file is an
// empty cookies.txt. Only a regular file is opened, so that a FIFO put in
// its place cannot block.
func detectFormat(path string) (httpsession.Format, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	if !fi.Mode().IsRegular() {
		return 0, fmt.Errorf("%w: %s is not a regular file", httpsession.ErrUnsafePath, path)
	}
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, httpsession.MaxFileSize))
	if err != nil {
		return 0, err
	}
	return httpsession.DetectFormat(data)
}

// plural writes a count and a noun, in the plural unless the count is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
