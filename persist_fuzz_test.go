package httpsession

import (
	"bytes"
	"encoding/json"
	"errors"
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
		if v.format == formatNetscape {
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

// TestCountKeys checks the key count that lets the one-pass decode refuse
// files with keys of another program's.
func TestCountKeys(t *testing.T) {
	for doc, want := range map[string]int{
		`{}`:                                0,
		`{"a": 1}`:                          1,
		`{"a":"b:c","d" : {"e":[1,"f"]}}`:   3,
		`{"a":"x\":","b":"\\","c":1}`:       3,
		"{\"a\"\n:\t[\"k\", {\"b\":\"\"}]}": 2,
	} {
		if got := countKeys([]byte(doc)); got != want {
			t.Errorf("countKeys(%s) = %d, want %d", doc, got, want)
		}
	}
}

// FuzzCountKeys checks countKeys against encoding/json's tokens on every
// valid JSON document: in an object, a key and a value alternate.
func FuzzCountKeys(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1}`, `{"a":"x\\","b":[{"c":"\"d\":"}]}`, `["a", {"b" : null}]`, `"x"`, `{"a":{"a":{}},"a":2}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) {
			return
		}
		want := 0
		dec := json.NewDecoder(bytes.NewReader(data))
		type level struct{ object, wantKey bool }
		var stack []level
		value := func() { // a value ended: the enclosing object wants a key
			if n := len(stack); n > 0 && stack[n-1].object {
				stack[n-1].wantKey = true
			}
		}
		for {
			tok, err := dec.Token()
			if err != nil {
				break
			}
			switch tok {
			case json.Delim('{'):
				stack = append(stack, level{object: true, wantKey: true})
				continue
			case json.Delim('['):
				stack = append(stack, level{})
				continue
			case json.Delim('}'), json.Delim(']'):
				stack = stack[:len(stack)-1]
				value()
				continue
			}
			if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].wantKey {
				want++
				stack[n-1].wantKey = false
				continue
			}
			value()
		}
		if got := countKeys(data); got != want {
			t.Fatalf("countKeys = %d, want %d, in %q", got, want, data)
		}
	})
}
