package httpsession

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/httpsession/httpsession/internal/cookiefile"
)

// FuzzLoadFile feeds arbitrary bytes to the file reader that Load uses for
// both formats. Whatever the input: no panic; a corrupt file loads nothing;
// what loads obeys the jar's rules and survives a save and a second load.
func FuzzLoadFile(f *testing.F) {
	for _, s := range []string{
		`{"version": 1, "cookies": [` + "\n" +
			`  {"name":"a","value":"1","domain":"example.com","path":"/","hostOnly":true,"secure":false,"httpOnly":false,"created":"2026-01-01T00:00:00Z","lastAccess":"2026-01-01T00:00:00Z","updated":"2026-01-01T00:00:00Z"}` + "\n]}\n",
		`{"version": 1, "cookies": [{"name":"","valueBase64":"/w==","domain":"co.uk","path":"/","hostOnly":false,"secure":true,"httpOnly":false,"sameSite":"none","partitioned":true,"expires":"2027-01-01T00:00:00Z","created":"2026-01-01T00:00:00Z","lastAccess":"2026-01-01T00:00:00Z","updated":"2026-01-01T00:00:00Z","seq":3,"partitionKey":"https://co.uk"}]}`,
		`{"version": 2, "cookies": []}`,
		`{"version": 1, "cookies": [{"name": 5}]}`,
		`{"version": 1, "cookies": [{"name":"a","sameSite":"sideways"}]}`,
		"# Netscape HTTP Cookie File\n.example.com\tTRUE\t/\tFALSE\t0\ta\t1\n#HttpOnly_h.com\tFALSE\t/p\tTRUE\t1700000000.5\tb\n",
		"\ufeff  {",
		"",
	} {
		f.Add([]byte(s))
	}
	mod := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := decodeFile(data)
		if err != nil {
			if v != nil {
				t.Fatal("a corrupt file must yield nothing")
			}
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("a reader error that is not ErrCorrupt: %v", err)
			}
			return
		}
		j := NewJar(WithClock(func() time.Time { return mod }), WithLimits(0, 0))
		j.mu.Lock()
		m := j.mergeFile(v, mod, nil, mod, mergeOptions{write: true})
		j.mu.Unlock()
		all := j.All()
		for _, c := range all {
			if c.Domain == "" || c.Path == "" || c.Path[0] != '/' || hasCTL(c.Name) || hasCTL(c.Value) {
				t.Fatalf("a cookie the jar should have refused: %+v", c)
			}
			if !c.HostOnly && j.isPublicSuffix(c.Domain) {
				t.Fatalf("a supercookie loaded: %+v", c)
			}
		}
		if v.Format == cookiefile.Netscape {
			return
		}
		// What loaded, what was deleted and what was carried round-trip
		// through the native format.
		var buf bytes.Buffer
		if err := cookiefile.EncodeNative(&buf, m.records, m.tombs, &v.Carried); err != nil {
			t.Fatal(err)
		}
		again, err := decodeFile(buf.Bytes())
		if err != nil || again.Format != cookiefile.JSON {
			t.Fatalf("our own output does not read back: %v\n%s", err, buf.Bytes())
		}
		records, deleted, _ := v.Carried.Counts()
		recordsAgain, deletedAgain, _ := again.Carried.Counts()
		if len(again.Records)+recordsAgain != len(m.records)+records ||
			len(again.Tombs)+deletedAgain != len(m.tombs)+deleted {
			t.Fatalf("our own output reads back differently: %d/%d cookies, %d/%d deletions, %d/%d+%d/%d carried\n%s",
				len(again.Records), len(m.records), len(again.Tombs), len(m.tombs),
				recordsAgain, records, deletedAgain, deleted, buf.Bytes())
		}
	})
}
