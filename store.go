package httpsession

import "time"

// cookieID is a cookie's identity in the store: RFC 6265bis §5.7 step 23
// replaces an old cookie by a new one with the same name, domain, host-only
// flag and path. A Partitioned cookie (CHIPS) also has its partition in its
// identity, as in Chromium: it lives beside an unpartitioned cookie of the
// same name.
type cookieID struct {
	name, domain, path string
	hostOnly           bool
	partition          string // partition key of a Partitioned cookie, else ""
}

// entry is one stored cookie with what the jar keeps about it beyond the
// public attributes.
type entry struct {
	Cookie
	site      string // registrable domain (eTLD+1), the unit of the per-domain limit
	seq       uint64 // order of insertion: breaks ties between equal creation times
	partition string // for a Partitioned cookie, the partition it is sent in

	// updated is the change time of the cookie's last set, in this jar or
	// wherever it was made (history.go): merges keep the newer change.
	updated time.Time

	// fileExpires is the expiry a file without change times (cookies.txt,
	// the other programs' formats) gave the cookie, when it lies beyond
	// the 400-day cap that Expires holds. Such a file gets the cookie back
	// as it was while no one changes it: jars that read it at different
	// times cap it differently, and would otherwise each write a change
	// that none of them made.
	// Unix microseconds (the finest any format writes), 0 for none: it
	// costs a stored cookie 8 bytes.
	fileExpires int64
}

// asWritten returns the cookie as a file without change times gets it.
func (e *entry) asWritten() *Cookie {
	if e.fileExpires == 0 {
		return &e.Cookie
	}
	c := e.Cookie
	c.Expires = time.UnixMicro(e.fileExpires).UTC()
	return &c
}

func (e *entry) id() cookieID {
	return cookieID{name: e.Name, domain: e.Domain, path: e.Path, hostOnly: e.HostOnly, partition: e.partition}
}

// is reports whether e has the identity id. It compares the cheapest and
// most distinctive fields first and allocates nothing.
func (e *entry) is(id cookieID) bool {
	return e.Name == id.name && e.Path == id.path && e.HostOnly == id.hostOnly &&
		e.Domain == id.domain && e.partition == id.partition
}

// cookieStore is the seam between the jar's rules and where its cookies
// live. The jar calls it with its lock held, so implementations need no
// locking of their own. The in-memory store below is the default; a shared
// store keeps a memory store as its cache and mirrors changes outward.
type cookieStore interface {
	// get returns the cookie with this identity, or nil.
	get(id cookieID) *entry
	// put inserts e, replacing any cookie with the same identity.
	put(e *entry)
	// remove deletes the cookie with this identity, if any.
	remove(id cookieID)
	// domain returns the cookies whose Domain is exactly d. The slice
	// belongs to the store: callers read it and do not keep it.
	domain(d string) []*entry
	// known returns what the store knows of the cookie domain d while it
	// holds cookies of d: its registrable domain (the site of its
	// cookies), and whether any of its cookies is a domain cookie (not
	// host-only). ok is false when the store holds no cookie of d.
	known(d string) (site string, shared, ok bool)
	// domainNames returns the distinct cookie domains, in no particular order.
	domainNames() []string
	// site returns the distinct cookie domains under one registrable domain.
	site(s string) []string
	// hasSubdomains reports whether the store holds cookies of a domain
	// strictly under d within d's registrable domain.
	hasSubdomains(d string) bool
	// each calls fn for every cookie until fn returns false.
	each(fn func(*entry) bool)
	// len returns the number of cookies, expired ones included.
	len() int
	// siteLen returns the number of cookies under one registrable domain.
	siteLen(s string) int
	// clear removes everything.
	clear()
}

// memStore indexes cookies by their Domain attribute, so that a lookup for a
// host visits only the host itself and its parent domains, never the other
// subdomains of the same site: a platform with thousands of user
// subdomains costs a lookup nothing more than a site with one.
type memStore struct {
	domains map[string]*domainCookies // cookie Domain → its cookies
	sites   map[string]*siteIndex
	// below counts, for a domain, the cookie domains strictly under it
	// within its site, so that the checks that look at subdomains skip
	// the usual domain that has none.
	below map[string]int
	n     int
}

// domainCookies holds the cookies of one cookie domain, with what the jar
// worked out about the domain when it stored the first of them, so that
// cookies set again for the domain need no new look-up in the public suffix
// list.
type domainCookies struct {
	entries []*entry
	site    *siteIndex // the domain's registrable domain (eTLD+1)
	shared  int        // how many of entries are domain cookies (not host-only)
}

// siteIndex records the cookie domains under one registrable domain, for the
// per-domain limit and for checks that look at sibling domains.
type siteIndex struct {
	name    string
	domains map[string]struct{}
	n       int
}

func newMemStore() *memStore {
	return &memStore{
		domains: make(map[string]*domainCookies),
		sites:   make(map[string]*siteIndex),
		below:   make(map[string]int),
	}
}

func (s *memStore) get(id cookieID) *entry {
	if dc := s.domains[id.domain]; dc != nil {
		for _, e := range dc.entries {
			if e.is(id) {
				return e
			}
		}
	}
	return nil
}

func (s *memStore) put(e *entry) {
	id := e.id()
	dc := s.domains[e.Domain]
	if dc == nil {
		si := s.sites[e.site]
		if si == nil {
			si = &siteIndex{name: e.site, domains: make(map[string]struct{})}
			s.sites[e.site] = si
		}
		si.domains[e.Domain] = struct{}{}
		dc = &domainCookies{site: si}
		s.domains[e.Domain] = dc
		s.countBelow(e.Domain, e.site, 1)
	}
	for i, old := range dc.entries {
		if old.is(id) {
			dc.entries[i] = e
			return
		}
	}
	dc.entries = append(dc.entries, e)
	if !e.HostOnly {
		dc.shared++
	}
	s.n++
	dc.site.n++
}

func (s *memStore) remove(id cookieID) {
	dc := s.domains[id.domain]
	if dc == nil {
		return
	}
	list := dc.entries
	for i, e := range list {
		if !e.is(id) {
			continue
		}
		last := len(list) - 1
		copy(list[i:], list[i+1:])
		list[last] = nil
		dc.entries = list[:last]
		if !e.HostOnly {
			dc.shared--
		}
		s.n--
		si := dc.site
		si.n--
		if last == 0 {
			delete(s.domains, id.domain)
			delete(si.domains, id.domain)
			s.countBelow(id.domain, si.name, -1)
		}
		if si.n == 0 {
			delete(s.sites, si.name)
		}
		return
	}
}

func (s *memStore) domain(d string) []*entry {
	if dc := s.domains[d]; dc != nil {
		return dc.entries
	}
	return nil
}

func (s *memStore) known(d string) (site string, shared, ok bool) {
	if dc := s.domains[d]; dc != nil {
		return dc.site.name, dc.shared > 0, true
	}
	return "", false, false
}

func (s *memStore) domainNames() []string {
	out := make([]string, 0, len(s.domains))
	for d := range s.domains {
		out = append(out, d)
	}
	return out
}

func (s *memStore) site(name string) []string {
	si := s.sites[name]
	if si == nil {
		return nil
	}
	out := make([]string, 0, len(si.domains))
	for d := range si.domains {
		out = append(out, d)
	}
	return out
}

// countBelow adds n to the count of cookie domains below each parent of d
// up to its site.
func (s *memStore) countBelow(d, site string, n int) {
	for d != site {
		if d = parentDomain(d); d == "" {
			return
		}
		if s.below[d] += n; s.below[d] == 0 {
			delete(s.below, d)
		}
	}
}

func (s *memStore) hasSubdomains(d string) bool { return s.below[d] > 0 }

func (s *memStore) each(fn func(*entry) bool) {
	for _, dc := range s.domains {
		for _, e := range dc.entries {
			if !fn(e) {
				return
			}
		}
	}
}

func (s *memStore) len() int { return s.n }

func (s *memStore) siteLen(name string) int {
	if si := s.sites[name]; si != nil {
		return si.n
	}
	return 0
}

func (s *memStore) clear() {
	*s = *newMemStore()
}
