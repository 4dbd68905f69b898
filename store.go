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

	// updated is when the cookie was last set, by this jar or by whoever
	// wrote the file it came from: merges keep the newer change.
	updated time.Time
	// version is the jar's change counter at that change: a change is new
	// to a file when its version is above the file's last synchronisation.
	version uint64
}

func (e *entry) id() cookieID {
	return cookieID{name: e.Name, domain: e.Domain, path: e.Path, hostOnly: e.HostOnly, partition: e.partition}
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
	// site returns the distinct cookie domains under one registrable domain.
	site(s string) []string
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
	domains map[string][]*entry // cookie Domain → its cookies
	sites   map[string]*siteIndex
	n       int
}

// siteIndex records the cookie domains under one registrable domain, for the
// per-domain limit and for checks that look at sibling domains.
type siteIndex struct {
	domains map[string]struct{}
	n       int
}

func newMemStore() *memStore {
	return &memStore{
		domains: make(map[string][]*entry),
		sites:   make(map[string]*siteIndex),
	}
}

func (s *memStore) get(id cookieID) *entry {
	for _, e := range s.domains[id.domain] {
		if e.id() == id {
			return e
		}
	}
	return nil
}

func (s *memStore) put(e *entry) {
	list := s.domains[e.Domain]
	for i, old := range list {
		if old.id() == e.id() {
			list[i] = e
			return
		}
	}
	s.domains[e.Domain] = append(list, e)
	s.n++
	si := s.sites[e.site]
	if si == nil {
		si = &siteIndex{domains: make(map[string]struct{})}
		s.sites[e.site] = si
	}
	si.domains[e.Domain] = struct{}{}
	si.n++
}

func (s *memStore) remove(id cookieID) {
	list := s.domains[id.domain]
	for i, e := range list {
		if e.id() != id {
			continue
		}
		last := len(list) - 1
		copy(list[i:], list[i+1:])
		list[last] = nil
		list = list[:last]
		s.n--
		si := s.sites[e.site]
		si.n--
		if len(list) == 0 {
			delete(s.domains, id.domain)
			delete(si.domains, id.domain)
		} else {
			s.domains[id.domain] = list
		}
		if si.n == 0 {
			delete(s.sites, e.site)
		}
		return
	}
}

func (s *memStore) domain(d string) []*entry { return s.domains[d] }

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

func (s *memStore) each(fn func(*entry) bool) {
	for _, list := range s.domains {
		for _, e := range list {
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
