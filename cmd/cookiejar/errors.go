package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/httpsession/httpsession"
)

// prefix starts every error line that cookiejar prints, once.
const prefix = "cookiejar: "

// libPrefix starts every error of the httpsession library; an error that
// wraps another repeats it.
const libPrefix = "httpsession: "

// errOutputExists is the failure of a conversion to a file that exists,
// without -f.
var errOutputExists = errors.New("file exists; use -f to replace it")

// failFile reports on stderr that the work on the file at path failed with
// err, in the same words whichever command failed, and returns exitFailure.
func failFile(stderr io.Writer, path string, err error) int {
	fmt.Fprintln(stderr, fileMessage(path, err))
	return exitFailure
}

// fail reports err, which concerns no file in particular, on stderr and
// returns exitFailure.
func fail(stderr io.Writer, err error) int {
	fmt.Fprintln(stderr, prefix+oneLine(stripLib(err.Error(), "")))
	return exitFailure
}

// fileMessage is the line that reports err for the file at path:
//
//	cookiejar: FILE: REASON
//
// REASON is built from the kind of failure (the library's sentinel errors,
// fs.ErrNotExist, fs.ErrPermission) rather than from how deep the error was
// wrapped, so that the same failure reads the same in every command. It
// holds no cookie value: the library never puts one in an error.
func fileMessage(path string, err error) string {
	return prefix + printable(path) + ": " + oneLine(describe(path, err))
}

// describe says what went wrong with the file at path, without a prefix and
// without repeating the path itself. The library's errors are read by
// their types (errors.As): a *httpsession.FileError counts the records not
// loaded, a *httpsession.FormatError is worded with this command's flags,
// a *httpsession.PathError gives its cause in the library's words with one
// prefix, none here.
func describe(path string, err error) string {
	var fe *httpsession.FileError
	if errors.As(err, &fe) {
		return recordsNotLoaded(fe)
	}
	var fmtErr *httpsession.FormatError
	if errors.As(err, &fmtErr) {
		return fmt.Sprintf("the file is in the %v format, not %v: use -f to replace it, or -to %v to keep its format",
			fmtErr.Found, fmtErr.Want, fmtErr.Found)
	}
	var re *httpsession.RemedyError
	if errors.As(err, &re) {
		// The library's remedy names a Go option: say this tool's.
		switch re.Remedy {
		case "ReplaceCorrupt":
			return re.Cause() + " (not overwritten; use -f to replace it)"
		case "ReadLarge":
			return re.Cause() + " (this tool reads cookie files up to that size)"
		}
		return re.Cause()
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "no such file or directory" + otherPath(path, err)
	case errors.Is(err, fs.ErrPermission):
		return "permission denied" + otherPath(path, err)
	}
	var pe *httpsession.PathError
	var ope *fs.PathError
	switch {
	case errors.As(err, &pe) && (librarySentinel(err) || !errors.As(err, &ope)):
		return pe.Cause()
	case errors.As(err, &ope):
		// The system's words, and the file they are about if not this
		// one (a temporary file, a lock file).
		return stripLib(ope.Err.Error(), path) + otherPath(path, err)
	}
	return stripLib(err.Error(), path)
}

// librarySentinel reports whether err wraps one of the library's sentinel
// errors, whose words the library's message holds.
func librarySentinel(err error) bool {
	for _, kind := range []error{httpsession.ErrCorrupt, httpsession.ErrUnsafePath, httpsession.ErrLocked, httpsession.ErrFormat, httpsession.ErrTooLarge} {
		if errors.Is(err, kind) {
			return true
		}
	}
	return false
}

// recordsNotLoaded words a *httpsession.FileError: how many records were
// not loaded, and the first reasons.
func recordsNotLoaded(fe *httpsession.FileError) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d record(s) not loaded", len(fe.Lines))
	for i, le := range fe.Lines {
		if i == 3 {
			fmt.Fprintf(&b, "; and %d more", len(fe.Lines)-i)
			break
		}
		b.WriteString("; ")
		if le.Record {
			b.WriteString("record " + strconv.Itoa(le.Line) + ": ")
		} else if le.Line > 0 {
			b.WriteString("line " + strconv.Itoa(le.Line) + ": ")
		}
		b.WriteString(stripLib(le.Err.Error(), fe.Path))
	}
	return b.String()
}

// otherPath names the file an error is about, in parentheses, when it is
// not the file at path: a missing directory on the way to it, its lock file,
// the temporary file of a save. It is empty when the error names no file or
// names this one.
func otherPath(path string, err error) string {
	var pe *fs.PathError
	if !errors.As(err, &pe) || pe.Path == "" || samePath(path, pe.Path) {
		return ""
	}
	return " (" + printable(pe.Path) + ")"
}

// samePath reports whether a and b name the same file: the library reports
// the path it resolved, absolute and with links followed.
func samePath(a, b string) bool {
	return resolved(a) == resolved(b)
}

// resolved returns path made absolute, with the links of its directory
// followed and, if it is a link, its own.
func resolved(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return path
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		return r
	}
	if dir, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		return filepath.Join(dir, filepath.Base(abs))
	}
	return abs
}

// stripLib removes the library's prefixes from an error text: the
// "httpsession: " that starts it and each nested part, and the
// "load FILE: " and "save FILE: " that name the file the caller names
// already. Only whole prefixes are removed, where a part of the message
// starts (at the start, or after ": ", "; " or a line break), never text
// inside a part.
func stripLib(text, path string) string {
	var b strings.Builder
	partStart := true
	for i := 0; i < len(text); {
		if partStart && strings.HasPrefix(text[i:], libPrefix) {
			i += len(libPrefix)
			continue
		}
		partStart = false
		for _, sep := range []string{": ", "; ", "\n"} {
			if strings.HasPrefix(text[i:], sep) {
				partStart = true
				b.WriteString(sep)
				i += len(sep)
				break
			}
		}
		if !partStart {
			b.WriteByte(text[i])
			i++
		}
	}
	s := b.String()
	if path != "" {
		for _, op := range []string{"load ", "save "} {
			s = strings.TrimPrefix(s, op+path+": ")
		}
	}
	return s
}

// oneLine keeps a message on one line: the parts of a joined error are
// separated by "; ".
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' }), "; ")
}
