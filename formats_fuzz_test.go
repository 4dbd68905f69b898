package httpsession

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/httpsession/httpsession/internal/cookiefile"
)

// The readers of the other programs' formats under fuzzing. Each target
// starts from files of its format (its seed corpus is also checked in under
// testdata/fuzz); whatever the bytes become, checkForeign holds.

func FuzzImportPlaywright(f *testing.F) {
	for _, s := range playwrightSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(checkForeign)
}

func FuzzImportCookieEditor(f *testing.F) {
	for _, s := range cookieEditorSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(checkForeign)
}

func FuzzImportCDP(f *testing.F) {
	for _, s := range cdpSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(checkForeign)
}

var playwrightSeeds = []string{
	storageState,
	`{"cookies": [], "origins": []}`,
	`{"cookies": [{"name":"a","value":"1","domain":".example.com","path":"/","expires":1800000000.5,"httpOnly":true,"secure":true,"sameSite":"None","partitionKey":"https://example.com"}]}`,
	`{"cookies": [{"name":"__Host-a","value":"1","domain":"example.com","path":"/","expires":-1,"secure":true},{"name":"b","value":"2","domain":".co.uk"},7,null]}`,
	`{"origins": [{"origin":"https://x.com","localStorage":[]}], "cookies": [{"name":"a","value":"\"q\"","domain":"127.0.0.1","expires":1.8e12}]}`,
}

var cookieEditorSeeds = []string{
	`[]`,
	`[{"domain":".example.com","expirationDate":1800000000.123456,"hostOnly":false,"httpOnly":false,"name":"a","path":"/","sameSite":"no_restriction","secure":true,"session":false,"storeId":"0","value":"1","id":1}]`,
	`[{"domain":"example.com","hostOnly":true,"name":"","value":"v","session":true,"sameSite":"unspecified","partitionKey":{"topLevelSite":"https://example.com","hasCrossSiteAncestor":true},"secure":true}]`,
	`[{"domain":".co.uk","hostOnly":false,"name":"super","value":"1"},{"domain":"x.com","expirationDate":-5,"name":"neg","value":"1","storeId":"firefox-default"},"text"]`,
	"\ufeff[{\"domain\":\"bücher.example\",\"hostOnly\":true,\"name\":\"a\",\"value\":\"☃\",\"sameSite\":null}]",
}

var cdpSeeds = []string{
	`[{"name":"a","value":"1","domain":".example.com","path":"/","expires":-1,"size":2,"httpOnly":false,"secure":false,"session":true,"priority":"Medium","sameParty":false,"sourceScheme":"Secure","sourcePort":443}]`,
	`{"cookies": [{"name":"p","value":"1","domain":"cdn.x.com","path":"/","expires":1800000000,"size":2,"secure":true,"session":false,"sameSite":"Strict","partitionKey":{"topLevelSite":"https://www.example.com","hasCrossSiteAncestor":false}}], "extra": 1}`,
	`[{"name":"o","value":"1","domain":"x.com","size":2,"secure":true,"partitionKey":"https://x.com","partitionKeyOpaque":true},{"name":"a","value":"1","domain":"x.com","expires":1e400}]`,
	`[{"name":"a","value":"1","domain":"x.com","path":"/","expires":"soon"},{"name":"b","value":"1\u0000","domain":"x.com"}]`,
	"[::1]\tFALSE\t/\tFALSE\t0\ta\t1\n",
}

// checkForeign reads data as Load and Import do. Whatever the input: no
// panic; corrupt content loads nothing; what loads obeys the jar's rules;
// and what a save writes in the file's own format reads back to the same
// cookies, with the records that could not be read and the other top-level
// keys kept.
func checkForeign(t *testing.T, data []byte) {
	mod := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return mod }
	imported := NewJar(WithClock(clock), WithLimits(0, 0))
	importErr := imported.Import(bytes.NewReader(data))
	v, err := decodeFile(data)
	if err != nil {
		if v != nil || !errors.Is(err, ErrCorrupt) || !errors.Is(importErr, ErrCorrupt) || imported.Len() != 0 {
			t.Fatalf("corrupt content: %v, %v, %d cookies imported", err, importErr, imported.Len())
		}
		return
	}
	var fe *FileError
	if importErr != nil && !errors.As(importErr, &fe) {
		t.Fatalf("Import: %v", importErr)
	}
	j := NewJar(WithClock(clock), WithLimits(0, 0))
	j.mu.Lock()
	m := j.mergeFile(v, mod, nil, mod, mergeOptions{write: true})
	j.mu.Unlock()
	for _, jar := range []*Jar{j, imported} {
		for _, c := range jar.All() {
			checkRules(t, jar, &c)
		}
	}
	if !Format(v.Format).foreign() {
		return
	}
	for _, le := range v.Bad {
		if !le.Record || le.Line < 1 || le.Line > v.Len() {
			t.Fatalf("a bad record without its number: %+v of %d", le, v.Len())
		}
	}
	write, skipped := encoder(Format(v.Format), m, &v.Carried, mod)
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		t.Fatal(err)
	}
	written := m.held // the cookies written, and their records
	again, err := decodeFile(buf.Bytes())
	if err != nil {
		t.Fatalf("our own output does not read back: %v\n%s", err, buf.Bytes())
	}
	if len(written) > 0 && again.Format != v.Format {
		t.Fatalf("our own output reads as %v, not %v\n%s", Format(again.Format), Format(v.Format), buf.Bytes())
	}
	carried, _, _ := v.Carried.Counts()
	if *skipped == nil && again.Len() != len(written)+carried {
		t.Fatalf("%d records written, %d cookies and %d carried\n%s", again.Len(), len(written), carried, buf.Bytes())
	}
	keys, keysAgain := v.Carried.TopKeys(), again.Carried.TopKeys()
	if strings.Join(keys, "\x00") != strings.Join(keysAgain, "\x00") {
		t.Fatalf("top-level keys %q became %q", keys, keysAgain)
	}
	back := NewJar(WithClock(clock), WithLimits(0, 0))
	back.mu.Lock()
	back.mergeFile(again, mod, nil, mod, mergeOptions{})
	back.mu.Unlock()
	want, got := snapshot(j), snapshot(back)
	for id, w := range want {
		if g, ok := got[id]; !ok || g != w {
			t.Fatalf("%+v: wrote %+v, read back %+v\n%s", id, w, g, buf.Bytes())
		}
	}
}

// snapshot returns what the JSON formats keep of each cookie of the jar
// they can hold.
func snapshot(j *Jar) map[cookieID]kept {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := map[cookieID]kept{}
	j.store.each(func(e *entry) bool {
		if cookiefile.Unwritable(cookiefile.CDP, (*cookiefile.Cookie)(&e.Cookie)) == "" {
			out[e.id()] = kept{Name: e.Name, Value: e.String(), Domain: e.Domain,
				Path: e.Path, HostOnly: e.HostOnly, Secure: e.Secure, HttpOnly: e.HttpOnly, SameSite: e.SameSite,
				Partitioned: e.Partitioned, Partition: e.partition, Expires: e.Expires.Truncate(time.Microsecond)}
		}
		return true
	})
	return out
}

// checkRules fails for a cookie the jar should have refused.
func checkRules(t *testing.T, j *Jar, c *Cookie) {
	t.Helper()
	switch {
	case c.Domain == "" || c.Path == "" || c.Path[0] != '/' || hasCTL(c.Name) || hasCTL(c.Value):
	case !c.HostOnly && j.isPublicSuffix(c.Domain):
	case c.Partitioned && !c.Secure:
	case hasPrefixFold(c.Name, "__Host-") && (!c.Secure || !c.HostOnly || c.Path != "/"):
	case hasPrefixFold(c.Name, "__Secure-") && !c.Secure:
	case len(c.Name)+len(c.Value) > maxNameValueBytes:
	default:
		return
	}
	t.Fatalf("a cookie the jar should have refused: %+v", c)
}
