package cookiefile

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// ErrCorrupt is wrapped by the error for content that cannot be read as a
// cookie file at all. The root package's ErrCorrupt is this error.
var ErrCorrupt = errors.New("httpsession: corrupt cookie file")

// ErrInvalidCookie is wrapped by the reason a record could not be read as a
// cookie. The root package's ErrInvalidCookie is this error.
var ErrInvalidCookie = errors.New("httpsession: cookie refused")

// MaxSize is the most bytes of cookies.txt text the reader takes: the root
// package's MaxFileSize.
const MaxSize = 64 << 20

// Cookie is a cookie as a file gives it. Its fields are those of the root
// package's Cookie, in the same order, so that each converts to the other
// at no cost.
type Cookie struct {
	Name, Value string
	Quoted      bool
	Domain      string
	Path        string
	HostOnly    bool
	Secure      bool
	HttpOnly    bool
	SameSite    http.SameSite
	Partitioned bool
	Expires     time.Time
	Created     time.Time
	LastAccess  time.Time
}

// Record is one cookie of a file: the cookie, and what the native file
// keeps beside it. Decoded, it also knows where it stood in the file (see
// File.LineOf).
type Record struct {
	Cookie
	// Updated is the change time of the cookie's last set, as the native
	// file gives it (zero if it gives none); zero in the other formats.
	Updated time.Time
	// Seq breaks ties between equal creation times (native file only).
	Seq uint64
	// Partition is a Partitioned cookie's partition as the file writes
	// it: the native file's partition, or the top-level site another
	// program's format gives.
	Partition string

	line  int    // its line or record number; native: -1 - its index until resolved
	index int    // its place among the file's records, to carry it as it was
	raw   string // cookies.txt: the line as it was
}

// Tomb is one deletion the native file records: the identity of a cookie
// and the change time of its deletion, or of a set whose cookie has since
// expired (Set, with the digest of what was set).
type Tomb struct {
	Name, Domain, Path string
	HostOnly           bool
	Partition          string
	// Deleted is the change time of the deletion, or of the set.
	Deleted time.Time
	// Set marks a tombstone that records a set whose cookie has expired,
	// rather than a deletion; Sum is the digest of what was set.
	Set bool
	Sum uint64

	line  int // its line; -1 - its index until resolved
	index int // its place among the file's deletions, to carry it as it was
}

// LineError is one record of a file that was not loaded, and why: the root
// package's LineError, field for field.
type LineError struct {
	Line int
	Err  error
	// Record reports that Line numbers a record, not a line.
	Record bool
}

// Error says where, and why.
func (e *LineError) Error() string {
	if e.Record {
		return fmt.Sprintf("record %d: %v", e.Line, e.Err)
	}
	return fmt.Sprintf("line %d: %v", e.Line, e.Err)
}

// Unwrap returns the reason.
func (e *LineError) Unwrap() error { return e.Err }

// MaxLineErrors is how many records that could not be read or were
// refused a read of one file reports one by one. The others are counted
// in one more LineError (see AppendBad): a hostile file of millions of bad
// records costs no more memory than its own bytes.
const MaxLineErrors = 1000

// AppendBad adds le to the records of a file that were not loaded: the
// first MaxLineErrors as they are, then one LineError for all the others,
// at the line (or record number) of the first of them, with its reason
// wrapped in a *MoreErrors that counts them.
func AppendBad(bad []LineError, le LineError) []LineError {
	if len(bad) < MaxLineErrors {
		return append(bad, le)
	}
	if m, ok := bad[len(bad)-1].Err.(*MoreErrors); ok {
		m.N++
		return bad
	}
	le.Err = &MoreErrors{First: le.Err, N: 1}
	return append(bad, le)
}

// MoreErrors is the reason of the LineError that stands for the records
// past the first MaxLineErrors: the reason of the first of them, and how
// many there are. errors.Is and errors.As see the first one's reason.
type MoreErrors struct {
	First error
	N     int
}

// Error gives the first reason and counts the others.
func (e *MoreErrors) Error() string {
	if e.N == 1 {
		return e.First.Error()
	}
	return fmt.Sprintf("%v; and %d more record(s) not loaded, not listed one by one", e.First, e.N-1)
}

// Unwrap returns the first reason.
func (e *MoreErrors) Unwrap() error { return e.First }
