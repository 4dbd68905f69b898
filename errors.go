package httpsession

import (
	"errors"
	"fmt"
	"strings"

	"github.com/httpsession/httpsession/internal/cookiefile"
)

// ErrCorrupt is wrapped by the error for a file that cannot be read as a
// cookie file at all: broken JSON, an unknown version, binary junk. Nothing
// from such a file is loaded, and Save refuses to overwrite it.
var ErrCorrupt = cookiefile.ErrCorrupt

// ErrLocked is wrapped by the error of a save that could not take the file's
// lock in time: another process holds it.
var ErrLocked = errors.New("httpsession: cookie file is locked")

// ErrFormat is wrapped by the error of a save that would replace a cookie
// file of another format: Save does not turn a cookies.txt or a Playwright
// file into the native JSON, nor SaveNetscape or ExportFile a file into
// another format, unless Overwrite is given.
var ErrFormat = errors.New("httpsession: cookie file is in the other format")

// PathError is the error of an operation on a cookie file, as
// *fs.PathError is of a file system operation: what was done (Op: "open",
// "load", "save", "export"), to which file (Path, as the caller named it),
// and why (Err, which the sentinel errors of this package are reached
// through with errors.Is). Its message has one "httpsession:" prefix,
// however deep the cause was wrapped.
type PathError struct {
	Op   string
	Path string
	Err  error
}

func (e *PathError) Error() string { return libPrefix + e.Op + " " + e.Path + ": " + e.Cause() }

// Unwrap returns the cause.
func (e *PathError) Unwrap() error { return e.Err }

// Cause is the cause's message without this package's prefixes: what
// went wrong, in words a program can show after its own name for the file.
func (e *PathError) Cause() string { return unprefixed(e.Err.Error()) }

// libPrefix begins every message of this package.
const libPrefix = "httpsession: "

// unprefixed removes the prefix of this package from the start of msg and
// of each of its parts (after ": ", "; ", "(" or a line break), so that a message wrapped
// several times says "httpsession:" once.
func unprefixed(msg string) string {
	msg = strings.TrimPrefix(msg, libPrefix)
	for _, sep := range []string{": ", "; ", "(", "\n"} {
		msg = strings.ReplaceAll(msg, sep+libPrefix, sep)
	}
	return msg
}

// RemedyError is an error whose message ends with what a Go program can
// do about it, naming the option that helps (Remedy: "ReplaceCorrupt",
// "ReadLarge"). A program that offers its own way (a command-line flag)
// reads it with errors.As and says it in its own words: Cause is the
// error without the remedy.
type RemedyError struct {
	Err    error
	Remedy string // the option that helps
	advice string // how the message says it
}

func (e *RemedyError) Error() string { return e.Err.Error() + " (" + e.advice + ")" }

// Unwrap returns the error without its remedy.
func (e *RemedyError) Unwrap() error { return e.Err }

// Cause is the error's message without the remedy and without this
// package's prefixes.
func (e *RemedyError) Cause() string { return unprefixed(e.Err.Error()) }

// pathError returns the error of op on path for the cause err.
func pathError(op, path string, err error) error {
	return &PathError{Op: op, Path: path, Err: err}
}

// LineError is one record of a cookie file that was not loaded, and why.
// Line counts from 1: the line of cookies.txt or of the native file where
// the record is, or, with Record set, the record's number in the cookie
// array of another program's JSON format (Playwright, Cookie-Editor, CDP),
// or the cookie's among the pairs of a Cookie header.
type LineError struct {
	Line int
	Err  error
	// Record reports that Line numbers a record, not a line: such files
	// are often written on one line.
	Record bool
}

func (e *LineError) Error() string {
	if e.Record {
		return fmt.Sprintf("record %d: %v", e.Line, e.Err)
	}
	return fmt.Sprintf("line %d: %v", e.Line, e.Err)
}

// Unwrap returns the reason.
func (e *LineError) Unwrap() error { return e.Err }

// FileError reports the records of a cookie file that were not loaded. The
// other records were loaded: one bad line does not cost the rest of a file.
// Lines lists the first 1,000 one by one; past them, its last LineError
// stands for all the others (its reason, that of the first of them, says
// how many), so that a hostile file cannot make the error as large as
// itself. Error counts them all.
type FileError struct {
	Path  string // empty when reading from an io.Reader
	Lines []LineError
}

func (e *FileError) Error() string {
	var b strings.Builder
	b.WriteString("httpsession: ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	n := len(e.Lines)
	for i := range e.Lines {
		var more *cookiefile.MoreErrors
		if errors.As(e.Lines[i].Err, &more) {
			n += more.N - 1 // one LineError stands for them all
		}
	}
	fmt.Fprintf(&b, "%d record(s) not loaded", n)
	for i := range e.Lines {
		if i == 10 {
			fmt.Fprintf(&b, "; and %d more", len(e.Lines)-i)
			break
		}
		b.WriteString("; ")
		b.WriteString(unprefixed(e.Lines[i].Error()))
	}
	return b.String()
}

// Unwrap returns the reasons, so that errors.Is(err, ErrInvalidCookie) holds
// when a record was refused by the cookie rules.
func (e *FileError) Unwrap() []error {
	errs := make([]error, len(e.Lines))
	for i := range e.Lines {
		errs[i] = &e.Lines[i]
	}
	return errs
}
