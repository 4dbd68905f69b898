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
	"fmt"
	"hash/maphash"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"sync"
	"time"

	"github.com/httpsession/httpsession/internal/cookiefile"
	"golang.org/x/net/publicsuffix"
)

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
	// changes counts the changes made in this jar, for the transport to
	// tell whether a response changed anything.
	changes uint64
	// evictions counts the cookies the limits pushed out of this jar's
	// memory: a file it last synchronised with may hold cookies it no
	// longer does, which a save must keep (limits.go).
	evictions uint64

	// hist is what merges with files and replicas need beyond the cookies:
	// the change clock, deletions, and what each file held (history.go).
	hist   history
	saveMu sync.Mutex // one save at a time per jar

	// The Replica seam (replica.go).
	replica  Replica
	pending  []Change // changes to tell the Replica once j.mu is released
	applying bool     // Apply is running: its changes are not told back
}

// stored records that e was stored or replaced, at its change time
// e.updated. The caller holds j.mu.
func (j *Jar) stored(e *entry) {
	j.changes++
	if j.hist.tombs != nil || j.hist.unsaved != nil {
		j.hist.forget(e.id())
	}
	if j.replica != nil {
		j.noteChange(Change{Cookie: e.Cookie, Partition: e.partition, Updated: e.updated})
	}
}

// deleted records that the cookie with identity id (c gives its
// attributes) was deleted at the change time at: by a server, by the
// program, or by a merge with a newer deletion made elsewhere. The caller
// holds j.mu.
func (j *Jar) deleted(id cookieID, c *Cookie, at time.Time) {
	j.changes++
	j.hist.delete(id, at)
	ident := Cookie{Name: c.Name, Domain: c.Domain, Path: c.Path, HostOnly: c.HostOnly, Partitioned: c.Partitioned}
	j.noteChange(Change{Cookie: ident, Partition: id.partition, Deleted: true, Updated: at})
}

// drop removes a cookie the jar holds as a deletion made now. The caller
// holds j.mu.
func (j *Jar) drop(e *entry, now time.Time) {
	id := e.id()
	j.store.remove(id)
	j.deleted(id, &e.Cookie, j.hist.stamp(now))
}

// expire removes a cookie that has expired. Expiry is not a new change: the
// cookie's last change (its set, with the expiry it carried) is still the
// newest, and it is remembered as such, so that an older copy of the cookie
// held elsewhere does not come back in its place. Expiry needs no telling
// a Replica, which expires its copy by itself. The caller holds j.mu.
func (j *Jar) expire(e *entry) {
	j.store.remove(e.id())
	j.hist.expire(e)
}

// JarOption configures a Jar created by NewJar. A nil JarOption is ignored.
type JarOption func(*jarConfig)

type jarConfig struct {
	replica   Replica
	psl       cookiejar.PublicSuffixList
	now       func() time.Time
	perDomain int
	total     int
	tombs     int
	tombBytes int
}

// WithTombstoneLimits sets how many tombstones (deletions, and sets whose
// cookie has expired) the jar and its native file remember, and how many
// bytes they may take in the file; past either, the oldest are forgotten
// first. The defaults are MaxTombstones and MaxTombstoneBytes; a limit of
// zero or less keeps its default. Fewer tombstones make a smaller file and
// a cheaper save, and bring resurrection closer: a deletion forgotten
// no longer stops a writer that still holds an older copy, and never
// synchronised since the file held it, from writing that copy back.
func WithTombstoneLimits(count, bytes int) JarOption {
	return func(c *jarConfig) { c.tombs, c.tombBytes = count, bytes }
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
		if opt != nil {
			opt(&cfg)
		}
	}
	return &Jar{
		psl:       cfg.psl,
		now:       cfg.now,
		perDomain: cfg.perDomain,
		total:     cfg.total,
		store:     newMemStore(),
		replica:   cfg.replica,
		hist: history{
			seed:     maphash.MakeSeed(),
			maxTombs: cmp.Or(max(cfg.tombs, 0), MaxTombstones),
			maxBytes: cmp.Or(max(cfg.tombBytes, 0), MaxTombstoneBytes),
		},
	}
}

// clock returns the current time in UTC without a monotonic reading, so that
// stored times compare and serialise alike.
func (j *Jar) clock() time.Time {
	return j.now().UTC()
}

// ErrInvalidCookie is wrapped by the errors that explain why a cookie was
// refused: the rule of RFC 6265bis it breaks.
var ErrInvalidCookie = cookiefile.ErrInvalidCookie

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
	errDomainPort        = refusal("Domain holds a port; cookies do not depend on ports, give the host alone (RFC 6265bis §8.5)")
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
			_ = j.store1(o, c, now, nil)
		}
	}
}

// SetRawCookies stores the cookies of a response to u, given as the values of
// its Set-Cookie header lines. It parses them as RFC 6265bis §5.6 says, as
// browsers do: UTF-8, quotes, odd names and nameless cookies are kept.
// Lines the RFC says to ignore are ignored.
func (j *Jar) SetRawCookies(u *url.URL, setCookie []string) {
	j.storeResponse(u, setCookie, nil)
}

// storeResponse stores the cookies of a response to u whose request carried
// the Cookie header sent (nil when unknown; see serverDelete).
func (j *Jar) storeResponse(u *url.URL, setCookie []string, sent *string) {
	o, err := newOrigin(u)
	if err != nil {
		return
	}
	j.mu.Lock()
	defer j.unlock()
	now := j.clock()
	for _, line := range setCookie {
		if c, ok := parseSetCookie(line); ok {
			_ = j.store1(o, c, now, sent)
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
	return j.store1(o, c, j.clock(), nil)
}
