//go:build linux

package chromiumtest

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/idna"

	"github.com/httpsession/httpsession"
)

// chromiumPath is where Debian's chromium package puts the browser.
const chromiumPath = "/usr/bin/chromium"

// TestChromiumCookieHeaders plays every scenario to headless Chromium and to
// a fresh httpsession.Jar, and compares the Cookie header each sends at
// every check URL, byte for byte.
//
// Set CHROMIUMTEST_REPORT=/some/file.json to write every result (agreeing or
// not) to that file.
func TestChromiumCookieHeaders(t *testing.T) {
	bin := requireChromium(t)
	ctx := budgetContext(t)

	srv := startServers(t)
	start := time.Now()
	b := launchBrowser(ctx, t, bin)
	t.Logf("Chromium started in %v", time.Since(start).Round(time.Millisecond))

	scenarios := allScenarios()
	require.GreaterOrEqual(t, len(scenarios), 300, "scenario count")
	start = time.Now()
	var results []result
	for i := range scenarios {
		res, err := playChromium(ctx, b, srv, i, &scenarios[i])
		require.NoError(t, err, "scenario %q (%d of %d), %v into playing them",
			scenarios[i].name, i+1, len(scenarios), time.Since(start).Round(time.Millisecond))
		results = append(results, res...)
	}
	elapsed := time.Since(start)
	t.Logf("%d scenarios, %d checks, played to Chromium in %v (%v per scenario)",
		len(scenarios), len(results), elapsed.Round(time.Millisecond),
		(elapsed / time.Duration(len(scenarios))).Round(time.Microsecond))

	// Guard against a harness that silently loses cookies: then Chromium
	// and the jar could agree on empty headers everywhere.
	sent := 0
	for _, r := range results {
		if r.Chromium != "" {
			sent++
		}
	}
	require.Greater(t, sent, len(results)/4, "Chromium sent cookies at too few checks: is the harness broken?")

	for i := range scenarios {
		playJar(srv, i, &scenarios[i], results)
	}
	if path := os.Getenv("CHROMIUMTEST_REPORT"); path != "" {
		data, err := json.MarshalIndent(results, "", "  ")
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(path, data, 0o644))
	}

	// Each difference either is explained by an allow-list entry (the jar
	// follows the RFC where Chromium does not) or fails the test.
	allowedBy := make(map[string][]result)
	differ := 0
	for _, r := range results {
		if r.Chromium == r.Jar {
			continue
		}
		differ++
		if reason := allowed(srv, scenarios, r); reason != "" {
			allowedBy[reason] = append(allowedBy[reason], r)
			continue
		}
		assert.Equal(t, r.Chromium, r.Jar, "Cookie header differs from Chromium's\n%s", r.describe())
	}
	t.Logf("%d of %d checks differ from Chromium; allowed:", differ, len(results))
	for _, reason := range append(allowReasons(), severalReasons) {
		if rs := allowedBy[reason]; len(rs) > 0 {
			t.Logf("  %d: %s\n  e.g. %s", len(rs), reason, strings.ReplaceAll(rs[0].describe(), "\n", "\n  "))
		} else if reason != severalReasons {
			t.Logf("  0 (stale entry?): %s", reason)
		}
	}
}

// budgetContext returns the context that bounds the whole test: it ends a
// little before the test binary's own deadline (go test -timeout: 10
// minutes by default, 30 in scripts/test), so that a test that runs out of
// time fails with its own message, how far it got and Chromium's log, and
// its cleanups kill the browser, instead of the binary panicking. The time
// the test takes depends on the machine and how busy it is (about a minute
// under -race on two idle cores, several on two busy ones), so no fixed
// budget can both hold on a slow machine and be shorter than -timeout.
// Without a deadline (-timeout 0) the context never ends.
func budgetContext(t *testing.T) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	if deadline, ok := t.Deadline(); ok {
		// Leave the cleanups and the report a tenth of the time left,
		// between 5 seconds and a minute.
		margin := min(max(time.Until(deadline)/10, 5*time.Second), time.Minute)
		ctx, cancel = context.WithDeadline(context.Background(), deadline.Add(-margin))
	}
	t.Cleanup(cancel)
	return ctx
}

// requireChromium returns the browser binary (CHROMIUMTEST_BIN, default
// /usr/bin/chromium), or skips the test when it is missing, except in CI
// (CI=true), where a missing browser is a failure.
func requireChromium(t *testing.T) string {
	t.Helper()
	bin := cmp.Or(os.Getenv("CHROMIUMTEST_BIN"), chromiumPath)
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing (%v) and CI=true: install it with `apt-get install -y chromium`", bin, err)
		}
		t.Skipf("%s is missing (%v): install it with `apt-get install -y chromium` to compare the jar with Chromium", bin, err)
	}
	if testing.Short() && os.Getenv("CI") != "true" {
		t.Skip("skipped in -short mode: it drives a real browser")
	}
	return bin
}

// servers are one http and one https server on 127.0.0.1. Chromium reaches
// them under any host name through --host-resolver-rules; the port picks
// the scheme.
type servers struct {
	httpPort, httpsPort string

	mu   sync.Mutex
	sets map[string][]string    // token → Set-Cookie lines to answer with
	reqs map[string]seenRequest // token → what the browser sent
}

type seenRequest struct {
	host   string
	tls    bool
	cookie string // the Cookie header, "" when absent
	count  int    // how many Cookie header lines (Chromium sends one)
	path   string // the path as it came on the wire
}

func startServers(t *testing.T) *servers {
	t.Helper()
	s := &servers{sets: make(map[string][]string), reqs: make(map[string]seenRequest)}
	h := http.HandlerFunc(s.serve)

	plain := httptest.NewUnstartedServer(h)
	secure := httptest.NewUnstartedServer(h)
	for _, ts := range []*httptest.Server{plain, secure} {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		_ = ts.Listener.Close()
		ts.Listener = l
	}
	plain.Start()
	secure.StartTLS() // Chromium runs with --ignore-certificate-errors
	t.Cleanup(plain.Close)
	t.Cleanup(secure.Close)
	s.httpPort = portOf(t, plain.URL)
	s.httpsPort = portOf(t, secure.URL)
	return s
}

func portOf(t *testing.T, raw string) string {
	u, err := url.Parse(raw)
	require.NoError(t, err)
	return u.Port()
}

func (s *servers) serve(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("k")
	s.mu.Lock()
	if token == "" { // favicon and the like
		s.mu.Unlock()
		http.NotFound(w, r)
		return
	}
	cookies := r.Header.Values("Cookie")
	s.reqs[token] = seenRequest{
		host:   r.Host,
		tls:    r.TLS != nil,
		cookie: strings.Join(cookies, "; "),
		count:  len(cookies),
		path:   wirePath(r.RequestURI),
	}
	lines := s.sets[token]
	s.mu.Unlock()
	if len(lines) > 0 {
		w.Header()["Set-Cookie"] = lines
	}
	// 204: the browser stores the cookies and sends the request like any
	// other, but commits no document, so no renderer is started for the
	// navigation and a scenario costs a few milliseconds.
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

// wirePath returns the path of a request-target as the client sent it.
func wirePath(requestURI string) string {
	p, _, _ := strings.Cut(requestURI, "?")
	return p
}

// stepURL is the URL of step j of scenario i as the browser and the jar see
// it: the scenario's scheme, host and path, the port of the server of that
// scheme, and a query token naming the step (the query plays no part in
// cookie matching).
func (s *servers) stepURL(i, j int, at string) (string, string, error) {
	u, err := url.Parse(at)
	if err != nil {
		return "", "", err
	}
	port := s.httpPort
	if u.Scheme == "https" {
		port = s.httpsPort
	}
	token := fmt.Sprintf("s%d-%d", i, j)
	u.Host = net.JoinHostPort(u.Hostname(), port)
	u.RawQuery = "k=" + token
	return u.String(), token, nil
}

// result is one check: what Chromium and the jar sent to one check URL.
type result struct {
	Scenario string   `json:"scenario"`
	Steps    []string `json:"steps"`
	Check    string   `json:"check"`
	Chromium string   `json:"chromium"`
	Jar      string   `json:"jar"`
	// WirePath is the path Chromium requested when it differs from the
	// one the jar was given (Chromium canonicalised the URL otherwise).
	WirePath string `json:"wirePath,omitempty"`

	index, step int
}

func (r result) describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "scenario %s\n", r.Scenario)
	for _, s := range r.Steps {
		fmt.Fprintf(&b, "  %s\n", s)
	}
	fmt.Fprintf(&b, "  check %s\n  chromium: %q\n  jar:      %q", r.Check, r.Chromium, r.Jar)
	if r.WirePath != "" {
		fmt.Fprintf(&b, "\n  (Chromium requested the path as %q)", r.WirePath)
	}
	return b.String()
}

// playChromium clears the browser's cookies and plays one scenario: each
// set step is a navigation whose response carries the step's Set-Cookie
// lines, each check step a navigation whose Cookie header is recorded.
func playChromium(ctx context.Context, b *browser, s *servers, i int, sc *scenario) ([]result, error) {
	if err := b.clearCookies(ctx); err != nil {
		return nil, err
	}
	var out []result
	for j, st := range sc.steps {
		raw, token, err := s.stepURL(i, j, st.at)
		if err != nil {
			return nil, err
		}
		s.mu.Lock()
		if st.set {
			s.sets[token] = st.lines
		}
		s.mu.Unlock()
		if err := b.navigate(ctx, raw); err != nil {
			return nil, err
		}
		s.mu.Lock()
		seen, ok := s.reqs[token]
		s.mu.Unlock()
		if !ok {
			return nil, fmt.Errorf("step %d: no request reached the server for %s", j, raw)
		}
		u, _ := url.Parse(raw)
		wantHost, err := idna.Lookup.ToASCII(u.Hostname())
		if err != nil {
			return nil, err
		}
		if seen.host != net.JoinHostPort(wantHost, u.Port()) || seen.tls != (u.Scheme == "https") {
			return nil, fmt.Errorf("step %d: %s arrived as host %q tls=%v: is --host-resolver-rules working?", j, raw, seen.host, seen.tls)
		}
		if seen.count > 1 {
			return nil, fmt.Errorf("step %d: %d Cookie header lines", j, seen.count)
		}
		if !st.set {
			res := result{
				Scenario: sc.name,
				Steps:    sc.describeSets(),
				Check:    st.at,
				Chromium: seen.cookie,
				index:    i,
				step:     j,
			}
			if seen.path != u.EscapedPath() {
				res.WirePath = seen.path
			}
			out = append(out, res)
		}
	}
	return out, nil
}

// playJar plays scenario i to a fresh jar with the very URLs Chromium saw
// and fills in the Jar field of its results.
func playJar(s *servers, i int, sc *scenario, results []result) {
	got := replayJar(s, i, sc, jarVariant{})
	for k := range results {
		if results[k].index == i {
			results[k].Jar = got[results[k].step]
		}
	}
}

// jarVariant changes how a scenario is fed to the jar so as to reproduce one
// deliberate difference from Chromium: rewrite turns each Set-Cookie line
// into the line that means, under the RFC rules the jar follows, what
// Chromium took the original to mean; renewChanged stores every line on its
// own and gives a cookie whose value a line changed a new creation time, as
// Chromium does.
type jarVariant struct {
	rewrite      func(line string) string
	renewChanged bool
}

// replayJar plays scenario i to a fresh jar and returns the Cookie header it
// would send at each check step.
func replayJar(s *servers, i int, sc *scenario, v jarVariant) map[int]string {
	jar := httpsession.NewJar()
	out := make(map[int]string)
	for j, st := range sc.steps {
		raw, _, err := s.stepURL(i, j, st.at)
		if err != nil {
			panic(err)
		}
		u, err := url.Parse(raw)
		if err != nil {
			panic(err)
		}
		if !st.set {
			out[j] = jar.CookieHeader(u)
			continue
		}
		lines := st.lines
		if v.rewrite != nil {
			lines = make([]string, len(st.lines))
			for k, l := range st.lines {
				lines[k] = v.rewrite(l)
			}
		}
		if !v.renewChanged {
			jar.SetRawCookies(u, lines)
			continue
		}
		for _, l := range lines {
			before := make(map[cookieKey]httpsession.Cookie)
			for _, c := range jar.All() {
				before[keyOf(c)] = c
			}
			jar.SetRawCookies(u, []string{l})
			for _, c := range jar.All() {
				if old, ok := before[keyOf(c)]; ok && old.Value != c.Value && old.Created.Equal(c.Created) {
					jar.Delete(c.Domain, c.Path, c.Name)
					jar.SetRawCookies(u, []string{l})
				}
			}
		}
	}
	return out
}

type cookieKey struct {
	name, domain, path string
	hostOnly           bool
}

func keyOf(c httpsession.Cookie) cookieKey {
	return cookieKey{c.Name, c.Domain, c.Path, c.HostOnly}
}

// allowance is a difference from Chromium that the jar makes on purpose,
// because RFC 6265bis (draft 22) requires it. A difference is allowed only
// when replaying the scenario with the allowance's variant — the jar taught
// Chromium's reading of that one rule — gives exactly Chromium's header, so
// an allowance never hides an unrelated difference in the same scenario.
type allowance struct {
	reason  string
	variant jarVariant
	// when, if set, allows every difference in a scenario it matches: for
	// rules the jar cannot be taught to read Chromium's way by rewriting
	// a line.
	when func(sc *scenario) bool
}

var allowList = []allowance{
	{
		reason: "RFC 6265bis §5.7 step 22.3: a cookie that replaces another keeps the old one's " +
			"creation-time; Chromium keeps it only when the value is unchanged, so in Chromium a " +
			"cookie whose value changed moves behind the others of equal path length",
		variant: jarVariant{renewChanged: true},
	},
	{
		reason: "RFC 6265bis §5.6.1/§5.6.2: an Expires that is not a cookie-date, or a Max-Age that " +
			"is not -?DIGIT+, is ignored, so an earlier valid one stays in force; Chromium takes the " +
			"last Expires and the last Max-Age attribute whatever their values (then drops an " +
			"unparsable one) and reads Max-Age=+N as N",
		variant: jarVariant{rewrite: chromiumExpiry},
	},
	{
		reason: "RFC 6265bis §5.1.1: a cookie-date with a year before 1601, a time-field of " +
			"three digits, or other bytes after the seconds is read as the RFC says; Chromium's " +
			"own date parser reads these dates otherwise (see chromiumDates)",
		variant: jarVariant{rewrite: chromiumDateRewrite},
	},
	{
		reason: "RFC 6265bis §5.7 step 8: a cookie whose Domain attribute holds a non-ASCII " +
			"character is ignored; Chromium converts the domain to punycode (IDNA) and keeps it",
		variant: jarVariant{rewrite: punycodeDomain},
	},
	{
		reason: "RFC 6265bis §5.6 step 1: only control characters other than HTAB reject a line, " +
			"so a tab inside a name, value or attribute is kept; Chromium 156 ignores such a line",
		variant: jarVariant{rewrite: dropInnerTab},
	},
	{
		reason: "RFC 6265bis §5.6 step 3: `=a=b` is a nameless cookie whose value is `a=b`, sent " +
			"as `a=b` (the WPT http-state case name0017 expects it); Chromium ignores a nameless " +
			"cookie whose value holds '='",
		variant: jarVariant{rewrite: dropNamelessWithEquals},
	},
	{
		reason: "request paths are compared after decoding escaped unreserved characters " +
			"(RFC 3986 §2.3), as the http-state case path0029 and net/http/cookiejar expect; " +
			"Chromium compares the escaped bytes as they are",
		when: func(sc *scenario) bool { return scenarioHas(sc, "%") },
	},
	{
		reason: "a trailing dot of the request host is dropped (§5.1.2 canonical host, as " +
			"net/http/cookiejar does); Chromium keeps \"www.example.com.\" a host of its own",
		when: func(sc *scenario) bool { return scenarioHas(sc, ".com./") || scenarioHas(sc, ".com.:") },
	},
}

// scenarioHas reports whether any URL or Set-Cookie line of sc contains s.
func scenarioHas(sc *scenario, s string) bool {
	for _, st := range sc.steps {
		if strings.Contains(st.at, s) {
			return true
		}
		for _, l := range st.lines {
			if strings.Contains(l, s) {
				return true
			}
		}
	}
	return false
}

// dropInnerTab ignores a line with a tab inside its name, value, or an
// attribute's name or value, as Chromium does.
func dropInnerTab(line string) string {
	for _, part := range splitAttrs(line) {
		name, value, _ := strings.Cut(part, "=")
		if strings.Contains(strings.Trim(name, " \t"), "\t") || strings.Contains(strings.Trim(value, " \t"), "\t") {
			return ""
		}
	}
	return line
}

// dropNamelessWithEquals ignores a nameless cookie whose value holds '=', as
// Chromium does.
func dropNamelessWithEquals(line string) string {
	pair, _, _ := strings.Cut(line, ";")
	name, value, ok := strings.Cut(pair, "=")
	if ok && strings.Trim(name, " \t") == "" && strings.Contains(value, "=") {
		return ""
	}
	return line
}

const severalReasons = "several of the allowed differences together"

func allowReasons() []string {
	out := make([]string, len(allowList))
	for i, a := range allowList {
		out[i] = a.reason
	}
	return out
}

// allowed returns the reason of the allowance whose variant reproduces
// Chromium's header at this check, or "". When no single allowance does,
// all of them together are tried, for a line that hits several.
func allowed(s *servers, scenarios []scenario, r result) string {
	for _, a := range allowList {
		if a.when != nil {
			if a.when(&scenarios[r.index]) {
				return a.reason
			}
			continue
		}
		if replayJar(s, r.index, &scenarios[r.index], a.variant)[r.step] == r.Chromium {
			return a.reason
		}
	}
	all := jarVariant{renewChanged: true, rewrite: func(l string) string {
		for _, a := range allowList {
			if a.variant.rewrite != nil {
				l = a.variant.rewrite(l)
			}
		}
		return l
	}}
	if replayJar(s, r.index, &scenarios[r.index], all)[r.step] == r.Chromium {
		return severalReasons
	}
	return ""
}

// splitAttrs splits a Set-Cookie line at its semicolons.
func splitAttrs(line string) []string { return strings.Split(line, ";") }

func attrName(av string) string {
	name, _, _ := strings.Cut(av, "=")
	return strings.ToLower(strings.Trim(name, " \t"))
}

// chromiumExpiry rewrites a line the way Chromium reads its expiry
// attributes: only the last Expires and the last Max-Age attribute count,
// and a leading '+' of Max-Age is a sign.
func chromiumExpiry(line string) string {
	parts := splitAttrs(line)
	last := map[string]int{}
	for i, p := range parts[1:] {
		if n := attrName(p); n == "expires" || n == "max-age" {
			last[n] = i + 1
		}
	}
	out := []string{parts[0]}
	for i, p := range parts[1:] {
		n := attrName(p)
		if (n == "expires" || n == "max-age") && last[n] != i+1 {
			continue
		}
		if n == "max-age" {
			_, v, _ := strings.Cut(p, "=")
			v = strings.Trim(v, " \t")
			if strings.HasPrefix(v, "+") {
				p = "Max-Age=" + v[1:]
			}
		}
		out = append(out, p)
	}
	return strings.Join(out, ";")
}

// chromiumDates maps Expires values that Chromium 156 reads differently from
// RFC 6265bis §5.1.1 to a value the RFC reads as Chromium does ("" drops
// the attribute: Chromium fails to parse it and makes a session cookie).
var chromiumDates = map[string]string{
	// Year 1600: the RFC fails the date (year < 1601), a session cookie;
	// Chromium clamps it to its earliest time, an expired cookie.
	"Thu, 01 Jan 1600 00:00:00 GMT": "Thu, 01 Jan 1970 00:00:00 GMT",
	// time = hms-time [ non-digit *OCTET ]: the RFC reads 01:02:03 and
	// ignores ":4"; Chromium fails the date.
	"Thu, 01 Jan 2001 1:2:3:4 GMT": "",
	// time-field = 1*2DIGIT: the RFC finds no time and fails the date;
	// Chromium reads 01:02:03.
	"Thu, 01 Jan 2001 001:02:03 GMT": "Thu, 01 Jan 2001 01:02:03 GMT",
}

func chromiumDateRewrite(line string) string {
	parts := splitAttrs(line)
	out := []string{parts[0]}
	for _, p := range parts[1:] {
		if attrName(p) == "expires" {
			_, v, _ := strings.Cut(p, "=")
			if d, ok := chromiumDates[strings.Trim(v, " \t")]; ok {
				if d == "" {
					continue
				}
				p = "Expires=" + d
			}
		}
		out = append(out, p)
	}
	return strings.Join(out, ";")
}

// punycodeDomain rewrites a non-ASCII Domain attribute to its punycode form,
// as Chromium canonicalises it.
func punycodeDomain(line string) string {
	parts := splitAttrs(line)
	for i, p := range parts[1:] {
		if attrName(p) != "domain" {
			continue
		}
		_, v, _ := strings.Cut(p, "=")
		v = strings.Trim(v, " \t")
		if !isASCII(v) {
			if a, err := idna.Lookup.ToASCII(strings.TrimPrefix(v, ".")); err == nil {
				parts[i+1] = "Domain=" + a
			}
		}
	}
	return strings.Join(parts, ";")
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// quote shows a Set-Cookie line with its control bytes visible.
func quote(s string) string { return strconv.Quote(s) }
