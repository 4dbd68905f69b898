package httpsession

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"
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
		v, err := decodeFile(data, mod)
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
		m := j.mergeFile(v, nil, mod, mergeOptions{write: true})
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
		if v.format == FormatNetscape {
			return
		}
		// What loaded, what was deleted and what was carried round-trip
		// through the native format.
		var buf bytes.Buffer
		if err := encodeNative(&buf, m.records, m.tombs, &v.carried); err != nil {
			t.Fatal(err)
		}
		again, err := decodeNative(buf.Bytes())
		if err != nil {
			t.Fatalf("our own output does not read back: %v\n%s", err, buf.Bytes())
		}
		if len(again.cookies)+len(again.carried.records) != len(m.records)+len(v.carried.records) ||
			len(again.tombs)+len(again.carried.deleted) != len(m.tombs)+len(v.carried.deleted) {
			t.Fatalf("our own output reads back differently: %d/%d cookies, %d/%d deletions, %d/%d+%d/%d carried\n%s",
				len(again.cookies), len(m.records), len(again.tombs), len(m.tombs),
				len(again.carried.records), len(v.carried.records), len(again.carried.deleted), len(v.carried.deleted), buf.Bytes())
		}
	})
}

// FuzzCheckKeys checks checkKeys, which lets the one-pass decode trust a
// file, against a reading of the same document through encoding/json's
// tokens, on every valid JSON document.
func FuzzCheckKeys(f *testing.F) {
	rec := `{"name":"a","value":"1","domain":"example.com","path":"/","hostOnly":true,"secure":false,"httpOnly":false,"created":"2026-01-01T00:00:00Z","lastAccess":"2026-01-01T00:00:00Z","updated":"2026-01-01T00:00:00Z"}`
	for _, s := range []string{
		`{"version": 2, "cookies": [` + rec + `], "deleted": [{"name":"b","domain":"example.com","path":"/","hostOnly":true,"deleted":"2026-01-01T00:00:00Z"}]}`,
		`{"version": 2, "cookies": [], "cookies": []}`,
		`{"version": 2, "Cookies": []}`,
		`{"version": 2, "\u0063ookies": []}`,
		`{"version": 2, "cookies": [{"name":"a","NAME":"b"}]}`,
		`{"version": 2, "cookies": [{"name":"a","priority":"high"}]}`,
		`{"version": 2, "cookies": [{"name":{"x":1}}]}`,
		`{"version": 1}`, `[]`, `"x"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) {
			_ = checkKeys(data, nil) // must not panic
			return
		}
		if got, want := checkKeys(data, nil), referenceKeys(data); got != want {
			t.Fatalf("checkKeys = %v, want %v, for %q", got, want, data)
		}
	})
}

// referenceKeys is checkKeys written the slow way, through encoding/json's
// tokens and offsets.
func referenceKeys(data []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(data))
	type frame struct {
		object, wantKey bool
		keys            keySet
		seen            map[string]bool
		of              keySet
	}
	var stack []*frame
	topKey := ""
	ended := func() { // a value ended
		if n := len(stack); n > 0 && stack[n-1].object {
			stack[n-1].wantKey = true
		}
	}
	for {
		before := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return len(stack) == 0
		}
		if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].wantKey {
			if _, isKey := tok.(string); isKey {
				raw := bytes.TrimLeft(data[before:dec.InputOffset()], " \t\r\n,")
				key := tok.(string)
				f := stack[n-1]
				if bytes.IndexByte(raw, '\\') >= 0 || f.seen[key] || !slices.Contains(f.keys, key) {
					return false
				}
				f.seen[key], f.wantKey = true, false
				if n == 1 {
					topKey = key
				}
				continue
			}
		}
		switch tok {
		case json.Delim('{'):
			var keys keySet
			switch {
			case len(stack) == 0:
				keys = topKeys
			case len(stack) == 2 && !stack[1].object:
				keys = stack[1].of
			default:
				return false
			}
			stack = append(stack, &frame{object: true, wantKey: true, keys: keys, seen: map[string]bool{}})
		case json.Delim('['):
			if len(stack) != 1 || (topKey != "cookies" && topKey != "deleted") {
				return false
			}
			of := recordKeys
			if topKey == "deleted" {
				of = tombKeys
			}
			stack = append(stack, &frame{of: of})
		case json.Delim('}'), json.Delim(']'):
			if len(stack) == 1 && (!stack[0].seen["version"] || !stack[0].seen["cookies"]) {
				return false
			}
			stack = stack[:len(stack)-1]
			ended()
		default:
			if len(stack) == 0 {
				return false // a scalar document
			}
			ended()
		}
	}
}
