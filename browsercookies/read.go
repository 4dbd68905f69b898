package browsercookies

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/httpsession/httpsession"
	"golang.org/x/net/publicsuffix"
)

// Errors wrapped by the reasons in the returned *httpsession.FileError.
var (
	// ErrDecrypt: the value could not be decrypted with any key there
	// was (a wrong key, or damaged data).
	ErrDecrypt = errors.New("browsercookies: value could not be decrypted")
	// ErrNoKey: the value is encrypted with a key that could not be had,
	// such as a v11 value with no Secret Service running.
	ErrNoKey = errors.New("browsercookies: no key for the value's encryption")
	// ErrAppBound: a "v20" value, Chrome's app-bound encryption, which
	// only the browser itself can decrypt.
	ErrAppBound = errors.New("browsercookies: app-bound (v20) encryption can only be decrypted by the browser itself")
	// ErrUnknownEncryption: a value with an encryption prefix this
	// package does not know.
	ErrUnknownEncryption = errors.New("browsercookies: unknown encryption")
	// ErrOutOfRange: a field holds a value no browser writes (a time out
	// of range, an unknown SameSite code, a wrong type).
	ErrOutOfRange = errors.New("browsercookies: field out of range")
	// ErrForeignPartition: the cookie is partitioned under another
	// top-level site than its own (a third-party cookie kept for one
	// embedding site). A jar's partitions are always the request's own
	// site, so the cookie cannot be held.
	ErrForeignPartition = errors.New("browsercookies: partitioned under another top-level site")
	// ErrDuplicate: another row holds a cookie of the same identity (name,
	// domain, path, host-only, partition), as when two partition keys
	// differ only in their scheme; the newer cookie is returned.
	ErrDuplicate = errors.New("browsercookies: another row holds a cookie of the same name, domain and path")
)

// Read returns the cookies of a browser profile. spec is a browser name
// ("chromium", "chrome", "firefox", ...), name:profile, or a path to a
// profile directory, a browser's user-data directory, or a cookie database.
//
// The cookies that could not be read are reported in the error, a
// *httpsession.FileError; the others are returned with it. Any other error
// means nothing was read.
func Read(ctx context.Context, spec string) ([]httpsession.Cookie, error) {
	rows, _, err := readRows(ctx, spec)
	return cookiesOf(rows), err
}

// readRows is Read, keeping each cookie's row, and the database read.
func readRows(ctx context.Context, spec string) ([]row, string, error) {
	if ctx == nil {
		return nil, "", errors.New("browsercookies: nil context")
	}
	src, err := resolve(spec)
	if err != nil {
		return nil, "", err
	}
	rows, err := src.read(ctx)
	return rows, src.db, err
}

// source is a resolved spec: one cookie database and how to read it.
type source struct {
	kind      string // "firefox" or "chromium"
	db        string // the cookie database
	browser   *browser
	userData  string // Chromium: the user-data directory (Local State), if known
	container string // Firefox: the container asked for, "" for none
	profile   string // the profile directory, for messages and containers.json
}

func (s *source) read(ctx context.Context) ([]row, error) {
	db, closeDB, err := openCopy(ctx, s.db)
	if err != nil {
		return nil, err
	}
	defer closeDB()
	if s.kind == "" {
		if s.kind, err = sniff(ctx, db, s.db); err != nil {
			return nil, err
		}
		if s.kind == "chromium" {
			if s.container != "" {
				return nil, fmt.Errorf("browsercookies: %s: containers are Firefox's", s.db)
			}
			s.userData = chromiumUserDataOf(s.db)
		}
	}
	var recs []record
	switch s.kind {
	case "firefox":
		recs, err = readFirefoxDB(ctx, db, s)
	default:
		recs, err = readChromiumDB(ctx, db, s, newDecryptor(s))
	}
	if err != nil {
		return nil, err
	}
	return validateRows(recs, s.db, time.Now())
}

// record is one row of a browser's database, read into a cookie, or the
// reason it could not be.
type record struct {
	line int // the row id
	c    httpsession.Cookie
	// partition is the host of the top-level site the cookie is
	// partitioned under, "" for none.
	partition string
	err       error
}

// validate puts each record through a jar's rules, as if a server had sent
// the cookie, and returns the accepted cookies in their canonical form,
// ordered as a jar orders them, and a *httpsession.FileError naming the
// others.
func validate(recs []record, path string, now time.Time) ([]httpsession.Cookie, error) {
	rows, err := validateRows(recs, path, now)
	return cookiesOf(rows), err
}

// row is an accepted cookie and the row it was read from.
type row struct {
	c    httpsession.Cookie
	line int
}

func cookiesOf(rows []row) []httpsession.Cookie {
	if rows == nil {
		return nil
	}
	out := make([]httpsession.Cookie, len(rows))
	for i, r := range rows {
		out[i] = r.c
	}
	return out
}

// validateRows is validate, keeping each cookie's row.
func validateRows(recs []record, path string, now time.Time) ([]row, error) {
	var out []row
	var bad []httpsession.LineError
	seen := map[identity]int{}
	for _, r := range recs {
		if r.err == nil && r.partition != "" && siteOf(r.partition) != siteOf(r.c.Domain) {
			r.err = ErrForeignPartition
		}
		if r.err != nil {
			bad = append(bad, httpsession.LineError{Line: r.line, Err: describe(&r.c, r.err)})
			continue
		}
		if !r.c.Expires.IsZero() && !r.c.Expires.After(now) {
			continue // expired: dead in the browser too
		}
		jar := httpsession.NewJar(httpsession.WithClock(func() time.Time { return now }))
		if err := jar.Set(r.c); err != nil {
			bad = append(bad, httpsession.LineError{Line: r.line, Err: describe(&r.c, err)})
			continue
		}
		all := jar.All()
		if len(all) != 1 {
			continue // expired between the check and Set: cannot happen with a fixed clock
		}
		c := row{all[0], r.line}
		// Two rows of one identity (partition keys that differ only in
		// their scheme): the newer is kept, the other reported.
		id := identity{c.c.Name, c.c.Domain, c.c.Path, c.c.HostOnly, c.c.Partitioned}
		if i, dup := seen[id]; dup {
			keep, drop := c, out[i]
			if !c.c.Created.After(out[i].c.Created) {
				keep, drop = drop, keep
			}
			out[i] = keep
			bad = append(bad, httpsession.LineError{Line: drop.line, Err: describe(&drop.c, fmt.Errorf("%w (row %d, kept)", ErrDuplicate, keep.line))})
			continue
		}
		seen[id] = len(out)
		out = append(out, c)
	}
	slices.SortStableFunc(out, func(x, y row) int {
		a, b := x.c, y.c
		return cmp.Or(strings.Compare(a.Domain, b.Domain), strings.Compare(a.Path, b.Path),
			strings.Compare(a.Name, b.Name), compareBool(a.HostOnly, b.HostOnly))
	})
	if len(bad) > 0 {
		slices.SortStableFunc(bad, func(a, b httpsession.LineError) int { return cmp.Compare(a.Line, b.Line) })
		return out, &httpsession.FileError{Path: path, Lines: bad}
	}
	return out, nil
}

// identity is what makes two cookies one in a jar (RFC 6265bis §5.7 step
// 23, and the partition for a Partitioned cookie, which Read keeps only
// under the cookie's own site).
type identity struct {
	name, domain, path    string
	hostOnly, partitioned bool
}

func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

// cookieError names the cookie a reason is about: its name and domain,
// never its value.
type cookieError struct {
	name, domain string
	err          error
}

func (e *cookieError) Error() string {
	return fmt.Sprintf("cookie %q for %q: %v", e.name, e.domain, e.err)
}

func (e *cookieError) Unwrap() error { return e.err }

func describe(c *httpsession.Cookie, err error) error {
	if c.Name == "" && c.Domain == "" {
		return err
	}
	return &cookieError{name: printable(c.Name), domain: printable(c.Domain), err: err}
}

// printable keeps a name from a damaged database from garbling a message.
func printable(s string) string {
	const max = 100
	if len(s) > max {
		s = s[:max] + "..."
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// siteOf returns the registrable domain of host (its site), or host itself
// for an IP address, a single label or a public suffix.
func siteOf(host string) string {
	host = strings.ToLower(strings.TrimPrefix(host, "."))
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if net.ParseIP(host) != nil {
		return host
	}
	if site, err := publicsuffix.EffectiveTLDPlusOne(host); err == nil {
		return site
	}
	return host
}

// home returns the user's home directory.
func home() (string, error) {
	h, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("browsercookies: %w", err)
	}
	return h, nil
}

// isPathSpec reports whether spec is written as a path rather than a
// browser name.
func isPathSpec(spec string) bool {
	if filepath.IsAbs(spec) || strings.HasPrefix(spec, ".") || strings.HasPrefix(spec, "~") {
		return true
	}
	if strings.ContainsRune(spec, '/') || strings.ContainsRune(spec, filepath.Separator) {
		// "chrome:Profile 1" has no slash; "firefox:work" neither.
		name, _, _ := strings.Cut(spec, ":")
		return lookupBrowser(name) == nil
	}
	return false
}
