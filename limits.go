package httpsession

import (
	"cmp"
	"slices"
	"time"
)

// Default cookie limits, as in Chromium's cookie store (RFC 6265bis §6.1
// leaves the numbers to the user agent).
const (
	DefaultPerDomainLimit = 180
	DefaultTotalLimit     = 3000
)

// enforceLimits evicts cookies from this jar when a limit is passed, in Chromium's way
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
	// Limits belong to this jar's memory alone: an evicted cookie is not
	// deleted, so no deletion is recorded and none reaches a file or a
	// Replica, where the cookie stays. Only an expired one is gone for
	// good.
	for _, e := range cands[:excess] {
		if e.expired(now) {
			j.expire(e)
			continue
		}
		j.store.remove(e.id())
		j.evictions++
		// A change no save has written yet waits for the next one.
		j.hist.keepEvicted(e, max(j.total, maxUnsaved))
	}
}
