package httpsession

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The sync model for files without change times (cookies.txt, Playwright,
// Cookie-Editor, CDP): a record gone since a jar last read or wrote the
// file is a deletion, and a record as the jar last saw it is no change.
// These histories once brought deleted cookies back or lost updates. Each
// file's modification time is set to the fake clock's, so that the order of
// changes is the test's and not the file system's.

// noTimesFile is a file in a format without change times, holding the
// cookie x=v1 on example.com (expiring at expires, or a session cookie)
// and, when refused is set, a record every jar refuses.
type noTimesFile struct {
	name string
	body func(expires time.Time, refused bool) string
}

func noTimesFiles() []noTimesFile {
	unix := func(t time.Time) string {
		if t.IsZero() {
			return "-1"
		}
		return fmt.Sprint(t.Unix())
	}
	return []noTimesFile{
		{"cookies.txt", func(exp time.Time, refused bool) string {
			s := "# Netscape HTTP Cookie File\nexample.com\tFALSE\t/\tFALSE\t" + map[bool]string{true: "0", false: unix(exp)}[exp.IsZero()] + "\tx\tv1\n"
			if refused {
				s += ".co.uk\tTRUE\t/\tFALSE\t0\ttracker\tt\n" // a supercookie
			}
			return s
		}},
		{"playwright.json", func(exp time.Time, refused bool) string {
			s := `{"cookies":[{"name":"x","value":"v1","domain":"example.com","path":"/","expires":` + unix(exp) + `,"httpOnly":false,"secure":false,"sameSite":"Lax"}`
			if refused {
				s += `,{"name":"tracker","value":"t","domain":".co.uk","path":"/","expires":-1,"httpOnly":false,"secure":false,"sameSite":"Lax"}`
			}
			return s + `],"origins":[]}`
		}},
		{"cookieeditor.json", func(exp time.Time, refused bool) string {
			s := `[{"name":"x","value":"v1","domain":"example.com","hostOnly":true,"path":"/","secure":false,"httpOnly":false,"sameSite":"lax","session":` +
				fmt.Sprint(exp.IsZero()) + map[bool]string{true: "", false: `,"expirationDate":` + unix(exp)}[exp.IsZero()] + `,"storeId":"0"}`
			if refused {
				s += `,{"name":"tracker","value":"t","domain":".co.uk","hostOnly":false,"path":"/","secure":false,"httpOnly":false,"sameSite":"lax","session":true,"storeId":"0"}`
			}
			return s + `]`
		}},
		{"cdp.json", func(exp time.Time, refused bool) string {
			s := `[{"name":"x","value":"v1","domain":"example.com","path":"/","expires":` + unix(exp) + `,"size":3,"httpOnly":false,"secure":false,"session":` + fmt.Sprint(exp.IsZero()) + `}`
			if refused {
				// Chrome writes such cookies: a partition it cannot name.
				s += `,{"name":"chips","value":"c","domain":"embed.example","path":"/","expires":-1,"size":5,"secure":true,"session":true,"partitionKey":{"topLevelSite":"https://a.example","hasCrossSiteAncestor":false},"partitionKeyOpaque":true}`
			}
			return s + `]`
		}},
	}
}

// noTimesWorld is a file and jars on one fake clock.
type noTimesWorld struct {
	t     *testing.T
	path  string
	clock *testClock
}

func newNoTimesWorld(t *testing.T, f noTimesFile, expires time.Time, refused bool) *noTimesWorld {
	w := &noTimesWorld{t: t, path: filepath.Join(t.TempDir(), f.name), clock: newTestClock()}
	require.NoError(t, os.WriteFile(w.path, []byte(f.body(expires, refused)), 0o600))
	w.stamp()
	return w
}

// stamp sets the file's modification time to the clock's time.
func (w *noTimesWorld) stamp() {
	now := w.clock.now()
	require.NoError(w.t, os.Chtimes(w.path, now, now))
}

func (w *noTimesWorld) open() *Jar {
	j := NewJar(WithClock(w.clock.now))
	if err := j.Load(w.path); err != nil {
		var fe *FileError
		require.ErrorAs(w.t, err, &fe, "only the refused record may fail")
	}
	return j
}

func (w *noTimesWorld) save(j *Jar) {
	data, err := os.ReadFile(w.path)
	require.NoError(w.t, err)
	format, err := DetectFormat(data)
	require.NoError(w.t, err)
	err = j.ExportFile(context.Background(), w.path, format)
	if err != nil {
		var fe *FileError
		require.ErrorAs(w.t, err, &fe, "only the refused record may fail")
	}
	w.stamp()
}

// fileValue returns x's value in the file as a new jar reads it, "" if
// the file holds no x.
func (w *noTimesWorld) fileValue() string {
	j := NewJar(WithClock(w.clock.now))
	_ = j.Load(w.path)
	return valueOf(j, "x")
}

func valueOf(j *Jar, name string) string {
	for _, c := range j.All() {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

func (w *noTimesWorld) tick(d time.Duration) { w.clock.advance(d) }

var xCookie = func(v string) Cookie {
	return Cookie{Name: "x", Value: v, Domain: "example.com", HostOnly: true, Path: "/"}
}

// A record the jars refuse (a supercookie, a cookie in an opaque partition)
// is carried through saves; it is no reason to stop seeing deletions.
func TestDeletionsStickBesideRefusedRecords(t *testing.T) {
	for _, f := range noTimesFiles() {
		t.Run(f.name, func(t *testing.T) {
			w := newNoTimesWorld(t, f, time.Time{}, true)
			w.tick(time.Second)
			a, b := w.open(), w.open()
			w.tick(time.Second)
			require.True(t, b.Delete("example.com", "/", "x")) // B logs out
			w.save(b)
			w.tick(time.Second)
			require.NoError(t, a.Set(Cookie{Name: "y", Value: "1", Domain: "example.com", HostOnly: true, Path: "/"}))
			w.save(a)
			assert.Empty(t, w.fileValue(), "the deleted x came back")
			assert.Empty(t, valueOf(a, "x"), "A holds the deleted x")
			data, err := os.ReadFile(w.path)
			require.NoError(t, err)
			assert.Regexp(t, `tracker|chips`, string(data), "the refused record is carried")

		})
	}
}

// A record that cannot be read and is new since the jar last read the file
// may be a cookie the jar held, rewritten: gone is then not inferred.
func TestNewUnreadableRecordIsNoDeletion(t *testing.T) {
	f := noTimesFiles()[0] // cookies.txt
	w := newNoTimesWorld(t, f, time.Time{}, true)
	w.tick(time.Second)
	a := w.open()
	w.tick(time.Second)
	// Another program rewrites x with a value no jar takes.
	require.NoError(t, os.WriteFile(w.path, []byte("example.com\tFALSE\t/\tFALSE\t0\tx\tv;2\n.co.uk\tTRUE\t/\tFALSE\t0\ttracker\tt\n"), 0o600))
	w.stamp()
	w.tick(time.Second)
	w.save(a)
	assert.Equal(t, "v1", valueOf(a, "x"), "x was taken as deleted")
	data, err := os.ReadFile(w.path)
	require.NoError(t, err)
	assert.Contains(t, string(data), "v;2", "the unreadable record is carried")
}

// An expiry beyond the 400-day cap is capped in each jar as of when it
// read the file; the file keeps it as written while no one changes the
// cookie, so that jars that read it at different times agree that it is
// unchanged (a lost update and a deleted cookie coming back, before).
func TestExpiriesBeyondTheCapAreNoChange(t *testing.T) {
	far := t0.Add(3 * 365 * 24 * time.Hour)
	for _, f := range noTimesFiles() {
		t.Run(f.name, func(t *testing.T) {
			t.Run("update", func(t *testing.T) {
				w := newNoTimesWorld(t, f, far, false)
				w.tick(time.Second)
				a := w.open()
				w.tick(time.Hour)
				b := w.open()
				w.tick(time.Hour)
				require.NoError(t, a.Set(xCookie("v2")))
				w.tick(time.Hour)
				require.NoError(t, b.Set(Cookie{Name: "y", Value: "1", Domain: "example.com", HostOnly: true, Path: "/"}))
				w.save(b)
				w.tick(time.Hour)
				w.save(a)
				assert.Equal(t, "v2", w.fileValue(), "A's update was lost")
				assert.Equal(t, "v2", valueOf(a, "x"))
			})
			t.Run("deletion", func(t *testing.T) {
				w := newNoTimesWorld(t, f, far, false)
				w.tick(time.Second)
				a := w.open()
				w.tick(time.Hour)
				b := w.open()
				w.tick(time.Hour)
				require.True(t, a.Delete("example.com", "/", "x"))
				w.tick(time.Hour)
				require.NoError(t, b.Set(Cookie{Name: "y", Value: "1", Domain: "example.com", HostOnly: true, Path: "/"}))
				w.save(b)
				w.tick(time.Hour)
				w.save(a)
				assert.Empty(t, w.fileValue(), "the deleted x came back")
				assert.Empty(t, valueOf(a, "x"))
			})
			t.Run("touched file", func(t *testing.T) {
				w := newNoTimesWorld(t, f, far, false)
				w.tick(time.Second)
				a := w.open()
				w.tick(time.Hour)
				require.NoError(t, a.Set(xCookie("v2")))
				w.tick(time.Hour)
				w.stamp() // touch(1), a backup tool
				w.tick(time.Hour)
				w.save(a)
				assert.Equal(t, "v2", w.fileValue(), "A's own change was undone")
			})
			t.Run("kept as written", func(t *testing.T) {
				w := newNoTimesWorld(t, f, far, false)
				w.tick(time.Second)
				a := w.open()
				got := a.All()
				require.Len(t, got, 1)
				assert.Equal(t, w.clock.now().Add(maxAge), got[0].Expires, "the jar caps the expiry (§5.5)")
				require.NoError(t, a.Set(Cookie{Name: "y", Value: "1", Domain: "example.com", HostOnly: true, Path: "/"}))
				w.save(a)
				j := NewJar(WithClock(func() time.Time { return far.Add(-time.Hour) }))
				_ = j.Load(w.path)
				assert.Equal(t, "v1", valueOf(j, "x"), "the file lost the expiry it was given")
			})
		})
	}
}

// An empty file in a format that cannot be told from another (an empty
// array, an empty "cookies" object) takes the format of the next save:
// an empty jar's CDP export reads as Cookie-Editor, and an emptied CDP
// object reads as a storageState.
func TestEmptyFilesTakeTheFormatOfTheNextSave(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		content string
		formats []Format
	}{
		{"[]", []Format{FormatCDP, FormatCookieEditor}},
		{"[ ]\n", []Format{FormatCookieEditor, FormatCDP}},
		{`{"cookies": []}`, []Format{FormatCDP, FormatPlaywright}},
	} {
		for _, f := range tc.formats {
			path := filepath.Join(t.TempDir(), "state.json")
			require.NoError(t, os.WriteFile(path, []byte(tc.content), 0o600))
			j := NewJar()
			require.NoError(t, j.Load(path))
			require.NoError(t, j.Set(xCookie("v1")))
			require.NoError(t, j.ExportFile(ctx, path, f), "%s onto %q", f, tc.content)
			data, err := os.ReadFile(path)
			require.NoError(t, err)
			got, err := DetectFormat(data)
			require.NoError(t, err)
			assert.Equal(t, f, got, "%s onto %q", f, tc.content)
		}
	}
	// A file that holds cookies keeps its format.
	path := filepath.Join(t.TempDir(), "state.json")
	j := NewJar()
	require.NoError(t, j.Set(xCookie("v1")))
	require.NoError(t, j.ExportFile(ctx, path, FormatCookieEditor))
	assert.ErrorIs(t, j.ExportFile(ctx, path, FormatCDP), ErrFormat)

	// The empty jar's own export, written by one jar, saved onto by another.
	require.NoError(t, NewJar().ExportFile(ctx, path, FormatCDP, Overwrite()))
	other := NewJar()
	require.NoError(t, other.Set(xCookie("v2")))
	require.NoError(t, other.ExportFile(ctx, path, FormatCDP))
}

// A partition key is a site: one longer than an attribute may be is
// refused like one.
func TestLongPartitionKeyIsRefused(t *testing.T) {
	long := "https://" + strings.Repeat("a", 1100) + ".example"
	in := `[{"name":"__Host-p","value":"1","domain":"example.com","path":"/","expires":-1,"size":10,"secure":true,"session":true,"partitionKey":"` + long + `"}]`
	j := NewJar()
	err := j.Import(strings.NewReader(in))
	assert.ErrorIs(t, err, ErrInvalidCookie)
	assert.Empty(t, j.All())
}

// Nil readers and writers are errors, not panics.
func TestImportExportNilIO(t *testing.T) {
	j := NewJar()
	assert.Error(t, j.Import(nil))
	var sr *strings.Reader
	assert.Error(t, j.Import(sr))
	assert.Error(t, j.Export(nil, FormatPlaywright))
	var buf *bytes.Buffer
	assert.Error(t, j.Export(buf, FormatNetscape))
}

// A host-only cookie from a hand-built URL whose host is not a host name
// (".example.com", "") is not written to the other programs' formats,
// which would widen it to a domain cookie or write what cannot be read.
func TestDegenerateHostsAreNotWidened(t *testing.T) {
	for _, host := range []string{".example.com", "", "a..b"} {
		u := &url.URL{Scheme: "https", Host: host, Path: "/"}
		j := NewJar()
		assert.Error(t, j.ImportCookieHeader(u, "sid=1"), "host %q", host)
		j.SetCookies(u, []*http.Cookie{{Name: "sid", Value: "1"}}) // kept, as net/http/cookiejar keeps it
		// cookies.txt drops the dot of a host-only cookie: it is not
		// widened there (TestWriteNetscapeOddCookies).
		for _, f := range []Format{FormatPlaywright, FormatCDP, FormatCookieEditor} {
			var b bytes.Buffer
			err := j.Export(&b, f)
			assert.Error(t, err, "host %q, %s", host, f)
			j2 := NewJar()
			require.NoError(t, j2.Import(&b), "host %q, %s", host, f)
			for _, c := range j2.All() {
				assert.True(t, c.HostOnly, "host %q widened in %s", host, f)
			}
		}
	}
}
