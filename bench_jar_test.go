package httpsession

// Benchmarks of the jar against net/http/cookiejar on the same data, in the
// same run. Sub-benchmarks are named key=value, so that benchstat can put
// the two jars side by side: benchstat -col /impl (see scripts/bench.sh and
// BENCHMARKS.md).

import (
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/net/publicsuffix"
)

// benchResponse is one response's Set-Cookie lines, both raw and as
// net/http parses them, and the URL it came from.
type benchResponse struct {
	u       *url.URL
	lines   []string
	cookies []*http.Cookie
}

// benchWorkload is a set of responses that fill a jar and the request URLs
// that are then looked up in it.
type benchWorkload struct {
	name      string
	responses []benchResponse
	lookups   []*url.URL
	cookies   int // how many cookies the responses leave in a jar
}

func benchURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

func benchResp(u string, lines ...string) benchResponse {
	r := benchResponse{u: benchURL(u), lines: lines}
	for _, l := range lines {
		c, err := http.ParseSetCookie(l)
		if err != nil {
			panic(fmt.Sprintf("%s: %v", l, err))
		}
		r.cookies = append(r.cookies, c)
	}
	return r
}

// sitesWorkload is n distinct sites, siteN.com and siteN.co.uk in turn,
// each with ten cookies: host-only and domain cookies, Secure ones, on three
// hosts and a few paths.
func sitesWorkload(name string, n int) *benchWorkload {
	w := &benchWorkload{name: name, cookies: 10 * n}
	for i := range n {
		site := fmt.Sprintf("site%d.com", i)
		if i%2 == 1 {
			site = fmt.Sprintf("site%d.co.uk", i)
		}
		w.responses = append(w.responses,
			benchResp("https://www."+site+"/",
				fmt.Sprintf("sid=%016x%016x; Path=/; Secure; HttpOnly", i, i*7919),
				"pref=lang-en; Domain="+site+"; Path=/; Max-Age=31536000",
				fmt.Sprintf("_ga=GA1.2.%d.1700000000; Domain=%s; Path=/; Expires=Wed, 01 Jan 2031 00:00:00 GMT", i, site),
				"theme=dark"),
			benchResp("https://www."+site+"/shop/cart",
				"cart=items-3; Path=/shop",
				fmt.Sprintf("csrf=%x; Path=/shop; Secure; SameSite=Strict", i*104729)),
			benchResp("https://"+site+"/",
				"root=1"),
			benchResp("https://api."+site+"/v1/users/list",
				fmt.Sprintf("token=tk%d; Path=/v1; Secure; HttpOnly", i),
				"rl=100; Path=/v1/users",
				"trk=z; Domain="+site+"; Path=/v1"),
		)
		w.lookups = append(w.lookups,
			benchURL("https://www."+site+"/"),
			benchURL("https://www."+site+"/shop/cart/view?id=1"),
			benchURL("https://api."+site+"/v1/users/list"),
			benchURL("http://www."+site+"/index.html"),
			benchURL("https://"+site+"/about"),
		)
	}
	return w
}

// platformWorkload is n user subdomains of one registrable domain
// (userN.platform.com), three cookies each, and three domain cookies of the
// platform: every cookie shares one registrable domain.
func platformWorkload(n int) *benchWorkload {
	w := &benchWorkload{name: "platform", cookies: 3*n + 3}
	w.responses = append(w.responses, benchResp("https://www.platform.com/",
		"_octo=GH1.1.1.1; Domain=platform.com; Path=/; Secure; Max-Age=31536000",
		"logged_in=yes; Domain=platform.com; Path=/; Secure; HttpOnly",
		"tz=UTC; Domain=platform.com; Path=/"))
	for i := range n {
		host := fmt.Sprintf("user%d.platform.com", i)
		w.responses = append(w.responses, benchResp("https://"+host+"/repo/tree",
			fmt.Sprintf("session=%016x; Path=/; Secure; HttpOnly", i*31337),
			"prefs=compact; Path=/",
			fmt.Sprintf("recent=r%d; Path=/repo", i)))
		w.lookups = append(w.lookups,
			benchURL("https://"+host+"/"),
			benchURL("https://"+host+"/repo/tree/main"))
	}
	return w
}

var benchWorkloads = map[string]*benchWorkload{}

// workload returns a workload by name, built once per process.
func workload(name string) *benchWorkload {
	if w := benchWorkloads[name]; w != nil {
		return w
	}
	var w *benchWorkload
	switch name {
	case "sites":
		w = sitesWorkload(name, 1000) // 10,000 cookies
	case "platform":
		w = platformWorkload(1000) // 3,003 cookies
	case "100k":
		w = sitesWorkload(name, 10000) // 100,000 cookies
	case "1k":
		w = sitesWorkload(name, 100) // 1,000 cookies
	default:
		panic(name)
	}
	benchWorkloads[name] = w
	return w
}

// benchJar is what the benchmarks need of either jar.
type benchJar interface {
	http.CookieJar
	setRaw(u *url.URL, lines []string)
	header(u *url.URL) string
}

// ourJar is this package's jar, with limits high enough to keep every
// cookie of the workloads (the standard jar has no limits).
type ourJar struct{ *Jar }

func newOurJar() ourJar { return ourJar{NewJar(WithLimits(1<<30, 1<<30))} }

func (j ourJar) setRaw(u *url.URL, lines []string) { j.SetRawCookies(u, lines) }
func (j ourJar) header(u *url.URL) string          { return j.CookieHeader(u) }

// stdJar is net/http/cookiejar. What it lacks, raw Set-Cookie lines and a
// Cookie header, is done as net/http does it: http.ParseSetCookie for each
// line, and the cookies joined with "; " as http.Request.AddCookie does.
type stdJar struct{ *cookiejar.Jar }

func newStdJar() stdJar {
	j, err := cookiejar.New(&cookiejar.Options{PublicSuffixList: publicsuffix.List})
	if err != nil {
		panic(err)
	}
	return stdJar{j}
}

func (j stdJar) setRaw(u *url.URL, lines []string) {
	cookies := make([]*http.Cookie, 0, len(lines))
	for _, l := range lines {
		if c, err := http.ParseSetCookie(l); err == nil {
			cookies = append(cookies, c)
		}
	}
	j.SetCookies(u, cookies)
}

func (j stdJar) header(u *url.URL) string {
	var b strings.Builder
	for i, c := range j.Cookies(u) {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(c.Name)
		b.WriteByte('=')
		b.WriteString(c.Value)
	}
	return b.String()
}

var benchImpls = []struct {
	name string
	new  func() benchJar
}{
	{"std", func() benchJar { return newStdJar() }},
	{"ours", func() benchJar { return newOurJar() }},
}

// filled returns a jar of the given kind holding the workload's cookies.
func filled(newJar func() benchJar, w *benchWorkload) benchJar {
	j := newJar()
	for _, r := range w.responses {
		j.SetCookies(r.u, r.cookies)
	}
	return j
}

// benchEach runs body for every workload and both jars, serially and with
// RunParallel, under names such as "work=sites/mode=serial/impl=std" and
// "work=sites/mode=parallel/impl=std".
func benchEach(b *testing.B, works []string, body func(j benchJar, w *benchWorkload, i int)) {
	for _, name := range works {
		w := workload(name)
		for _, impl := range benchImpls {
			j := filled(impl.new, w)
			b.Run("work="+name+"/mode=serial/impl="+impl.name, func(b *testing.B) {
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					body(j, w, i)
				}
			})
			b.Run("work="+name+"/mode=parallel/impl="+impl.name, func(b *testing.B) {
				b.ReportAllocs()
				var next atomic.Int64
				b.RunParallel(func(pb *testing.PB) {
					// Each goroutine walks its own stretch of the data.
					i := int(next.Add(1)) * 7919
					for pb.Next() {
						body(j, w, i)
						i++
					}
				})
			})
		}
	}
}

var benchSink any

var lookupWorks = []string{"sites", "platform", "100k"}

func BenchmarkCookies(b *testing.B) {
	benchEach(b, lookupWorks, func(j benchJar, w *benchWorkload, i int) {
		cs := j.Cookies(w.lookups[i%len(w.lookups)])
		if len(cs) == 0 {
			panic("no cookies")
		}
	})
}

func BenchmarkCookieHeader(b *testing.B) {
	benchEach(b, lookupWorks, func(j benchJar, w *benchWorkload, i int) {
		if j.header(w.lookups[i%len(w.lookups)]) == "" {
			panic("no cookies")
		}
	})
}

// BenchmarkSetCookies stores one response's cookies, parsed by net/http, in
// a jar that already holds the workload: the cookies replace ones it has,
// as when a server refreshes its cookies.
func BenchmarkSetCookies(b *testing.B) {
	benchEach(b, lookupWorks, func(j benchJar, w *benchWorkload, i int) {
		r := &w.responses[i%len(w.responses)]
		j.SetCookies(r.u, r.cookies)
	})
}

// BenchmarkSetRawCookies is SetCookies from the raw Set-Cookie lines; the
// standard jar's figure includes net/http's parsing of them.
func BenchmarkSetRawCookies(b *testing.B) {
	benchEach(b, lookupWorks, func(j benchJar, w *benchWorkload, i int) {
		r := &w.responses[i%len(w.responses)]
		j.setRaw(r.u, r.lines)
	})
}

// BenchmarkLookupScale looks up cookies in a jar of 1,000 cookies (100
// sites) and in one of 100,000 of the same shape (10,000 sites): a jar that
// indexes its cookies well takes about as long for either (benchstat -col
// /cookies). With lookups=same, both jars are asked for the same 500 URLs,
// of the 100 sites the small jar holds: only the size of the jar differs.
// With lookups=spread, each jar is asked for the URLs of all its sites in
// turn, so the large jar's lookups also touch 100 times as much memory,
// more than the CPU caches hold.
func BenchmarkLookupScale(b *testing.B) {
	same := workload("1k").lookups
	for _, work := range []struct{ name, n string }{{"1k", "1000"}, {"100k", "100000"}} {
		w := workload(work.name)
		for _, impl := range benchImpls {
			j := filled(impl.new, w)
			for _, lookups := range []struct {
				name string
				urls []*url.URL
			}{{"same", same}, {"spread", w.lookups}} {
				b.Run("lookups="+lookups.name+"/impl="+impl.name+"/cookies="+work.n, func(b *testing.B) {
					b.ReportAllocs()
					for i := 0; i < b.N; i++ {
						benchSink = j.Cookies(lookups.urls[i%len(lookups.urls)])
					}
				})
			}
		}
	}
}

// BenchmarkSetInsecure stores the cookies of responses over plain http,
// which §5.7 step 16 checks against the Secure cookies of the domain, its
// parents and its subdomains. The standard jar does not apply that rule.
func BenchmarkSetInsecure(b *testing.B) {
	for _, name := range []string{"sites", "platform"} {
		w := workload(name)
		// The workload's responses over http, without their Secure cookies.
		var rs []benchResponse
		for _, r := range w.responses {
			u := *r.u
			u.Scheme = "http"
			var lines []string
			for _, l := range r.lines {
				if c, ok := parseSetCookie(l); ok && !c.secure {
					lines = append(lines, l)
				}
			}
			rs = append(rs, benchResponse{u: &u, lines: lines})
		}
		for _, impl := range benchImpls {
			j := filled(impl.new, w)
			b.Run("work="+name+"/impl="+impl.name, func(b *testing.B) {
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					r := &rs[i%len(rs)]
					j.setRaw(r.u, r.lines)
				}
			})
		}
	}
}

// BenchmarkFill builds a jar from empty with every response of a workload:
// each cookie is new, so this is the insertion path, limits included.
func BenchmarkFill(b *testing.B) {
	for _, name := range []string{"sites", "platform"} {
		w := workload(name)
		for _, impl := range benchImpls {
			b.Run("work="+name+"/impl="+impl.name, func(b *testing.B) {
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					benchSink = filled(impl.new, w)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*w.cookies), "ns/cookie")
			})
		}
	}
}

// BenchmarkMemory reports the heap a jar holds per stored cookie, for the
// 100,000 cookies of the 100k workload. The responses are made afresh and
// dropped, so whatever of them a jar keeps alive counts as the jar's.
func BenchmarkMemory(b *testing.B) {
	for _, impl := range benchImpls {
		b.Run("impl="+impl.name, func(b *testing.B) {
			b.ReportAllocs()
			var perCookie float64
			for i := 0; i < b.N; i++ {
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				w := sitesWorkload("mem", 10000)
				j := filled(impl.new, w)
				n := w.cookies
				runtime.GC()
				runtime.ReadMemStats(&after)
				perCookie = float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / float64(n)
				runtime.KeepAlive(j)
			}
			b.ReportMetric(perCookie, "B/cookie")
		})
	}
}
