package httpsession

import (
	"net"
	"net/http"
	"slices"
	"strings"
	"time"
)

// store1 runs the storage model of RFC 6265bis §5.7 for one cookie received
// from o, and returns why a cookie was refused. A cookie it stores is a
// change made now. The caller holds j.mu.
//
// A cookie that is already expired deletes the copy the client had when it
// sent the request (serverDelete), and sent is the Cookie header the
// request carried (nil when unknown).
func (j *Jar) store1(o origin, c setCookie, now time.Time, sent *string) error {
	e, expired, err := j.rules(o, c, now)
	if err != nil {
		return err
	}
	if expired {
		j.serverDelete(&e, now, sent)
		return nil
	}
	j.commit(&e, false, time.Time{}, now)
	return nil
}

// serverDelete applies a deletion a server sent (an expired cookie, §5.7)
// to the copy of the cookie it was about: the one the request carried.
//
// A server deletes what it was sent; it cannot mean a copy it never saw.
// So the deletion is a change made at the time of the change that stored
// the copy this jar holds, not one made now: at that tie the deletion wins
// (history.go), and any newer copy set elsewhere in the meantime (another
// process's fresh login, written to the shared file or to Redis) wins over
// the deletion wherever the two meet. When the request carried a value of
// that name that is not what the jar holds now (a concurrent response
// replaced or deleted it), the deletion is about that older copy and
// changes nothing; so is a deletion of a cookie the request did not carry
// and the jar does not hold. With sent unknown (SetRawCookies), a deletion
// of a cookie the jar does not hold is recorded as a change made now. The
// caller holds j.mu.
//
// The price: another jar that refreshed the very same value after this jar
// last saw it (a sliding expiry) keeps it. The server has ended that
// session anyway, and the next request finds itself logged out.
func (j *Jar) serverDelete(e *entry, now time.Time, sentHeader *string) {
	// Parsed only here: most responses delete nothing.
	var sent []*http.Cookie
	if sentHeader != nil && *sentHeader != "" {
		sent = parseCookieHeader(*sentHeader)
	}
	old := j.store.get(e.id())
	if old == nil {
		if sentHeader != nil {
			// Not held: either the copy the request carried is gone
			// already (an earlier response deleted or replaced it), or
			// the server deletes a cookie it was never sent.
			return
		}
		j.commit(e, true, time.Time{}, now)
		return
	}
	if carriedOther(sent, &old.Cookie) {
		return
	}
	j.commit(e, true, old.updated, now)
}

// carriedOther reports whether the request carried a cookie named like c
// but never c's own value: it was sent before c replaced that value. sent
// holds the pairs of the Cookie header as written (quotes included).
func carriedOther(sent []*http.Cookie, c *Cookie) bool {
	value := c.Value
	if c.Quoted {
		value = `"` + value + `"`
	}
	named := false
	for _, s := range sent {
		if s.Name != c.Name {
			continue
		}
		if s.Value == value {
			return false
		}
		named = true
	}
	return named
}

// rules applies the storage model of RFC 6265bis §5.7 to one cookie received
// from o, without storing it: it returns the entry to store, or reports that
// the cookie is already expired (a deletion of its identity), or why the
// cookie is refused. The caller holds j.mu.
func (j *Jar) rules(o origin, c setCookie, now time.Time) (e entry, expired bool, err error) {
	// §5.7 steps 2 to 4 were applied by the parser; check size again for
	// cookies that reach here another way.
	if len(c.name)+len(c.value) > maxNameValueBytes {
		return e, false, errTooLarge
	}
	e = entry{Cookie: Cookie{
		Name:        c.name,
		Value:       c.value,
		Quoted:      c.quoted,
		Secure:      c.secure,
		HttpOnly:    c.httpOnly,
		SameSite:    c.sameSite,
		Partitioned: c.partitioned,
		Created:     now,
		LastAccess:  now,
	}}
	// §5.7 step 6: Max-Age wins over Expires; either is capped at the
	// cookie-age-limit of 400 days (§5.5).
	switch {
	case c.hasMaxAge:
		if c.maxAge <= 0 {
			expired = true
			break
		}
		e.Expires = now.Add(maxAge)
		if c.maxAge < int64(maxAge/time.Second) {
			e.Expires = now.Add(time.Duration(c.maxAge) * time.Second)
		}
	case !c.expires.IsZero():
		e.Expires = c.expires.UTC()
		if limit := now.Add(maxAge); e.Expires.After(limit) {
			e.Expires = limit
		}
		expired = !e.Expires.After(now)
	}
	// §5.7 steps 7 to 10: Domain, public suffixes, host-only.
	domain, hostOnly, site, err := j.cookieDomain(o.host, c)
	if err != nil {
		return e, false, err
	}
	e.Domain, e.HostOnly, e.site = domain, hostOnly, site
	if c.partitioned {
		e.partition = c.partition
		if e.partition == "" {
			e.partition = j.partitionKey(o.scheme, o.host)
		}
	}
	// §5.7 step 11: Path, or the default-path of the request.
	e.Path = c.path
	if e.Path == "" {
		e.Path = o.defaultPath
	}
	// §5.7 step 13: only a secure origin may set a Secure cookie.
	if c.secure && !o.secure {
		return e, false, errSecureInsecure
	}
	// §5.7 step 16: an insecure origin may not set a cookie that would
	// overwrite or shadow a Secure one ("Leave Secure Cookies Alone").
	if !c.secure && !o.secure && j.shadowsSecure(&e) {
		return e, false, errShadowsSecure
	}
	// §5.7 step 19: SameSite=None requires Secure.
	if c.sameSite == http.SameSiteNoneMode && !c.secure {
		return e, false, errSameSiteNone
	}
	// CHIPS: a Partitioned cookie requires Secure, as Chromium enforces.
	if c.partitioned && !c.secure {
		return e, false, errPartitioned
	}
	if err := checkPrefixes(c, hostOnly); err != nil {
		return e, false, err
	}
	return e, expired, nil
}

// commit stores an entry that passed rules, or, when expired, deletes the
// cookie of its identity: a change to that identity at the change time at,
// or at a new change time if at is zero. The deletion is recorded even when
// the jar held no such cookie, so that an older copy in a file or another
// replica goes too. It returns the stored entry, nil for a deletion. The
// caller holds j.mu.
func (j *Jar) commit(e *entry, expired bool, at, now time.Time) *entry {
	old := j.store.get(e.id())
	if expired {
		// §5.7, and §5.3 step 12 of RFC 6265: a cookie that is already
		// expired removes the old one and is not stored itself.
		if old != nil {
			j.store.remove(old.id())
		}
		j.deleted(e.id(), &e.Cookie, j.changeTime(at, now))
		return nil
	}
	// A replacement is written over the entry it replaces, which saves an
	// allocation: only the store keeps pointers to entries. e itself is
	// never kept, so that it stays on the caller's stack.
	stored := old
	if stored == nil {
		stored = new(entry)
	}
	return j.place(stored, old, e, at, now)
}

// commitOwned is commit for a cookie that is not expired and whose entry the
// caller gives up: a new cookie is stored as e itself, which saves a copy
// and an allocation per cookie when a file loads. The caller holds j.mu.
func (j *Jar) commitOwned(e *entry, at, now time.Time) *entry {
	old := j.store.get(e.id())
	stored := old
	if stored == nil {
		stored = e
	}
	return j.place(stored, old, e, at, now)
}

// place stores e in stored, the entry of the cookie it replaces (old) or a
// new one, as a change at at (a new change time if zero). The caller holds
// j.mu.
func (j *Jar) place(stored, old, e *entry, at, now time.Time) *entry {
	local := at.IsZero()
	at = j.changeTime(at, now)
	if old != nil {
		// §5.7 step 23: a replacement keeps the creation time of the
		// cookie it replaces, and its place among cookies created at the
		// same instant, as Chromium's strictly increasing creation times
		// keep it. A change made elsewhere (a merge, a replica) applied
		// step 23 where it was made: it is taken whole, so that every
		// copy of one change is the same cookie.
		if local {
			e.Created = old.Created
		}
		e.seq = old.seq
	} else {
		j.seq++
		e.seq = j.seq
	}
	e.updated = at
	*stored = *e
	if old != nil {
		j.stored(stored) // a replacement is already in place
		return stored
	}
	j.store.put(stored)
	j.stored(stored)
	j.enforceLimits(stored.site, now)
	return stored
}

// changeTime returns at, or a new change time if at is zero, and moves the
// change clock past it. The caller holds j.mu.
func (j *Jar) changeTime(at, now time.Time) time.Time {
	if at.IsZero() {
		return j.hist.stamp(now)
	}
	j.hist.observe(at)
	return at
}

// checkPrefixes applies the cookie name prefixes of §4.1.3 as the storage
// model does (§5.7 steps 20 to 22; §5.4: prefixes match case-insensitively). The prefixes match case-insensitively,
// so that "__SECURE-" cannot slip past a server that lower-cases names.
func checkPrefixes(c setCookie, hostOnly bool) error {
	if hasPrefixFold(c.name, "__Secure-") && !c.secure {
		return errSecurePrefix
	}
	if hasPrefixFold(c.name, "__Host-") && (!c.secure || !hostOnly || c.path != "/") {
		return errHostPrefix
	}
	if c.name == "" && (hasPrefixFold(c.value, "__Secure-") || hasPrefixFold(c.value, "__Host-")) {
		return errNamelessPrefix
	}
	return nil
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// cookieDomain decides a cookie's domain and whether it is host-only
// (§5.7 steps 7 to 10), and returns the domain's site (see siteOf).
func (j *Jar) cookieDomain(host string, c setCookie) (domain string, hostOnly bool, site string, err error) {
	// §5.7 step 10: without a (non-empty) Domain attribute the cookie is
	// host-only. An empty last Domain attribute counts as none.
	if !c.hasDomain || c.domain == "" {
		return host, true, j.siteOf(host), nil
	}
	if len(c.domain) > maxAttributeValueBytes {
		return "", false, "", errTooLargeAttribute
	}
	// §5.7 step 8: a Domain attribute must be ASCII; servers send the
	// punycode (A-label) form of an internationalised domain.
	for i := 0; i < len(c.domain); i++ {
		if c.domain[i] >= 0x80 {
			return "", false, "", errNonASCIIDomain
		}
	}
	domain = c.domain
	if domain[0] == '.' || domain[len(domain)-1] == '.' {
		// A trailing dot is refused as Chromium and net/http/cookiejar do:
		// "example.com." would otherwise match hosts it should not.
		return "", false, "", errBadDomain
	}
	if isIP(host) {
		// An IP address has no parent domains (§5.1.3): the only Domain it
		// can take is itself, and that means host-only.
		if domain == host {
			return host, true, j.siteOf(host), nil
		}
		return "", false, "", errDomainMismatch
	}
	// §5.7 step 9: no domain cookie on a public suffix; a host that is
	// itself a public suffix may still set a host-only cookie.
	site, publicSuffix := j.classify(domain)
	if publicSuffix {
		if domain == host {
			return host, true, site, nil
		}
		return "", false, "", errPublicSuffix
	}
	// §5.7 step 10: the request host must domain-match the Domain.
	if !domainMatch(host, domain) {
		return "", false, "", errDomainMismatch
	}
	return domain, false, site, nil
}

// isPublicSuffix reports whether domain is a public suffix (see classify).
func (j *Jar) isPublicSuffix(domain string) bool {
	_, publicSuffix := j.classify(domain)
	return publicSuffix
}

// hasDotSuffix reports whether s ends with "." + suffix.
func hasDotSuffix(s, suffix string) bool {
	return len(s) > len(suffix) && s[len(s)-len(suffix)-1] == '.' && strings.HasSuffix(s, suffix)
}

// siteOf returns the registrable domain (eTLD+1) of a cookie domain: the unit
// of the per-domain limit. An IP address, or a domain that is itself a
// public suffix, is its own site. A domain the jar holds cookies of has its
// site recorded in the store.
func (j *Jar) siteOf(domain string) string {
	if site, _, ok := j.store.known(domain); ok {
		return site
	}
	site, _ := j.classify(domain)
	return site
}

// classify returns the site of a canonical domain (see siteOf) and whether
// the domain is a public suffix. A list that returns something that is not
// a proper suffix of domain is taken to mean that domain itself is a
// suffix, the safe reading.
//
// The public suffix list is asked once per call, and not at all for most
// domains the jar holds cookies of: a domain whose site is shorter than
// itself, or that holds a domain cookie (which §5.7 step 9 let in), is no
// public suffix, and the store knows its site.
func (j *Jar) classify(domain string) (site string, publicSuffix bool) {
	if site, shared, ok := j.store.known(domain); ok && (shared || site != domain) {
		return site, false
	}
	var ps string
	if j.psl != nil {
		ps = j.psl.PublicSuffix(domain)
		publicSuffix = ps != "" && !hasDotSuffix(domain, ps)
	} else {
		ps = domain[strings.LastIndexByte(domain, '.')+1:]
	}
	if isIP(domain) || !hasDotSuffix(domain, ps) {
		return domain, publicSuffix
	}
	rest := domain[:len(domain)-len(ps)-1]
	return domain[strings.LastIndexByte(rest, '.')+1:], publicSuffix
}

// shadowsSecure reports whether the store holds a Secure cookie with the same
// name as e, a domain that domain-matches e's or is domain-matched by it, and
// a path that e's path path-matches (§5.7 step 16).
func (j *Jar) shadowsSecure(e *entry) bool {
	blocks := func(old *entry) bool {
		return old.Secure && old.Name == e.Name && pathMatch(e.Path, old.Path)
	}
	// The cookie's own domain and its parents.
	for d := e.Domain; d != ""; d = parentDomain(d) {
		if slices.ContainsFunc(j.store.domain(d), blocks) {
			return true
		}
		if isIP(e.Domain) {
			break
		}
	}
	// Its subdomains, which share its registrable domain.
	if !j.store.hasSubdomains(e.Domain) {
		return false
	}
	for _, d := range j.store.site(e.site) {
		if d != e.Domain && domainMatch(d, e.Domain) && slices.ContainsFunc(j.store.domain(d), blocks) {
			return true
		}
	}
	return false
}

// prepare checks a cookie given whole (Set, a file, a replica) as if
// https://c.Domain had sent it, and returns the entry to store or reports
// that it is already expired. partition is the partition of a Partitioned
// cookie as a file gives it ("" to derive it). A non-zero c.Created is kept
// for a new cookie, a non-zero c.LastAccess always. The caller holds j.mu.
func (j *Jar) prepare(c *Cookie, partition string, now time.Time) (e entry, expired bool, err error) {
	if err := hopeless(c); err != nil {
		return e, false, err
	}
	hostOnly := c.HostOnly
	domain, isAddr, err := cookieIPDomain(strings.TrimPrefix(c.Domain, "."))
	if err != nil {
		return e, false, err
	}
	if isAddr {
		// §5.1.3: an IP address domain-matches only itself, so a cookie
		// for one is host-only, whatever HostOnly says.
		hostOnly = true
	} else {
		if domain, err = toASCII(domain); err != nil {
			return e, false, errBadDomain
		}
		if domain == "" {
			return e, false, errNoDomain
		}
		if !validHostChars(domain) {
			return e, false, errBadDomain
		}
		if strings.IndexByte(domain, ':') >= 0 {
			// "127.0.0.1:8000": cookies do not depend on the port (§8.5),
			// so a Domain with one would be stored and never sent.
			return e, false, errDomainPort
		}
	}
	path := c.Path
	if path == "" {
		path = "/"
	}
	if path[0] != '/' || hasCTL(path) || strings.Contains(path, ";") {
		return e, false, errBadPath
	}
	sc := setCookie{
		name: c.Name, value: c.Value, quoted: c.Quoted,
		path:   path,
		secure: c.Secure, httpOnly: c.HttpOnly,
		sameSite: c.SameSite, partitioned: c.Partitioned,
		expires:   c.Expires,
		partition: partition,
	}
	if !hostOnly {
		// A domain cookie on a public suffix would be a supercookie: the
		// server path would quietly make it host-only, here it is an error.
		if j.isPublicSuffix(domain) {
			return e, false, errPublicSuffixFile
		}
		sc.domain, sc.hasDomain = domain, true
	}
	if !c.Expires.IsZero() && !c.Expires.After(now) {
		sc.hasMaxAge, sc.maxAge = true, 0
	}
	o := origin{scheme: "https", host: domain, secure: true, defaultPath: "/"}
	if e, expired, err = j.rules(o, sc, now); err != nil {
		return e, false, err
	}
	if expired {
		// Kept for a cookie from a file or a replica, which stays a set
		// that has expired (history.go).
		e.Expires = c.Expires.UTC()
	}
	if !c.Created.IsZero() {
		e.Created = c.Created.UTC()
	}
	if !c.LastAccess.IsZero() {
		e.LastAccess = c.LastAccess.UTC()
	}
	return e, expired, nil
}

// hopeless returns the reason every jar refuses a cookie for whatever its
// rules (the first checks of prepare, which depend on the cookie alone), or
// nil. A file's decoder uses it to drop such records early.
func hopeless(c *Cookie) error {
	switch {
	case hasCTL(c.Name) || containsEither(c.Name, ';', '='):
		return errBadName
	case hasCTL(c.Value) || strings.Contains(c.Value, ";"):
		return errBadValue
	case c.Name == "" && c.Value == "":
		return errEmptyCookie
	case len(c.Domain) > maxAttributeValueBytes || len(c.Path) > maxAttributeValueBytes:
		return errTooLargeAttribute
	case c.Domain == "" || c.Domain == ".":
		return errNoDomain
	}
	return nil
}

// cookieIPDomain reads the Domain of a cookie given whole as an IP
// literal, with or without brackets ("::1", "[::1]", "2001:0DB8::1",
// "fe80::1%eth0"), and returns it as canonicalHost writes a URL's host (zone
// dropped), so that the cookie is sent to that host. A Domain that is no IP
// literal comes back as it is, with isAddr false; a bracketed one with a
// port is refused (§8.5: cookies do not depend on the port).
func cookieIPDomain(d string) (domain string, isAddr bool, err error) {
	inner := d
	if strings.HasPrefix(d, "[") {
		if !strings.HasSuffix(d, "]") {
			if _, _, err := net.SplitHostPort(d); err == nil {
				return "", false, errDomainPort
			}
			return "", false, errBadDomain
		}
		inner = d[1 : len(d)-1]
	}
	a, ok := parseIP(inner)
	if !ok {
		if inner != d {
			return "", false, errBadDomain
		}
		return d, false, nil
	}
	return a.WithZone("").String(), true, nil
}

// validHostChars reports whether a canonical (ASCII) domain holds only the
// bytes a host name or an IP literal can: letters, digits, '.', '-', '_' and
// ':' (IPv6).
func validHostChars(d string) bool {
	for i := 0; i < len(d); i++ {
		c := d[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '-' || c == '_' || c == ':') {
			return false
		}
	}
	return true
}
