package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/httpsession/httpsession"
)

// secret is a cookie value that must never appear whole unless asked for.
const secret = "s3cr3t-0123456789abcdef0123456789abcdef"

// cookiejar runs the command with args and returns its exit code and output.
func cookiejar(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// writeFile writes content to name in dir and returns the path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	return path
}

// inDays is a whole-second expiry days from now, as cookies.txt can hold it.
func inDays(days int) time.Time {
	return time.Now().Add(time.Duration(days) * 24 * time.Hour).Truncate(time.Second).UTC()
}

// netscapeFile writes a cookies.txt file: a domain cookie, a host-only
// HttpOnly Secure cookie with a long value and an expiry, a session cookie
// of another site.
func netscapeFile(t *testing.T, dir string) string {
	t.Helper()
	return writeFile(t, dir, "cookies.txt", fmt.Sprintf(
		"# Netscape HTTP Cookie File\n"+
			".example.com\tTRUE\t/\tFALSE\t0\tlang\ten\n"+
			"#HttpOnly_www.example.com\tFALSE\t/account\tTRUE\t%d\tsid\t%s\n"+
			"shop.example.org\tFALSE\t/\tFALSE\t%d\tcart\t42\n",
		inDays(30).Unix(), secret, inDays(2).Unix()))
}

// nativeFile writes a native file through the library, with the attributes
// cookies.txt cannot hold.
func nativeFile(t *testing.T, dir string) string {
	t.Helper()
	jar := httpsession.NewJar()
	for _, c := range []httpsession.Cookie{
		{Name: "lang", Value: "en", Domain: "example.com", Path: "/"},
		{Name: "sid", Value: secret, Domain: "www.example.com", Path: "/account", HostOnly: true,
			Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode, Expires: inDays(30)},
		{Name: "chips", Value: "p", Domain: "cdn.example.net", Path: "/", HostOnly: true,
			Secure: true, SameSite: http.SameSiteNoneMode, Partitioned: true, Expires: inDays(3)},
	} {
		require.NoError(t, jar.Set(c))
	}
	path := filepath.Join(dir, "session.json")
	require.NoError(t, jar.Save(path))
	return path
}

// load reads a cookie file with the library, as a user of it would.
func load(t *testing.T, path string) []httpsession.Cookie {
	t.Helper()
	jar := httpsession.NewJar()
	require.NoError(t, jar.Load(path))
	return jar.All()
}

// carried is what survives any conversion: everything but SameSite,
// Partitioned and the creation and access times, which cookies.txt lacks.
type carried struct {
	Domain, Path, Name, Value  string
	HostOnly, Secure, HttpOnly bool
	Expires                    int64
}

func carriedOf(cookies []httpsession.Cookie) []carried {
	out := make([]carried, len(cookies))
	for i, c := range cookies {
		out[i] = carried{c.Domain, c.Path, c.Name, c.String(), c.HostOnly, c.Secure, c.HttpOnly, 0}
		if !c.Expires.IsZero() {
			out[i].Expires = c.Expires.Unix()
		}
	}
	return out
}

func TestListShortensValues(t *testing.T) {
	t.Parallel()
	path := netscapeFile(t, t.TempDir())
	code, out, errOut := cookiejar(t, "list", path)
	require.Equal(t, exitOK, code, errOut)
	assert.Empty(t, errOut)
	assert.NotContains(t, out, secret)
	assert.Contains(t, out, secret[:12]+"… (39 bytes)")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	require.Len(t, lines, 4)
	assert.Regexp(t, `^DOMAIN +PATH +NAME +VALUE +FLAGS +EXPIRES$`, lines[0])
	// Sorted by domain; a leading dot marks the domain cookie.
	assert.Regexp(t, `^\.example\.com +/ +lang +… \(2 bytes\) +- +session$`, lines[1])
	assert.Regexp(t, `^shop\.example\.org +/ +cart +… \(2 bytes\) +- +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(in (47|48)h\)$`, lines[2])
	// The expiry was written when the file was made, a moment before the
	// check: compare it as a time, not as text that a second boundary
	// between the two changes.
	m := regexp.MustCompile(`^www\.example\.com +/account +sid +s3cr3t-01234… \(39 bytes\) +Secure,HttpOnly +(\S+) \(in (29|30)d\)$`).FindStringSubmatch(lines[3])
	if assert.NotNil(t, m, lines[3]) {
		exp, err := time.Parse(time.RFC3339, m[1])
		require.NoError(t, err)
		assert.WithinDuration(t, inDays(30), exp, time.Minute)
	}
	// The columns line up: each starts where its heading does.
	for _, heading := range []string{"PATH", "NAME", "VALUE"} {
		col := strings.Index(lines[0], heading)
		for _, l := range lines[1:] {
			assert.True(t, l[col-1] == ' ' && l[col] != ' ', "%s column of %q", heading, l)
		}
	}
}

func TestListShowValues(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, path := range []string{netscapeFile(t, dir), nativeFile(t, dir)} {
		for _, args := range [][]string{
			{"list", "-a", path},
			{"list", "-show-values", path},
			{"list", path, "-a"}, // flags after the file name
		} {
			code, out, errOut := cookiejar(t, args...)
			require.Equal(t, exitOK, code, errOut)
			assert.Contains(t, out, " "+secret+" ", args)
			assert.Regexp(t, `lang +en +`, out, args)
		}
	}
}

func TestListFlagsColumn(t *testing.T) {
	t.Parallel()
	code, out, errOut := cookiejar(t, "list", nativeFile(t, t.TempDir()))
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, " Secure,SameSite=None,Partitioned ")
	assert.Contains(t, out, " Secure,HttpOnly,SameSite=Lax ")
}

func TestListDomain(t *testing.T) {
	t.Parallel()
	path := netscapeFile(t, t.TempDir())
	for domain, want := range map[string][]string{
		"example.com":     {"lang", "sid"},
		".EXAMPLE.com":    {"lang", "sid"},
		"www.example.com": {"sid"},
		"example.org":     {"cart"},
		"ample.com":       nil,
	} {
		code, out, errOut := cookiejar(t, "list", "-json", "-domain", domain, path)
		require.Equal(t, exitOK, code, errOut)
		var names []string
		for _, line := range nonEmptyLines(out) {
			var r struct{ Name string }
			require.NoError(t, json.Unmarshal([]byte(line), &r))
			names = append(names, r.Name)
		}
		assert.Equal(t, want, names, domain)
	}
}

func nonEmptyLines(s string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		if sc.Text() != "" {
			out = append(out, sc.Text())
		}
	}
	return out
}

func TestListJSON(t *testing.T) {
	t.Parallel()
	path := nativeFile(t, t.TempDir())
	want := load(t, path)

	code, out, errOut := cookiejar(t, "list", "-json", path)
	require.Equal(t, exitOK, code, errOut)
	assert.NotContains(t, out, secret)
	lines := nonEmptyLines(out)
	require.Len(t, lines, len(want))
	for i, line := range lines {
		var r map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &r))
		assert.NotContains(t, r, "value")
		assert.Equal(t, want[i].Name, r["name"])
		assert.Equal(t, want[i].Domain, r["domain"])
		assert.EqualValues(t, len(want[i].Value), r["valueBytes"])
	}

	code, out, errOut = cookiejar(t, "list", "-json", "-a", path)
	require.Equal(t, exitOK, code, errOut)
	lines = nonEmptyLines(out)
	require.Len(t, lines, len(want))
	for i, line := range lines {
		var r httpsession.Cookie // with -a a line is the cookie's own JSON form
		require.NoError(t, json.Unmarshal([]byte(line), &r))
		assert.Contains(t, line, `"value":`)
		assert.Equal(t, want[i].Value, r.Value)
		assert.Equal(t, want[i].HostOnly, r.HostOnly)
		assert.Equal(t, want[i].Partitioned, r.Partitioned)
		assert.Equal(t, want[i].SameSite, r.SameSite)
		if want[i].Expires.IsZero() {
			assert.NotContains(t, line, `"expires"`)
		} else {
			assert.True(t, want[i].Expires.Equal(r.Expires))
		}
	}
}

func TestShortValueNeverShowsAShortSecret(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"x", "ab", "123456", "abcdefghi", secret, strings.Repeat("é", 40)} {
		got := shortValue(v)
		shown, _, ok := strings.Cut(got, "…")
		require.True(t, ok, got)
		assert.LessOrEqual(t, utf8.RuneCountInString(shown), 12, v)
		assert.LessOrEqual(t, 3*utf8.RuneCountInString(shown), utf8.RuneCountInString(v), v)
		assert.True(t, strings.HasPrefix(v, shown), got)
		assert.True(t, strings.HasSuffix(got, fmt.Sprintf("(%d bytes)", len(v))), got)
		assert.NotContains(t, got, v)
	}
	assert.Equal(t, "(empty)", shortValue(""))
	assert.Equal(t, `\xff… (4 bytes)`, shortValue("\xff\xfe\xfd\xfc"))
}

func TestPrintableEscapes(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "plain é…", printable("plain é…"))
	assert.Equal(t, `a\tb\xffc\u200b`, printable("a\tb\xffc\u200b"))
}

func TestExitCodes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := netscapeFile(t, dir)
	native := nativeFile(t, dir)
	partial := writeFile(t, dir, "partial.txt",
		".example.com\tTRUE\t/\tFALSE\t0\tok\t1\n"+
			"not a cookie line\n")
	corrupt := writeFile(t, dir, "corrupt.json", `{"version": 1, "cookies": [{"name": "x",`)
	missing := filepath.Join(dir, "missing.txt")
	noDir := filepath.Join(dir, "no", "such", "dir", "out.json")

	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{"list", good}, exitOK},
		{[]string{"list", native}, exitOK},
		{[]string{"convert", good, filepath.Join(dir, "ok.json")}, exitOK},
		{[]string{"clean", native}, exitOK},
		{[]string{"help"}, exitOK},
		{[]string{"-version"}, exitOK},

		{[]string{"list", missing}, exitFailure},
		{[]string{"list", corrupt}, exitFailure},
		{[]string{"list", dir}, exitFailure},
		{[]string{"convert", good, noDir}, exitFailure},
		{[]string{"convert", missing, filepath.Join(dir, "never.json")}, exitFailure},
		{[]string{"clean", missing}, exitFailure},

		{nil, exitUsage},
		{[]string{"frobnicate"}, exitUsage},
		{[]string{"-frobnicate"}, exitUsage},
		{[]string{"list"}, exitUsage},
		{[]string{"list", good, good}, exitUsage},
		{[]string{"list", "-x", good}, exitUsage},
		{[]string{"list", "-domain"}, exitUsage},
		{[]string{"convert", good}, exitUsage},
		{[]string{"convert", good, filepath.Join(dir, "out.unknown")}, exitUsage},
		{[]string{"convert", "-to", "yaml", good, filepath.Join(dir, "out.json")}, exitUsage},
		{[]string{"clean"}, exitUsage},
		{[]string{"help", "frobnicate"}, exitUsage},

		{[]string{"list", partial}, exitPartial},
		{[]string{"convert", partial, filepath.Join(dir, "partial.json")}, exitPartial},
		{[]string{"clean", partial}, exitPartial},
	} {
		code, stdout, stderr := cookiejar(t, tc.args...)
		assert.Equal(t, tc.want, code, "%q\nstdout: %s\nstderr: %s", tc.args, stdout, stderr)
		if code != exitOK {
			assert.NotEmpty(t, stderr, tc.args)
		}
		assertOnePrefix(t, stderr, tc.args)
		if code == exitUsage {
			assert.Empty(t, stdout, tc.args)
			assert.Contains(t, stderr, "usage: cookiejar", tc.args)
			assert.Contains(t, stderr, "-h", tc.args)
		}
	}
	_, err := os.Stat(filepath.Join(dir, "never.json"))
	assert.ErrorIs(t, err, os.ErrNotExist, "no output from a failed conversion")
}

func TestPartialLoadReportsLinesAndDoesTheRest(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// Line 2 is malformed; line 3 is a supercookie on a public suffix,
	// refused by the jar. Both hold the secret, which must not leak.
	in := writeFile(t, dir, "cookies.txt",
		".example.com\tTRUE\t/\tFALSE\t0\tok\t1\n"+
			"example.com\tMAYBE\t/\tFALSE\t0\tbad\t"+secret+"\n"+
			".com\tTRUE\t/\tFALSE\t0\tsuper\t"+secret+"\n"+
			"www.example.com\tFALSE\t/\tTRUE\t0\t__Host-x\t"+secret+"\n")
	out := filepath.Join(dir, "out.json")
	code, stdout, stderr := cookiejar(t, "convert", in, out)
	assert.Equal(t, exitPartial, code)
	assert.Empty(t, stdout)
	assert.Contains(t, stderr, in+":2: record not loaded: include-subdomains field")
	assert.Contains(t, stderr, "public suffix")
	assert.Contains(t, stderr, "2 record(s) not loaded")
	assert.NotContains(t, stderr, secret)
	got := load(t, out)
	require.Len(t, got, 2)
	assert.Equal(t, "ok", got[0].Name)
	assert.Equal(t, "__Host-x", got[1].Name)

	// A native record with a bad field is reported by its line.
	native := writeFile(t, dir, "bad.json", `{"version": 1, "cookies": [
  {"name":"a","value":"1","domain":"example.com","path":"/","hostOnly":true,"secure":false,"httpOnly":false,"created":"2025-01-01T00:00:00Z","lastAccess":"2025-01-01T00:00:00Z","updated":"2025-01-01T00:00:00Z"},
  {"name":"b","value":"`+secret+`","domain":"example.com","path":"/","hostOnly":true,"secure":false,"httpOnly":false,"sameSite":"sideways","created":"2025-01-01T00:00:00Z","lastAccess":"2025-01-01T00:00:00Z","updated":"2025-01-01T00:00:00Z"}
]}
`)
	code, stdout, stderr = cookiejar(t, "list", "-a", native)
	assert.Equal(t, exitPartial, code)
	assert.Contains(t, stderr, native+":3: record not loaded")
	assert.NotContains(t, stderr, secret)
	assert.Regexp(t, `example\.com +/ +a +1 `, stdout)
	assert.NotContains(t, stdout, secret)
}

func TestCorruptInputIsLeftAlone(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	corrupt := map[string]string{
		"truncated.json": `{"version": 1, "cookies": [{"name": "sid", "value": "` + secret + `",`,
		"version.json":   `{"version": 99, "cookies": []}`,
		"binary.txt":     "example.com\tFALSE\t/\tFALSE\t0\tsid\t" + secret + "\n\x00\x01\x02",
	}
	for name, content := range corrupt {
		path := writeFile(t, dir, name, content)
		for _, args := range [][]string{
			{"list", path},
			{"list", "-a", "-json", path},
			{"clean", "-session", path},
			{"convert", path, filepath.Join(dir, name+".out.txt")},
			{"convert", "-to", "native", path, filepath.Join(dir, name+".out")},
		} {
			code, stdout, stderr := cookiejar(t, args...)
			assert.Equal(t, exitFailure, code, args)
			assert.Empty(t, stdout, args)
			assert.Contains(t, stderr, path, args)
			assert.Contains(t, stderr, "corrupt", args)
			assert.NotContains(t, stderr, secret, args)
			data, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, content, string(data), "%q changed the file", args)
		}
		if name == "truncated.json" {
			_, _, stderr := cookiejar(t, "list", path)
			assert.Contains(t, stderr, "line 1, column")
		}
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		assert.Contains(t, corrupt, e.Name(), "nothing new is written")
	}
}

func TestHelp(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"-h"}, {"-help"}, {"--help"}, {"help"}, {"help", "help"},
		{"list", "-h"}, {"convert", "-h"}, {"clean", "-help"},
		{"help", "list"}, {"help", "convert"}, {"help", "clean"},
		{"list", "some-file", "-h"},
	} {
		code, stdout, stderr := cookiejar(t, args...)
		assert.Equal(t, exitOK, code, args)
		assert.Empty(t, stderr, args)
		assert.True(t, strings.HasPrefix(stdout, "Usage: cookiejar "), "%q: %s", args, stdout)
		assert.Contains(t, stdout, "Examples:", args)
	}
	_, top, _ := cookiejar(t, "-h")
	for _, want := range []string{"list", "convert", "clean", "Exit status", "3  a file loaded only partly"} {
		assert.Contains(t, top, want)
	}
	_, list, _ := cookiejar(t, "list", "-h")
	for _, want := range []string{"-a", "-show-values", "-domain D", "-json", "leading dot"} {
		assert.Contains(t, list, want)
	}
	_, conv, _ := cookiejar(t, "convert", "-h")
	for _, want := range []string{"-to format", "-f", ".txt is netscape"} {
		assert.Contains(t, conv, want)
	}
	_, clean, _ := cookiejar(t, "clean", "-h")
	for _, want := range []string{"-expired", "-session"} {
		assert.Contains(t, clean, want)
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := cookiejar(t, "-version")
	assert.Equal(t, exitOK, code)
	assert.Empty(t, stderr)
	// A test binary has no module version: the library's, as a
	// development build.
	assert.Regexp(t, `^cookiejar `+regexp.QuoteMeta(httpsession.Version)+` \(devel[^)]*\)\n$`, stdout)
}

func TestDoubleDashEndsFlags(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := writeFile(t, dir, "-a", ".example.com\tTRUE\t/\tFALSE\t0\tlang\ten\n")
	code, stdout, stderr := cookiejar(t, "list", "-json", "--", path)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, `"name":"lang"`)
}

// Listing a file: values are shortened, and a leading dot marks a domain
// cookie.
func Example() {
	dir, err := os.MkdirTemp("", "cookiejar-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "cookies.txt")
	err = os.WriteFile(path, []byte(
		".example.com\tTRUE\t/\tFALSE\t0\tlang\ten\n"+
			"#HttpOnly_www.example.com\tFALSE\t/\tTRUE\t0\tsession\td41d8cd98f00b204e9800998ecf8427e\n"), 0o600)
	if err != nil {
		panic(err)
	}
	code := run([]string{"list", path}, os.Stdout, os.Stderr)
	fmt.Println("exit status", code)
	// Output:
	// DOMAIN           PATH  NAME     VALUE                   FLAGS            EXPIRES
	// .example.com     /     lang     … (2 bytes)             -                session
	// www.example.com  /     session  d41d8cd98f… (32 bytes)  Secure,HttpOnly  session
	// exit status 0
}
