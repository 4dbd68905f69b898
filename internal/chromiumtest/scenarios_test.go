//go:build linux

package chromiumtest

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// A scenario is a list of steps played in order to a browser whose cookies
// were just cleared: a set step loads a URL (scheme, host, path; the port is
// the test server's) whose response carries Set-Cookie lines; a check step
// loads a URL and records the Cookie header sent with it.
type scenario struct {
	name  string
	steps []step
}

type step struct {
	set   bool
	at    string // URL without port or query, e.g. "https://www.example.com/a/b"
	lines []string
}

func set(at string, lines ...string) step { return step{set: true, at: at, lines: lines} }
func check(at string) step                { return step{at: at} }

func (sc *scenario) describeSets() []string {
	var out []string
	for _, st := range sc.steps {
		if !st.set {
			continue
		}
		q := make([]string, len(st.lines))
		for i, l := range st.lines {
			q[i] = quote(l)
		}
		out = append(out, "set "+st.at+" "+strings.Join(q, " | "))
	}
	return out
}

// allScenarios returns the hand-written scenarios followed by the generated
// ones; the same every run.
func allScenarios() []scenario {
	return append(handScenarios(), generatedScenarios(seed, generatedCount)...)
}

const (
	seed           = 6265
	generatedCount = 500
)

// origin is a place cookies are set from, with the domains the generator
// builds Domain attributes and check URLs from.
type originSpec struct {
	scheme, host, path string
	registrable        string // eTLD+1, or the host itself when it has none
	suffix             string // public suffix, "" when none
	ip                 bool
}

var origins = []originSpec{
	{"http", "www.example.com", "/a/b", "example.com", "com", false},
	{"https", "www.example.com", "/a/b", "example.com", "com", false},
	{"https", "www.example.com", "/", "example.com", "com", false},
	{"http", "example.com", "/a/", "example.com", "com", false},
	{"https", "sub.www.example.com", "/a/b", "example.com", "com", false},
	{"https", "www.example.co.uk", "/a/b", "example.co.uk", "co.uk", false},
	{"http", "www.example.co.uk", "/a", "example.co.uk", "co.uk", false},
	{"http", "localhost", "/a/b", "localhost", "", false},
	{"http", "127.0.0.1", "/a/b", "127.0.0.1", "", true},
}

type pick[T any] struct {
	w int
	v T
}

func choose[T any](r *rand.Rand, opts []pick[T]) T {
	total := 0
	for _, o := range opts {
		total += o.w
	}
	n := r.IntN(total)
	for _, o := range opts {
		if n < o.w {
			return o.v
		}
		n -= o.w
	}
	panic("unreachable")
}

// namePair returns the name-value pair of a line: a name (or none) and a
// value, built from name and value blocks. k keeps names distinct.
func namePair(r *rand.Rand, k int, reuse string) string {
	value := choose(r, []pick[string]{
		{6, fmt.Sprintf("v%d", k)},
		{1, ""},
		{2, fmt.Sprintf(`"v%d"`, k)},
		{1, `"v k"`},
		{1, `"`},
		{2, "ü€"},
		{2, "a=b"},
		{1, "x y"},
		{1, "v\tw"},
		{1, " v "},
		{1, "%20"},
		{1, "a,b"},
		{1, `\"`},
	})
	if reuse != "" {
		return reuse + "=" + value
	}
	return choose(r, []pick[string]{
		{10, fmt.Sprintf("n%d=%s", k, value)},
		{2, fmt.Sprintf("foo%d", k)},  // nameless: no '='
		{2, fmt.Sprintf("=foo%d", k)}, // nameless: empty name
		{1, "=" + value},
		{1, "="},
		{2, fmt.Sprintf("ü%d=%s", k, value)},
		{1, fmt.Sprintf("名前%d=%s", k, value)},
		{1, fmt.Sprintf(`"q%d"=%s`, k, value)},
		{1, fmt.Sprintf("s p%d=%s", k, value)},
		{1, fmt.Sprintf("  n%d  =  %s  ", k, value)},
		{1, fmt.Sprintf("\tn%d\t=\t%s", k, value)},
		{2, fmt.Sprintf("__Secure-n%d=%s", k, value)},
		{2, fmt.Sprintf("__Host-n%d=%s", k, value)},
		{1, fmt.Sprintf("__secure-n%d=%s", k, value)},
		{1, fmt.Sprintf("__HOST-n%d=%s", k, value)},
		{1, "__Host-=" + value},
		{1, fmt.Sprintf("__Secure-foo%d", k)}, // nameless, prefixed value
		{1, fmt.Sprintf("=__Host-foo%d", k)},
		{1, fmt.Sprintf("_Secure-n%d=%s", k, value)},
	})
}

func attribute(r *rand.Rand, o originSpec) string {
	domains := []pick[string]{
		{3, o.host},
		{2, o.registrable},
		{3, "." + o.registrable},
		{1, o.registrable + "."},
		{1, "." + o.host},
		{2, ""},
		{1, strings.ToUpper(o.registrable)},
		{1, "x." + o.host},
		{1, "other.org"},
		{1, "127.0.0.1"},
		{1, "localhost"},
		{1, ".." + o.registrable},
	}
	if o.suffix != "" {
		domains = append(domains, pick[string]{2, o.suffix}, pick[string]{1, "." + o.suffix})
	}
	return choose(r, []pick[func() string]{
		{6, func() string { return "Domain=" + choose(r, domains) }},
		{6, func() string {
			return choose(r, []pick[string]{
				{3, "Path=/"}, {3, "Path=/a"}, {2, "Path=/a/"}, {1, "Path=/ab"},
				{1, "Path=/a/b/c"}, {2, "Path=a"}, {2, "Path="}, {1, "Path"},
				{1, "Path=/A"}, {1, "Path=/a/%62"}, {1, "Path=/ü"},
			})
		}},
		{5, func() string { return choose(r, []pick[string]{{4, "Secure"}, {1, "secure"}, {1, "Secure=no"}}) }},
		{1, func() string { return "HttpOnly" }},
		{4, func() string {
			return "Max-Age=" + choose(r, []pick[string]{
				{3, "0"}, {3, "-1"}, {2, "99999999999"}, {1, "abc"}, {1, "+0"},
				{1, "00"}, {1, "-0"}, {2, "60"}, {1, "1e3"}, {1, ""}, {1, "9223372036854775808"},
			})
		}},
		{4, func() string {
			return "Expires=" + choose(r, []pick[string]{
				{3, "Thu, 01 Jan 1970 00:00:01 GMT"}, {3, "Fri, 01 Jan 2100 00:00:00 GMT"},
				{1, "Wed, 21 Oct 2015 07:28:00 GMT"}, {2, "never"}, {1, "2030-01-01"},
				{1, "Wed, 21-Oct-15 07:28:00 GMT"}, {1, "Sun, 06 Nov 2044 08:49:37 GMT"},
				{1, ""}, {1, "Thu Jan 01 1970"},
			})
		}},
		{3, func() string {
			return "SameSite=" + choose(r, []pick[string]{{3, "None"}, {1, "Lax"}, {1, "Strict"}, {1, "bogus"}, {1, "none"}})
		}},
		{2, func() string { return "Partitioned" }},
		{1, func() string {
			return choose(r, []pick[string]{{1, "Priority=High"}, {1, "Foo=bar"}, {1, "="}, {1, ""}})
		}},
	})()
}

// separator joins a line's parts with the whitespace variety servers send.
func separator(r *rand.Rand) string {
	return choose(r, []pick[string]{{8, "; "}, {3, ";"}, {1, " ; "}, {1, ";\t"}, {1, " ;  \t"}})
}

func flipCase(r *rand.Rand, attr string) string {
	if r.IntN(6) != 0 {
		return attr
	}
	name, rest, _ := strings.Cut(attr, "=")
	if strings.Contains(attr, "=") {
		rest = "=" + rest
	}
	if r.IntN(2) == 0 {
		return strings.ToUpper(name) + rest
	}
	return strings.ToLower(name) + rest
}

func cookieLine(r *rand.Rand, o originSpec, k int, reuse string) string {
	var b strings.Builder
	b.WriteString(namePair(r, k, reuse))
	n := choose(r, []pick[int]{{2, 0}, {4, 1}, {4, 2}, {2, 3}, {1, 4}})
	for range n {
		b.WriteString(separator(r))
		a := flipCase(r, attribute(r, o))
		b.WriteString(a)
		// Duplicate an attribute now and then: the last one wins.
		if r.IntN(8) == 0 {
			b.WriteString(separator(r))
			b.WriteString(flipCase(r, attribute(r, o)))
		}
	}
	if r.IntN(10) == 0 {
		b.WriteString(";")
	}
	return b.String()
}

// checksFor returns the check URLs for a scenario set at o: the same URL,
// the other scheme, and a few of: other paths, a subdomain, the parent, a
// sibling, and the loopback names.
func checksFor(r *rand.Rand, o originSpec) []string {
	other := "https"
	if o.scheme == "https" {
		other = "http"
	}
	out := []string{
		o.scheme + "://" + o.host + o.path,
		other + "://" + o.host + o.path,
	}
	pool := []string{
		"https://" + o.host + "/",
		"https://" + o.host + "/a/b/c",
		"https://" + o.host + "/ab",
		"http://" + o.host + "/a/",
		"https://" + o.host + "/A/b",
	}
	if !o.ip && o.host != "localhost" {
		pool = append(pool,
			"https://x."+o.host+o.path,
			"http://x."+o.host+"/a/b",
			"https://"+o.registrable+"/a/b",
			"https://other."+o.registrable+"/a/b",
		)
	} else {
		pool = append(pool, "https://localhost/a/b", "http://127.0.0.1/a/b", "http://x.localhost/a/b")
	}
	r.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
	return append(out, pool[:3]...)
}

// generatedScenarios builds n scenarios from the blocks above, from a fixed
// seed: one response of one to three Set-Cookie lines, then five checks.
func generatedScenarios(seed uint64, n int) []scenario {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	out := make([]scenario, 0, n)
	for i := range n {
		o := origins[r.IntN(len(origins))]
		nLines := choose(r, []pick[int]{{3, 1}, {3, 2}, {2, 3}})
		var lines []string
		for k := range nLines {
			reuse := ""
			if k > 0 && r.IntN(4) == 0 {
				reuse = "n0"
			}
			lines = append(lines, cookieLine(r, o, k, reuse))
		}
		steps := []step{set(o.scheme+"://"+o.host+o.path, lines...)}
		for _, c := range checksFor(r, o) {
			steps = append(steps, check(c))
		}
		out = append(out, scenario{name: fmt.Sprintf("gen%03d", i), steps: steps})
	}
	return out
}

// handScenarios are the cases a generator reaches rarely: several
// responses, replacement and deletion, ordering, limits and odd bytes.
func handScenarios() []scenario {
	const (
		hs   = "https://www.example.com/"
		h    = "http://www.example.com/"
		hsab = "https://www.example.com/a/b"
	)
	long := strings.Repeat("x", 4100)
	many := make([]string, 0, 181)
	for i := range 181 {
		many = append(many, fmt.Sprintf("c%03d=%d; Path=/", i, i))
	}
	return []scenario{
		{"secure-shadow-same-path", []step{
			set(hs, "a=1; Secure"), set(h, "a=2"), check(h), check(hs)}},
		{"secure-shadow-deeper-path", []step{
			set(hs, "a=1; Secure; Path=/"), set(h, "a=2; Path=/x"), check(h + "x/y"), check(hs + "x/y")}},
		{"secure-shadow-shallower-path", []step{
			set(hs, "a=1; Secure; Path=/x"), set(h, "a=2; Path=/"), check(h + "x/y"), check(hs + "x/y")}},
		{"secure-shadow-parent-domain", []step{
			set(hs, "a=1; Secure; Domain=example.com"), set(h, "a=2"), check(h), check(hs)}},
		{"secure-shadow-subdomain", []step{
			set("https://x.www.example.com/", "a=1; Secure"), set(h, "a=2; Domain=example.com"),
			check(h), check("https://x.www.example.com/")}},
		{"secure-shadow-other-name", []step{
			set(hs, "a=1; Secure"), set(h, "b=2"), check(h), check(hs)}},
		{"secure-overwritten-by-https", []step{
			set(hs, "a=1; Secure"), set(hs, "a=2"), check(h), check(hs)}},
		{"insecure-then-secure", []step{
			set(h, "a=1"), set(hs, "a=2; Secure"), check(h), check(hs)}},
		{"replace-in-one-response", []step{
			set(hs, "a=1", "b=2", "a=3"), check(hs)}},
		{"replace-same-value-in-one-response", []step{
			set(hs, "a=1", "b=2", "a=1"), check(hs)}},
		{"replace-in-second-response", []step{
			set(hs, "a=1", "b=2"), set(hs, "a=3"), check(hs)}},
		{"replace-same-value-in-second-response", []step{
			set(hs, "a=1", "b=2"), set(hs, "a=1; Max-Age=600"), check(hs)}},
		{"delete-max-age-0", []step{
			set(hs, "a=1", "b=2"), set(hs, "a=; Max-Age=0"), check(hs)}},
		{"delete-expires-past", []step{
			set(hs, "a=1", "b=2"), set(hs, "a=x; Expires=Thu, 01 Jan 1970 00:00:00 GMT"), check(hs)}},
		{"delete-needs-same-domain", []step{
			set(hs, "a=1; Domain=example.com", "b=2"), set(hs, "a=; Max-Age=0"), check(hs)}},
		{"delete-needs-same-path", []step{
			set(hsab, "a=1"), set(hs, "a=; Max-Age=0; Path=/"), check(hsab)}},
		{"host-and-domain-same-name", []step{
			set(hs, "a=host", "a=dom; Domain=example.com"), check(hs), check("https://x.www.example.com/")}},
		{"path-order", []step{
			set(hs, "a=1; Path=/", "b=2; Path=/a", "c=3; Path=/a/b", "d=4; Path=/a/"), check(hs + "a/b/c")}},
		{"creation-order", []step{
			set(hs, "z=1", "y=2", "x=3"), set(hs, "w=4"), check(hs)}},
		{"max-age-beats-expires", []step{
			set(hs, "a=1; Max-Age=600; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
				"b=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=600",
				"c=1; Max-Age=0; Expires=Fri, 01 Jan 2100 00:00:00 GMT"), check(hs)}},
		{"ip-domain-attribute", []step{
			set("http://127.0.0.1/", "a=1; Domain=127.0.0.1", "b=2; Domain=.127.0.0.1", "c=3; Domain=0.0.1"),
			check("http://127.0.0.1/")}},
		{"localhost-secure-over-http", []step{
			set("http://localhost/", "a=1; Secure", "__Secure-b=2; Secure", "__Host-c=3; Secure; Path=/"),
			check("http://localhost/"), check("https://localhost/")}},
		{"loopback-ip-secure-over-http", []step{
			set("http://127.0.0.1/", "a=1; Secure", "__Host-c=3; Secure; Path=/"),
			check("http://127.0.0.1/"), check("https://127.0.0.1/")}},
		{"localhost-partitioned", []step{
			set("http://localhost/", "a=1; Secure; Partitioned", "b=2; Secure"),
			check("http://localhost/"), check("https://localhost/")}},
		{"https-partitioned", []step{
			set(hs, "a=1; Secure; Partitioned; Path=/", "b=2; Secure; Partitioned; Domain=example.com"),
			check(hs), check("https://x.www.example.com/"), check("https://example.com/")}},
		{"partitioned-identity", []step{
			set(hs, "a=1", "a=2; Secure; Partitioned", "b=3; Secure; Partitioned", "b=; Max-Age=0",
				"c=4; Secure; Partitioned; Domain=example.com"),
			check(hs), check("https://x.www.example.com/")}},
		{"localhost-subdomain", []step{
			set("http://x.localhost/", "a=1", "b=2; Domain=localhost", "c=3; Domain=x.localhost"),
			check("http://x.localhost/"), check("http://localhost/"), check("http://y.x.localhost/")}},
		{"ip-domain-attribute", []step{
			set("http://127.0.0.1/", "a=1; Domain=127.0.0.1", "b=2; Domain=.127.0.0.1", "c=3; Domain=0.0.1"),
			check("http://127.0.0.1/")}},
		{"public-suffix-host", []step{
			set("http://co.uk/", "a=1", "b=2; Domain=co.uk", "c=3; Domain=.co.uk"),
			check("http://co.uk/"), check("http://example.co.uk/")}},
		{"idn-host", []step{
			set("https://www.bücher.example/", "a=1", "b=2; Domain=bücher.example",
				"c=3; Domain=xn--bcher-kva.example", "d=4; Domain=BÜCHER.example"),
			check("https://www.bücher.example/"), check("https://www.xn--bcher-kva.example/"),
			check("https://x.bücher.example/")}},
		{"control-bytes", []step{
			set(hs, "a=1\x01", "b=2\x7f", "c=3; Path=/\x01", "\x01d=4"), check(hs)}},
		{"empty-lines", []step{
			set(hs, "", ";", "=", " = ", "; Path=/", "=;", "a=1"), check(hs)}},
		{"nameless-with-equals-in-value", []step{
			set(hs, "=a=b", "=c=d; Path=/"), check(hs)}},
		{"nameless-and-named-same-value", []step{
			set(hs, "foo", "=bar", "foo=baz"), check(hs)}},
		{"size-limit", []step{
			set(hs, "ab="+long[:4094], "cd="+long[:4095], "e="+long, "="+long[:4096], "f"+long[:4096]),
			check(hs)}},
		{"attribute-value-limit", []step{
			set(hs, "a=1; Path=/"+strings.Repeat("p", 1023), "b=2; Path=/"+strings.Repeat("p", 1024)+"; Path=/",
				"c=3; Domain=example.com; Domain="+strings.Repeat("d", 1025)),
			check(hs + strings.Repeat("p", 1023)), check("https://x.www.example.com/")}},
		{"per-domain-limit", []step{set(hs, many...), check(hs)}},
		{"two-digit-year", []step{
			set(hs, "a=1; Expires=Wed, 21-Oct-69 07:28:00 GMT", "b=2; Expires=Wed, 21-Oct-70 07:28:00 GMT",
				"c=3; Expires=Tue, 19 Jan 2038 03:14:08 GMT", "d=4; Expires=Sat, 01 Jan 1601 00:00:00 GMT"),
			check(hs)}},
		{"secure-attribute-case-and-value", []step{
			set(h, "a=1; SECURE", "b=2; Secure=false", "c=3; Secure ", "d=4; Securex"), check(h), check(hs)}},
		{"samesite-none-insecure-localhost", []step{
			set("http://localhost/", "a=1; SameSite=None", "b=2; SameSite=None; Secure"),
			check("http://localhost/")}},
		{"port-independence", []step{
			set(h, "a=1"), set(hs, "b=2"), check(h), check(hs)}},
		{"trailing-dot-host", []step{
			set("http://www.example.com./", "a=1", "b=2; Domain=example.com.", "c=3; Domain=example.com"),
			check("http://www.example.com./"), check(h)}},
		{"uppercase-host", []step{
			set("http://WWW.Example.COM/", "a=1", "b=2; Domain=EXAMPLE.com"),
			check(h), check("http://x.www.example.com/")}},
		{"escaped-path", []step{
			set("https://www.example.com/%61/b", "a=1", "b=2; Path=/%61", "c=3; Path=/a"),
			check("https://www.example.com/a/b"), check("https://www.example.com/%61/b")}},
		{"domain-empty-last", []step{
			set(hs, "a=1; Domain=example.com; Domain=", "b=2; Domain=; Domain=example.com", "c=3; Domain=.; Path=/"),
			check(hs), check("https://x.www.example.com/")}},
		{"tab-inside", []step{
			set(hs, "a\tb=1", "c=2\t3", "d=4; Path=/\tx", "e=5; Foo=x\ty", "f=6; Domain=exa\tmple.com",
				"\tg\t=\t7\t;\tPath=/\t", "h=8; Max\tAge=0"),
			check(hs)}},
		{"invalid-last-expires-max-age", []step{
			set(hs, "a=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Expires=bogus",
				"b=2; Max-Age=0; Max-Age=bogus",
				"c=3; Max-Age=0; Max-Age=", "d=4; Max-Age=+1; Max-Age=-1",
				"e=5; Max-Age=-1; Max-Age=1e3; Expires=Fri, 01 Jan 2100 00:00:00 GMT",
				"f=6; Max-Age=+0", "g=7; Max-Age= 0", "h=8; Max-Age=0x10"),
			check(hs)}},
		{"samesite-variants", []step{
			set(hs, "a=1; SameSite=None", "b=2; SameSite=None; Secure; SameSite=Lax", "c=3; SameSite=Lax; SameSite=None",
				"d=4; SameSite=Strict; Secure", "e=5; SameSite=bogus"),
			check(hs), check(h)}},
		{"secure-prefix-variants", []step{
			set(hs, "__Secure-a=1", "__Secure-b=2; Secure", "__Host-c=3; Secure", "__Host-d=4; Secure; Path=/",
				"__Host-e=5; Secure; Path=/; Domain=www.example.com", "__Host-f=6; Secure; Path=/x; Path=/",
				"__SECURE-g=7", "__host-h=8; Secure; Path=/", "__Secure-=9; Secure", "=__Secure-i", "__Host-j"),
			check(hs)}},
		// Past dates in many spellings: a cookie is sent only when its date
		// fails to parse (a session cookie) or parses to a future date.
		{"date-formats", []step{
			set(hs,
				"d00=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
				"d01=1; Expires=Thursday, 01-Jan-70 00:00:00 GMT",
				"d02=2; Expires=Thu Jan  1 00:00:00 1970",
				"d03=3; Expires=01 Jan 1970 00:00:00",
				"d04=4; Expires=Jan 01 1970 00:00:00 GMT",
				"d05=5; Expires=1970 Jan 01 00:00:00",
				"d06=6; Expires=Thu, 01 Jan 1970 00:00:00 UTC",
				"d07=7; Expires=Thu, 01 Jan 1970 00:00:00 +0100",
				"d08=8; Expires=Thu, 01 Jan 1970",
				"d09=9; Expires=Thu, 01 Jan 1970 24:00:00 GMT",
				"d10=10; Expires=Thu, 01 Jan 1970 00:60:00 GMT",
				"d11=11; Expires=Thu, 31 Feb 2001 00:00:00 GMT",
				"d12=12; Expires=Thu, 01 Jan 1600 00:00:00 GMT",
				"d13=13; Expires=Thu, 01 Jan 0070 00:00:00 GMT",
				"d14=14; Expires=Thu, 01 Jan 10 00:00:00 GMT",
				"d15=15; Expires=Thu,01Jan2001 00:00:00GMT",
				"d16=16; Expires=Thu, 01 January 2001 00:00:00 GMT",
				"d17=17; Expires=Thu, 1 Jan 2001 0:0:0 GMT",
				"d18=18; Expires=Thu, 01 Jan 2001 00:00 GMT",
				"d19=19; Expires=Thu, 01 Jan 2001 00:00:00.000 GMT",
				"d20=20; Expires=2001-01-01 00:00:00",
				"d21=21; Expires=Thu, 01 Jan 99999 00:00:00 GMT",
				"d22=22; Expires=Sat, 01 Jan 2000 00:00:00 PST",
				"d23=23; Expires=Thu 01 Jan 1970 00:00:00 GMT",
				"d24=24; Expires=1 1 1970 00:00:00",
				"d25=25; Expires=Thu, 00 Jan 2001 00:00:00 GMT",
				"d26=26; Expires=Thu, 32 Jan 2001 00:00:00 GMT",
				"d27=27; Expires=Thu, 01 Foo 2001 00:00:00 GMT",
				"d28=28; Expires=Thu, 01 Jan 1969 23:59:59 GMT",
				"d29=29; Expires=Thu, 01 Jan 2001 00:00:00 GMT extra 2099",
				"d30=30; Expires=01 Jan 2001 00:00:00 Jan",
				"d31=31; Expires=Thu, 01 Jan 2001 1:2:3:4 GMT",
				"d32=32; Expires=Thu, 01 Jan 2001 001:02:03 GMT",
				"d33=33; Expires=Thu, 01 Jan 01 00:00:00 GMT",
				"d34=34; Expires=Thu, 01 Jan 69 00:00:00 GMT",
				"d35=35; Expires=Thu, 01 Jan 2001\t00:00:00 GMT"),
			check(hs)}},
		{"escaped-path-tilde", []step{
			set("https://www.example.com/%7e/x", "a=1", "b=2; Path=/%7E", "c=3; Path=/~"),
			check("https://www.example.com/~/x"), check("https://www.example.com/%7E/x"),
			check("https://www.example.com/%7e/x")}},
		{"default-path-variants", []step{
			set("https://www.example.com/a/b/", "a=1"), set("https://www.example.com/x", "b=2"),
			set("https://www.example.com/y/", "c=3"),
			check("https://www.example.com/a/b/"), check("https://www.example.com/a/b"),
			check("https://www.example.com/y/z"), check("https://www.example.com/y")}},
	}
}
