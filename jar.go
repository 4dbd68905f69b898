// Package httpsession is an HTTP client that stays logged in: a Session wraps
// net/http's Client around a cookie Jar that follows RFC 6265bis
// (draft-ietf-httpbis-rfc6265bis-22) and can be saved to disk and loaded back.
//
// The Jar can be used on its own, as an http.CookieJar, wherever Go code
// takes one. Unlike net/http/cookiejar it lets callers list, add, look up,
// delete and save cookies with all their attributes, parses Set-Cookie
// headers as leniently as browsers do, refuses Secure cookies from plain
// http, and bounds how many cookies it keeps.
package httpsession

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/publicsuffix"
)

// Default cookie limits, as in Chromium's cookie store (RFC 6265bis §6.1
// leaves the numbers to the user agent).
const (
	DefaultPerDomainLimit = 180
	DefaultTotalLimit     = 3000
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

// Jar is a cookie jar that follows RFC 6265bis. It implements
// http.CookieJar, and it is safe for concurrent use by multiple goroutines.
//
// The zero Jar is not usable; create one with NewJar.
type Jar struct {
	psl       cookiejar.PublicSuffixList
	now       func() time.Time
	perDomain int
	total     int

	mu    sync.Mutex
	store cookieStore
	seq   uint64

	// Change tracking for merging with files (persist.go).
	version    uint64                 // counts changes made in this jar
	tombstones map[cookieID]tombstone // deletions not yet in every file
	syncs      map[string]*fileSync   // per file: what it held at our last sync
	saveMu     sync.Mutex             // one save at a time per jar

	// The Replica seam (replica.go).
	replica  Replica
	pending  []Change // changes to tell the Replica once j.mu is released
	applying bool     // Apply is running: its changes are not told back
}

// tombstone remembers a deletion made in this jar, so that a save removes
// the cookie from a file instead of taking it back from there.
type tombstone struct {
	version uint64
	at      time.Time
}

// changed stamps e as changed here at now. The caller holds j.mu.
func (j *Jar) changed(e *entry, now time.Time) {
	j.version++
	e.version, e.updated = j.version, now
	delete(j.tombstones, e.id())
	j.noteChange(Change{Cookie: e.Cookie, Partition: e.partition, Updated: now})
}

// drop removes a cookie as a change made here: once the jar is tied to a
// file, the deletion is remembered so that it reaches the file. Expiry needs
// no such record, since an expired cookie is expired in every copy. The
// caller holds j.mu.
func (j *Jar) drop(id cookieID, now time.Time) {
	old := j.store.get(id)
	if old == nil {
		return
	}
	j.store.remove(id)
	j.noteChange(Change{Cookie: old.Cookie, Partition: id.partition, Deleted: true, Updated: now})
	if len(j.syncs) > 0 {
		j.version++
		if j.tombstones == nil {
			j.tombstones = make(map[cookieID]tombstone)
		}
		j.tombstones[id] = tombstone{version: j.version, at: now}
	}
}

// JarOption configures a Jar created by NewJar.
type JarOption func(*jarConfig)

type jarConfig struct {
	replica   Replica
	psl       cookiejar.PublicSuffixList
	now       func() time.Time
	perDomain int
	total     int
}

// WithPublicSuffixList sets the list that decides which domains are public
// suffixes ("com", "co.uk", "github.io"), on which no domain cookie may be
// set. The default is golang.org/x/net/publicsuffix.List. A nil list turns
// the check off, as in net/http/cookiejar: only do that for tests.
func WithPublicSuffixList(list cookiejar.PublicSuffixList) JarOption {
	return func(c *jarConfig) { c.psl = list }
}

// WithClock sets the function the jar asks for the current time. Expiry,
// creation and access times and eviction order all use it. The default is
// time.Now.
func WithClock(now func() time.Time) JarOption {
	return func(c *jarConfig) {
		if now != nil {
			c.now = now
		}
	}
}

// WithLimits sets how many cookies the jar keeps per registrable domain
// (eTLD+1, such as example.co.uk) and in all. As in Chromium, a domain with
// more than perDomain cookies is purged to five sixths of perDomain (180 →
// 150), and a jar with more than total plus a tenth is purged to total
// (3300 → 3000). Expired cookies go first, then the least recently used,
// non-Secure before Secure. A limit of zero or less means no limit. The
// defaults are DefaultPerDomainLimit and DefaultTotalLimit.
func WithLimits(perDomain, total int) JarOption {
	return func(c *jarConfig) { c.perDomain, c.total = perDomain, total }
}

// NewJar returns an empty jar.
func NewJar(opts ...JarOption) *Jar {
	cfg := jarConfig{
		psl:       publicsuffix.List,
		now:       time.Now,
		perDomain: DefaultPerDomainLimit,
		total:     DefaultTotalLimit,
	}
	for _, opt := range opts {
		opt(&cfg)
	}
	return &Jar{
		psl:       cfg.psl,
		now:       cfg.now,
		perDomain: cfg.perDomain,
		total:     cfg.total,
		store:     newMemStore(),
		replica:   cfg.replica,
	}
}

// clock returns the current time in UTC without a monotonic reading, so that
// stored times compare and serialise alike.
func (j *Jar) clock() time.Time {
	return j.now().UTC()
}

// ErrInvalidCookie is wrapped by the errors that explain why a cookie was
// refused: the rule of RFC 6265bis it breaks.
var ErrInvalidCookie = errors.New("httpsession: cookie refused")

func refusal(reason string) error {
	return fmt.Errorf("%w: %s", ErrInvalidCookie, reason)
}

// The reasons a cookie is refused, with the rule that refuses it.
var (
	errEmptyCookie       = refusal("no name and no value (RFC 6265bis §5.7 step 2)")
	errNotCookieURL      = refusal("cookies apply only to http, https, ws and wss URLs")
	errBadDomain         = refusal("malformed Domain attribute (§5.6.3)")
	errNonASCIIDomain    = refusal("Domain attribute is not ASCII (§5.7 step 8)")
	errPublicSuffix      = refusal("Domain is a public suffix (§5.7 step 9)")
	errDomainMismatch    = refusal("Domain does not domain-match the request host (§5.7 step 10)")
	errSecureInsecure    = refusal("Secure cookie from an insecure origin (§5.7 step 13)")
	errShadowsSecure     = refusal("would shadow a Secure cookie from an insecure origin (§5.7 step 16)")
	errSameSiteNone      = refusal("SameSite=None without Secure (§5.7 step 19)")
	errPartitioned       = refusal("Partitioned without Secure (CHIPS, as Chromium enforces)")
	errSecurePrefix      = refusal("__Secure- prefix without Secure (§5.7 step 20)")
	errHostPrefix        = refusal("__Host- prefix needs Secure, no Domain and Path=/ (§5.7 step 21)")
	errNamelessPrefix    = refusal("nameless cookie whose value starts with __Secure- or __Host- (§5.7 step 22)")
	errBadName           = refusal("name holds a control character, '=' or ';'")
	errBadValue          = refusal("value holds a control character or ';'")
	errTooLarge          = refusal("name and value exceed 4096 bytes (§5.7 step 4)")
	errBadPath           = refusal("Path does not start with '/'")
	errNoDomain          = refusal("no Domain")
	errPublicSuffixFile  = refusal("domain cookie on a public suffix (§5.7 step 9)")
	errTooLargeAttribute = refusal("Domain or Path longer than 1024 bytes (§5.6)")
)

// origin is the request a cookie arrived with, reduced to what the storage
// model looks at.
type origin struct {
	scheme      string // "http" or "https" (ws and wss count as these)
	host        string // canonical host
	secure      bool   // §5.7: the request-uri denotes a secure connection
	defaultPath string
}

// webScheme maps a URL scheme to the http or https it stands for.
func webScheme(scheme string) string {
	switch strings.ToLower(scheme) {
	case "https", "wss":
		return "https"
	}
	return "http"
}

// partitionKey is the partition a Partitioned cookie set or sent at this
// scheme and host belongs to: the top-level site, scheme included, as
// Chromium keys CHIPS. A client has no embedding page, so the top-level site
// is the request's own.
func (j *Jar) partitionKey(scheme, host string) string {
	return scheme + "://" + j.siteOf(host)
}

func newOrigin(u *url.URL) (origin, error) {
	if u == nil || !isCookieScheme(u.Scheme) {
		return origin{}, errNotCookieURL
	}
	host, err := canonicalHost(u)
	if err != nil {
		return origin{}, refusal(err.Error())
	}
	return origin{scheme: webScheme(u.Scheme), host: host, secure: isSecureOrigin(u, host), defaultPath: defaultPath(u)}, nil
}

// SetCookies stores the cookies of a response to u, as parsed by net/http.
// It implements http.CookieJar. net/http's parser drops many cookies that
// servers send and browsers keep; a client that can should pass the raw
// header lines to SetRawCookies instead, as Transport does.
func (j *Jar) SetCookies(u *url.URL, cookies []*http.Cookie) {
	o, err := newOrigin(u)
	if err != nil {
		return
	}
	j.mu.Lock()
	defer j.unlock()
	now := j.clock()
	for _, hc := range cookies {
		if hc == nil {
			continue
		}
		if c, ok := fromHTTPCookie(hc); ok {
			_ = j.store1(o, c, now, time.Time{})
		}
	}
}

// SetRawCookies stores the cookies of a response to u, given as the values of
// its Set-Cookie header lines. It parses them as RFC 6265bis §5.6 says, as
// browsers do: UTF-8, quotes, odd names and nameless cookies are kept.
// Lines the RFC says to ignore are ignored.
func (j *Jar) SetRawCookies(u *url.URL, setCookie []string) {
	o, err := newOrigin(u)
	if err != nil {
		return
	}
	j.mu.Lock()
	defer j.unlock()
	now := j.clock()
	for _, line := range setCookie {
		if c, ok := parseSetCookie(line); ok {
			_ = j.store1(o, c, now, time.Time{})
		}
	}
}

// SetRawCookie stores one cookie from a Set-Cookie header value received
// from u and, unlike SetRawCookies, says why a cookie was refused: the error
// wraps ErrInvalidCookie and names the rule.
func (j *Jar) SetRawCookie(u *url.URL, setCookie string) error {
	o, err := newOrigin(u)
	if err != nil {
		return err
	}
	c, ok := parseSetCookie(setCookie)
	if !ok {
		return refusal("Set-Cookie line ignored by the parsing algorithm (§5.6)")
	}
	j.mu.Lock()
	defer j.unlock()
	return j.store1(o, c, j.clock(), time.Time{})
}

// store1 runs the storage model of RFC 6265bis §5.7 for one cookie received
// from o. created, when not zero, is the creation time to keep for a new
// cookie (a cookie loaded from a file). It returns why a cookie was refused.
// The caller holds j.mu.
func (j *Jar) store1(o origin, c setCookie, now, created time.Time) error {
	// §5.7 steps 2 to 4 were applied by the parser; check size again for
	// cookies that reach here another way.
	if len(c.name)+len(c.value) > maxNameValueBytes {
		return errTooLarge
	}
	e := entry{Cookie: Cookie{
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
	expired := false
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
		return err
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
		return errSecureInsecure
	}
	// §5.7 step 16: an insecure origin may not set a cookie that would
	// overwrite or shadow a Secure one ("Leave Secure Cookies Alone").
	if !c.secure && !o.secure && j.shadowsSecure(&e) {
		return errShadowsSecure
	}
	// §5.7 step 19: SameSite=None requires Secure.
	if c.sameSite == http.SameSiteNoneMode && !c.secure {
		return errSameSiteNone
	}
	// CHIPS: a Partitioned cookie requires Secure, as Chromium enforces.
	if c.partitioned && !c.secure {
		return errPartitioned
	}
	if err := checkPrefixes(c, hostOnly); err != nil {
		return err
	}
	// §5.7 step 23: a replacement keeps the creation time of the cookie it
	// replaces.
	old := j.store.get(e.id())
	switch {
	case old != nil:
		// Its place among cookies created at the same instant too, as
		// Chromium's strictly increasing creation times keep it.
		e.Created, e.seq = old.Created, old.seq
	case !created.IsZero():
		e.Created = created
	}
	// §5.7, and §5.3 step 12 of RFC 6265: a cookie that is already expired
	// removes the old one and is not stored itself.
	if expired {
		if old != nil {
			j.drop(old.id(), now)
		}
		return nil
	}
	// A replacement is written over the entry it replaces, which saves an
	// allocation: only the store keeps pointers to entries.
	stored := old
	if stored == nil {
		stored = new(entry)
		j.seq++
		e.seq = j.seq
	}
	*stored = e
	j.changed(stored, now)
	j.store.put(stored)
	if old == nil {
		j.enforceLimits(e.site, now)
	}
	return nil
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

// enforceLimits evicts cookies when a limit is passed, in Chromium's way
// (RFC 6265bis §5.7 lets the user agent choose): a registrable domain over
// its limit is purged to five sixths of it (180 → 150), and a jar over its
// total by a tenth is purged to the total (3300 → 3000), so that eviction
// runs now and then rather than on every new cookie. Expired cookies go
// first, then the least recently used, non-Secure before Secure.
func (j *Jar) enforceLimits(site string, now time.Time) {
	if j.perDomain > 0 {
		if n := j.store.siteLen(site); n > j.perDomain {
			var cands []*entry
			for _, d := range j.store.site(site) {
				cands = append(cands, j.store.domain(d)...)
			}
			j.evict(cands, n-(j.perDomain-j.perDomain/6), now)
		}
	}
	if j.total > 0 {
		if n := j.store.len(); n > j.total+j.total/10 {
			cands := make([]*entry, 0, n)
			j.store.each(func(e *entry) bool { cands = append(cands, e); return true })
			j.evict(cands, n-j.total, now)
		}
	}
}

// evict removes excess cookies from cands in eviction order.
func (j *Jar) evict(cands []*entry, excess int, now time.Time) {
	slices.SortFunc(cands, func(a, b *entry) int {
		if ea, eb := a.expired(now), b.expired(now); ea != eb {
			if ea {
				return -1
			}
			return 1
		}
		if a.Secure != b.Secure {
			if b.Secure {
				return -1
			}
			return 1
		}
		return cmp.Or(a.LastAccess.Compare(b.LastAccess), cmp.Compare(a.seq, b.seq))
	})
	for _, e := range cands[:excess] {
		j.drop(e.id(), now)
	}
}

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
	var expired []cookieID
	// §5.8.3 step 1: the cookies whose domain the host domain-matches sit
	// under the host itself and under its parent domains; nothing else needs
	// to be looked at.
	for d := host; ; d = parentDomain(d) {
		for _, e := range j.store.domain(d) {
			switch {
			case e.expired(now):
				expired = append(expired, e.id())
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
	for _, id := range expired {
		j.store.remove(id)
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
	for _, id := range j.selectIDs(func(e *entry) bool { return e.expired(now) }) {
		j.store.remove(id)
	}
}

// removeIf removes, as changes made here, the cookies for which match is
// true and returns how many. The caller holds j.mu.
func (j *Jar) removeIf(now time.Time, match func(*entry) bool) int {
	ids := j.selectIDs(match)
	for _, id := range ids {
		j.drop(id, now)
	}
	return len(ids)
}

// selectIDs returns the identities of the cookies for which match is true.
// The caller holds j.mu.
func (j *Jar) selectIDs(match func(*entry) bool) []cookieID {
	var ids []cookieID
	j.store.each(func(e *entry) bool {
		if match(e) {
			ids = append(ids, e.id())
		}
		return true
	})
	return ids
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
	_, err := j.setLocked(c, "", j.clock())
	return err
}

// setLocked is Set for a caller that holds j.mu, with the partition of a
// Partitioned cookie read from a file ("" to derive it). It returns the
// stored entry, or nil when c deleted a cookie.
func (j *Jar) setLocked(c Cookie, partition string, now time.Time) (*entry, error) {
	if hasCTL(c.Name) || containsEither(c.Name, ';', '=') {
		return nil, errBadName
	}
	if hasCTL(c.Value) || strings.Contains(c.Value, ";") {
		return nil, errBadValue
	}
	if c.Name == "" && c.Value == "" {
		return nil, errEmptyCookie
	}
	if len(c.Domain) > maxAttributeValueBytes || len(c.Path) > maxAttributeValueBytes {
		return nil, errTooLargeAttribute
	}
	domain, err := toASCII(strings.TrimPrefix(c.Domain, "."))
	if err != nil {
		return nil, errBadDomain
	}
	if domain == "" {
		return nil, errNoDomain
	}
	if !validHostChars(domain) {
		return nil, errBadDomain
	}
	path := c.Path
	if path == "" {
		path = "/"
	}
	if path[0] != '/' || hasCTL(path) || strings.Contains(path, ";") {
		return nil, errBadPath
	}
	sc := setCookie{
		name: c.Name, value: c.Value, quoted: c.Quoted,
		path:   path,
		secure: c.Secure, httpOnly: c.HttpOnly,
		sameSite: c.SameSite, partitioned: c.Partitioned,
		expires:   c.Expires,
		partition: partition,
	}
	if !c.HostOnly {
		// A domain cookie on a public suffix would be a supercookie: the
		// server path would quietly make it host-only, here it is an error.
		if j.isPublicSuffix(domain) {
			return nil, errPublicSuffixFile
		}
		sc.domain, sc.hasDomain = domain, true
	}
	o := origin{scheme: "https", host: domain, secure: true, defaultPath: "/"}
	if !c.Expires.IsZero() && !c.Expires.After(now) {
		sc.hasMaxAge, sc.maxAge = true, 0
	}
	if err := j.store1(o, sc, now, c.Created.UTC()); err != nil {
		return nil, err
	}
	id := cookieID{name: c.Name, domain: domain, path: path, hostOnly: c.HostOnly}
	if c.Partitioned {
		id.partition = cmp.Or(partition, j.partitionKey(o.scheme, domain))
	}
	e := j.store.get(id)
	if e != nil && !c.LastAccess.IsZero() {
		e.LastAccess = c.LastAccess.UTC()
	}
	return e, nil
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

// Delete removes the cookie with this name, domain and path, whether it is
// host-only or a domain cookie, and reports whether there was one. A leading
// dot on domain is ignored.
func (j *Jar) Delete(domain, path, name string) bool {
	domain, err := toASCII(strings.TrimPrefix(domain, "."))
	if err != nil {
		return false
	}
	j.mu.Lock()
	defer j.unlock()
	var ids []cookieID
	for _, e := range j.store.domain(domain) {
		if e.Name == name && e.Path == path {
			ids = append(ids, e.id())
		}
	}
	now := j.clock()
	for _, id := range ids {
		j.drop(id, now)
	}
	return len(ids) > 0
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

// Clear removes every cookie. A later Save removes them from the file too.
func (j *Jar) Clear() {
	j.mu.Lock()
	defer j.unlock()
	j.removeIf(j.clock(), func(*entry) bool { return true })
}
