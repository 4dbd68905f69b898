package httpsession

import (
	"slices"
	"strings"
	"time"
)

// All returns every unexpired cookie with all its attributes, ordered by
// domain, path and name. The result is a copy: changing it does not change
// the jar.
func (j *Jar) All() []Cookie {
	j.refresh()
	j.mu.Lock()
	defer j.unlock()
	j.purgeExpired(j.clock())
	entries := j.sortedEntries(nil)
	out := make([]Cookie, len(entries))
	for i, e := range entries {
		out[i] = e.Cookie
	}
	return out
}

// sortedEntries returns the cookies for which keep is true (all of them if
// keep is nil) in the order of compareCookies. The store keeps cookies by
// domain, so it sorts the domains, then each domain's few cookies: far
// fewer comparisons than sorting every cookie against every other. The
// caller holds j.mu.
func (j *Jar) sortedEntries(keep func(*entry) bool) []*entry {
	domains := j.store.domainNames()
	slices.Sort(domains)
	out := make([]*entry, 0, j.store.len())
	for _, d := range domains {
		start := len(out)
		for _, e := range j.store.domain(d) {
			if keep == nil || keep(e) {
				out = append(out, e)
			}
		}
		slices.SortFunc(out[start:], func(a, b *entry) int { return compareCookies(&a.Cookie, &b.Cookie) })
	}
	return out
}

// Len returns the number of unexpired cookies in the jar.
func (j *Jar) Len() int {
	j.refresh()
	j.mu.Lock()
	defer j.unlock()
	j.purgeExpired(j.clock())
	return j.store.len()
}

// purgeExpired removes every expired cookie. The caller holds j.mu.
func (j *Jar) purgeExpired(now time.Time) {
	for _, e := range j.selectEntries(func(e *entry) bool { return e.expired(now) }) {
		j.expire(e)
	}
}

// removeIf removes, as changes made now, the cookies for which match is
// true and returns how many. The caller holds j.mu.
func (j *Jar) removeIf(now time.Time, match func(*entry) bool) int {
	entries := j.selectEntries(match)
	for _, e := range entries {
		j.drop(e, now)
	}
	return len(entries)
}

// selectEntries returns the cookies for which match is true. The caller
// holds j.mu.
func (j *Jar) selectEntries(match func(*entry) bool) []*entry {
	var out []*entry
	j.store.each(func(e *entry) bool {
		if match(e) {
			out = append(out, e)
		}
		return true
	})
	return out
}

// Set stores c directly, as Python's RequestsCookieJar.set does, after the
// same checks a cookie from a server gets, as if https://c.Domain had sent
// it: no domain cookie on a public suffix, the __Secure- and __Host-
// prefixes, SameSite=None and Partitioned need Secure, sizes. Domain is
// required; an empty Path means "/". A zero Created is now; a zero
// LastAccess is now. Expires in the past deletes the cookie with c's
// identity, as from a server. The error wraps ErrInvalidCookie.
func (j *Jar) Set(c Cookie) error {
	j.mu.Lock()
	defer j.unlock()
	now := j.clock()
	e, expired, err := j.prepare(&c, "", now)
	if err != nil {
		return err
	}
	j.commit(&e, expired, time.Time{}, now)
	return nil
}

// Delete removes the cookie with this name, domain and path, whether it is
// host-only or a domain cookie, and reports whether there was one. A leading
// dot on domain is ignored.
//
// The deletion is a change made now to the cookie's identity, recorded even
// when this jar holds no such cookie: a later Save removes an older copy
// from the file, and a Replica removes it from the shared store, wherever
// it came from.
func (j *Jar) Delete(domain, path, name string) bool {
	domain, err := toASCII(strings.TrimPrefix(domain, "."))
	if err != nil {
		return false
	}
	j.mu.Lock()
	defer j.unlock()
	now := j.clock()
	var held []*entry
	for _, e := range j.store.domain(domain) {
		if e.Name == name && e.Path == path {
			held = append(held, e)
		}
	}
	for _, e := range held {
		j.drop(e, now)
	}
	if domain != "" && validHostChars(domain) && strings.HasPrefix(path, "/") {
		// The identities that were not held are deleted all the same:
		// host-only and domain cookie alike, unpartitioned and in the
		// partitions this client makes for the domain (its own site, over
		// https, or http for a loopback host).
		site := j.siteOf(domain)
		for _, partition := range [...]string{"", "https://" + site, "http://" + site} {
			for _, hostOnly := range [...]bool{true, false} {
				id := cookieID{name: name, domain: domain, path: path, hostOnly: hostOnly, partition: partition}
				if !slices.ContainsFunc(held, func(e *entry) bool { return e.is(id) }) {
					c := identCookie(id)
					j.deleted(id, &c, j.hist.stamp(now))
				}
			}
		}
	}
	return len(held) > 0
}

// DeleteDomain removes every cookie of domain and of its subdomains and
// returns how many it removed. A leading dot on domain is ignored.
func (j *Jar) DeleteDomain(domain string) int {
	domain, err := toASCII(strings.TrimPrefix(domain, "."))
	if err != nil {
		return 0
	}
	j.mu.Lock()
	defer j.unlock()
	return j.removeIf(j.clock(), func(e *entry) bool {
		return e.Domain == domain || strings.HasSuffix(e.Domain, "."+domain)
	})
}

// ClearSession removes every session cookie (those without Expires), as a
// browser does when it is closed, and returns how many it removed.
func (j *Jar) ClearSession() int {
	j.mu.Lock()
	defer j.unlock()
	return j.removeIf(j.clock(), func(e *entry) bool { return e.Expires.IsZero() })
}

// Clear removes every cookie the jar holds. Each removal is a change made
// now, so a later Save removes those cookies from the file too, and a
// Replica from the shared store. Cookies the jar never held (set by another
// process since this jar last loaded the file, or pushed out of this jar by
// its limits) are not touched.
func (j *Jar) Clear() {
	j.mu.Lock()
	defer j.unlock()
	j.removeIf(j.clock(), func(*entry) bool { return true })
}
