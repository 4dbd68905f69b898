package httpsession

import (
	"cmp"
	"net/http"
	"strings"
	"time"

	"github.com/httpsession/httpsession/internal/cookiefile"
)

// Cookie is a stored cookie with every attribute the jar keeps
// (RFC 6265bis §5.7).
type Cookie struct {
	// Name and Value are as the server sent them, surrounding whitespace
	// removed. Name is empty for a "nameless" cookie, which is sent as its
	// value alone. Double quotes received around a value are part of it.
	Name, Value string
	// Quoted reports that Value is sent wrapped in double quotes. It is set
	// for cookies that came through net/http's parser (SetCookies), which
	// strips the quotes from Value and records them here, as http.Cookie
	// does.
	Quoted bool
	// Domain is the host (host-only cookies) or the domain the cookie is
	// sent to, in canonical form: lower case, punycode, without a leading
	// dot.
	Domain string
	// Path is the cookie's path; the cookie is sent to this path and below.
	Path string
	// HostOnly reports that the cookie goes to Domain exactly, not to its
	// subdomains.
	HostOnly bool
	// Secure cookies are sent only over https, wss or to a loopback host.
	Secure bool
	// HttpOnly is recorded but has no effect in a Go client: there is no
	// script to hide the cookie from.
	HttpOnly bool
	// SameSite is recorded; a client that is not a browser has no
	// cross-site context, so it does not limit sending. Zero means no
	// SameSite attribute was given.
	SameSite http.SameSite
	// Partitioned (CHIPS) is recorded; it requires Secure.
	Partitioned bool
	// Expires is when the cookie expires, or zero for a session cookie.
	Expires time.Time
	// Created is when the cookie was first stored; a replacement keeps the
	// creation time of the cookie it replaces (§5.7 step 23).
	Created time.Time
	// LastAccess is when the cookie was last stored or sent.
	LastAccess time.Time
}

// expired reports whether the cookie has expired at now (§5.7: expired
// cookies are evicted as soon as they are noticed).
func (c *Cookie) expired(now time.Time) bool {
	return !c.Expires.IsZero() && !c.Expires.After(now)
}

// headerValue writes the cookie as it appears in a Cookie header (§5.8.3
// step 4): "name=value", or the value alone for a nameless cookie.
func (c *Cookie) appendHeader(b *strings.Builder) {
	if c.Name != "" {
		b.WriteString(c.Name)
		b.WriteByte('=')
	}
	if c.Quoted {
		b.WriteByte('"')
		b.WriteString(c.Value)
		b.WriteByte('"')
		return
	}
	b.WriteString(c.Value)
}

// String returns the cookie as it appears in a Cookie header.
func (c Cookie) String() string {
	var b strings.Builder
	c.appendHeader(&b)
	return b.String()
}

// compareCookies orders cookies for All and for files: by domain, path, name,
// and host-only cookies after domain cookies, so that the order is stable
// and files diff well.
func compareCookies(a, b *Cookie) int {
	return cmp.Or(
		strings.Compare(a.Domain, b.Domain),
		strings.Compare(a.Path, b.Path),
		strings.Compare(a.Name, b.Name),
		compareBool(a.HostOnly, b.HostOnly),
	)
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

// MarshalJSON encodes the cookie as one record of the native cookie file
// (without the file's change time): every attribute, SameSite by name
// ("lax", "strict", "none", "default"), no "expires" for a session cookie,
// and base64 fields for bytes that are not UTF-8.
func (c Cookie) MarshalJSON() ([]byte, error) {
	return cookiefile.MarshalCookie((*cookiefile.Cookie)(&c))
}

// UnmarshalJSON decodes a cookie written by MarshalJSON, or a record of the
// native cookie file. The cookie is not checked against the cookie rules:
// Jar.Set does that.
func (c *Cookie) UnmarshalJSON(data []byte) error {
	d, err := cookiefile.UnmarshalCookie(data)
	if err != nil {
		return err
	}
	*c = Cookie(d)
	return nil
}
