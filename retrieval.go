package httpsession

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// match appends to dst the cookies to send to u, in the order of §5.8.3
// step 2: longest path first, then earliest creation. With touch it updates
// their last-access time (§5.8.3 step 3). Callers pass a small array of
// their own as dst, so that a lookup need not allocate for its results.
// The caller holds j.mu.
func (j *Jar) match(dst []*entry, u *url.URL, now time.Time, touch bool) []*entry {
	if u == nil || !isCookieScheme(u.Scheme) {
		return dst
	}
	host, err := canonicalHost(u)
	if err != nil {
		return dst
	}
	secure := isSecureOrigin(u, host)
	path := requestPath(u)
	ip := isIP(host)
	partition := "" // the request's partition, worked out when first needed
	inPartition := func(e *entry) bool {
		if e.partition == "" {
			return true
		}
		if partition == "" {
			partition = j.partitionKey(webScheme(u.Scheme), host)
		}
		return e.partition == partition
	}
	out, start := dst, len(dst)
	var expired []*entry
	// §5.8.3 step 1: the cookies whose domain the host domain-matches sit
	// under the host itself and under its parent domains; nothing else needs
	// to be looked at.
	for d := host; ; d = parentDomain(d) {
		for _, e := range j.store.domain(d) {
			switch {
			case e.expired(now):
				expired = append(expired, e)
			case e.HostOnly && d != host:
			case e.Secure && !secure:
			case !pathMatch(path, e.Path):
			case !inPartition(e):
			default:
				out = append(out, e)
			}
		}
		if ip || d == "" || !strings.Contains(d, ".") {
			break
		}
	}
	for _, e := range expired {
		j.expire(e)
	}
	slices.SortFunc(out[start:], func(a, b *entry) int {
		if c := cmp.Compare(len(b.Path), len(a.Path)); c != 0 {
			return c
		}
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return cmp.Compare(a.seq, b.seq)
	})
	if touch {
		for _, e := range out[start:] {
			e.LastAccess = now
		}
	}
	return out
}

// matchBuf is the size of the array a lookup collects its cookies in before
// it needs the heap: more cookies than this rarely go to one URL.
const matchBuf = 32

// Cookies returns the cookies to send in a request to u, in the order of
// RFC 6265bis §5.8.3. It implements http.CookieJar. Only Name, Value and
// Quoted are set. net/http drops bytes it does not allow from the values it
// sends; CookieHeader gives the exact header instead.
func (j *Jar) Cookies(u *url.URL) []*http.Cookie {
	j.refresh()
	var buf [matchBuf]*entry
	j.mu.Lock()
	defer j.unlock()
	entries := j.match(buf[:0], u, j.clock(), true)
	if len(entries) == 0 {
		return nil
	}
	// One allocation for the cookies and one for the pointers to them, not
	// one per cookie.
	cookies := make([]http.Cookie, len(entries))
	out := make([]*http.Cookie, len(entries))
	for i, e := range entries {
		hc := &cookies[i]
		hc.Name, hc.Value, hc.Quoted = e.Name, e.Value, e.Quoted
		// A value received with its quotes is handed to net/http the way
		// net/http's own parser would have: quotes off, Quoted set.
		if v := e.Value; !e.Quoted && len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
			hc.Value, hc.Quoted = v[1:len(v)-1], true
		}
		out[i] = hc
	}
	return out
}

// CookieHeader returns the value of the Cookie header to send in a request to
// u, exactly as RFC 6265bis §5.8.3 step 4 serialises it, or "" when no cookie
// applies. Nameless cookies are sent as their value alone.
func (j *Jar) CookieHeader(u *url.URL) string {
	j.refresh()
	var buf [matchBuf]*entry
	j.mu.Lock()
	defer j.unlock()
	entries := j.match(buf[:0], u, j.clock(), true)
	var b strings.Builder
	b.Grow(headerLen(entries))
	for i, e := range entries {
		if i > 0 {
			b.WriteString("; ")
		}
		e.appendHeader(&b)
	}
	return b.String()
}

// headerLen returns at least the length of the Cookie header that holds
// entries, for the builder to allocate once.
func headerLen(entries []*entry) int {
	n := 2 * max(len(entries)-1, 0) // the "; " between cookies
	for _, e := range entries {
		n += len(e.Name) + 1 + len(e.Value) + 2 // '=' and quotes, at most
	}
	return n
}

// Get returns the cookie named name that a request to u would carry, the
// first in sending order if several have that name. It does not count as an
// access.
func (j *Jar) Get(u *url.URL, name string) (Cookie, bool) {
	j.refresh()
	j.mu.Lock()
	defer j.unlock()
	var buf [matchBuf]*entry
	for _, e := range j.match(buf[:0], u, j.clock(), false) {
		if e.Name == name {
			return e.Cookie, true
		}
	}
	return Cookie{}, false
}
