package httpsession

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/httpsession/httpsession/internal/cookiefile"
)

// The Netscape cookie file ("cookies.txt") is the format of curl's -b and -c,
// wget's --load-cookies, yt-dlp's --cookies and the browser extensions that
// export cookies for them (see internal/cookiefile for the format). Each
// cookie is one line of seven TAB-separated fields:
//
//	domain  include-subdomains  path  secure  expiry  name  value
//
// The format has no field for SameSite, Partitioned, or creation and access
// times; those are lost on the way through a file.

// WriteNetscape writes every unexpired cookie in the jar to w in the Netscape
// cookies.txt format, as curl writes it: session cookies with expiry 0,
// domain cookies with a leading dot and TRUE, host-only cookies with the bare
// host and FALSE, HttpOnly cookies behind the "#HttpOnly_" prefix. A quoted
// cookie is written with its quotes, so that readers send the same header.
//
// A cookie that holds a TAB, CR, LF or other control byte in any field would
// corrupt the line structure. Such cookies are skipped, the others written,
// and the returned error names each skipped cookie by domain, path and name.
// Values never appear in errors: they are credentials.
func (j *Jar) WriteNetscape(w io.Writer) error {
	return writeNetscape(w, j.All())
}

// writeNetscape writes cookies to w in the Netscape format, in the order
// given, and returns the write error and the skipped cookies together.
func writeNetscape(w io.Writer, cookies []Cookie) error {
	fc := make([]cookiefile.Cookie, len(cookies))
	for i := range cookies {
		fc[i] = cookiefile.Cookie(cookies[i])
	}
	skipped, err := cookiefile.EncodeNetscape(w, nil, fc)
	if err != nil {
		return errors.Join(err, skipped)
	}
	return skipped
}

// ReadNetscape reads cookies in the Netscape cookies.txt format from r and
// adds them to the jar, as curl, wget, yt-dlp and browser extensions write
// them. Each record goes through Set, so it is checked as a cookie from a
// server would be: public suffixes, name prefixes, sizes.
//
// Reading is liberal: the header is optional, CRLF line ends and a last line
// without a newline are fine, blank and comment lines are skipped,
// TRUE/FALSE may be in any case, a line of six fields has an empty value,
// an empty or 0 expiry means a session cookie and a fractional one is
// truncated. Records that have already expired are dropped silently.
//
// A bad record does not stop the others: they are loaded, and the error is a
// *FileError whose Lines give each bad line's number and reason (past the
// first thousand, one LineError stands for the others, at the line of the
// first of them, and counts them). A file that
// holds a NUL byte is not a cookie file: the error wraps ErrCorrupt and
// nothing is loaded.
func (j *Jar) ReadNetscape(r io.Reader) error {
	text, err := readText(r)
	if err != nil {
		return fmt.Errorf("httpsession: reading Netscape cookies: %w", err)
	}
	f, err := cookiefile.DecodeNetscape(text)
	if err != nil {
		return err
	}
	j.addNetscape(f)
	return fileError(f, "")
}

// readText reads all of r, at most MaxFileSize+1 bytes, into one string,
// copied once when r tells its length (a bytes.Reader does).
func readText(r io.Reader) (string, error) {
	var b strings.Builder
	if l, ok := r.(interface{ Len() int }); ok {
		b.Grow(min(l.Len(), MaxFileSize+1))
	}
	_, err := io.Copy(&b, io.LimitReader(r, MaxFileSize+1))
	return b.String(), err
}

// addNetscape stores the cookies read from a cookies.txt file through Set,
// and reports the refused ones in f. Records that have expired by the
// jar's clock are skipped rather than stored: through Set, an expired
// cookie would delete a live cookie of the same identity, and a stale line
// in a file is no reason to log anyone out.
func (j *Jar) addNetscape(f *cookiefile.File) {
	now := j.clock()
	for i := range f.Records {
		r := &f.Records[i]
		c := (*Cookie)(&r.Cookie)
		if c.expired(now) {
			continue
		}
		if err := j.Set(*c); err != nil {
			f.Refuse(r, err)
		}
	}
}
