package cookiefile

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"strings"
	"unicode/utf8"
)

// Writing the JSON formats of other programs (Playwright, Cookie-Editor,
// CDP): each record as its format's record function gives it, in the
// file's shape, with what the file held that is kept.

// dottedDomain writes a cookie's domain as Playwright and CDP do, which
// have no host-only flag: a domain cookie with a leading dot, a host-only
// cookie without.
func dottedDomain(c *Cookie) string {
	if c.HostOnly {
		return c.Domain
	}
	return "." + c.Domain
}

// quotedValue writes a cookie's value as it is sent: these formats have no
// place for Quoted, so the quotes go into the value, where readers keep them.
func quotedValue(c *Cookie) string {
	if c.Quoted {
		return `"` + c.Value + `"`
	}
	return c.Value
}

// foreignUnwritable returns why c cannot be written in a JSON format, or
// "" if it can: JSON holds only UTF-8 text.
func foreignUnwritable(c *Cookie) string {
	for _, f := range [...]string{c.Domain, c.Path, c.Name, c.Value} {
		if !utf8.ValidString(f) {
			return "a field is not UTF-8 text, which JSON cannot hold"
		}
	}
	return DegenerateDomain(c)
}

// DegenerateDomain explains why a cookie's domain is no host name, or
// returns "". The jar keeps a cookie from a hand-built URL whose host is
// empty or made of dots as a host of its own, as net/http/cookiejar does;
// the file formats of other programs have no way to say so (a host-only
// cookie on ".example.com" would read back as a domain cookie on
// example.com), so such a cookie is left out of them.
func DegenerateDomain(c *Cookie) string {
	d := c.Domain
	if c.HostOnly && strings.HasPrefix(d, ".") || strings.Contains(d, "..") || strings.Trim(d, ".") == "" {
		return "the domain is no host name (a request built by hand)"
	}
	return ""
}

// foreignSum sums a cookie's record as the format writes it.
func foreignSum(format Format, c *Cookie, partition string) uint64 {
	raw, _ := marshalRecord(specOf(format).record(c, partition))
	h := fnv.New64a()
	_, _ = h.Write(raw)
	return h.Sum64()
}

// EncodeForeign writes cookies in one of the other programs' formats, each
// with its partition (partitions[i], "" for none), in the order given, with
// what keep carries (the other top-level members, records that could not
// be read); keep may be nil. skipped names the cookies it left out, which
// the format cannot hold (never by value); err is a failed write.
func EncodeForeign(w io.Writer, format Format, keep *Carried, cookies []Cookie, partitions []string) (skipped, err error) {
	if keep == nil {
		keep = &Carried{}
	}
	spec := specOf(format)
	bw := bufio.NewWriter(w)
	// bufio.Writer keeps the first write error and returns it from Flush,
	// so the writes below need no checks of their own.
	var enc bytes.Buffer
	var left []string
	array := func(base string) {
		n := 0
		item := func(b []byte) {
			if n == 0 {
				bw.WriteString("[\n")
			} else {
				bw.WriteString(",\n")
			}
			n++
			bw.WriteString(base + spec.indent)
			bw.Write(b)
		}
		for i := range cookies {
			c := &cookies[i]
			if reason := foreignUnwritable(c); reason != "" {
				left = append(left, fmt.Sprintf("domain %q path %q name %q: %s", c.Domain, c.Path, c.Name, reason))
				continue
			}
			enc.Reset()
			e := json.NewEncoder(&enc)
			e.SetEscapeHTML(false)
			e.SetIndent(base+spec.indent, spec.indent)
			if err := e.Encode(spec.record(c, partitions[i])); err != nil {
				left = append(left, fmt.Sprintf("domain %q path %q name %q: %v", c.Domain, c.Path, c.Name, err))
				continue
			}
			item(bytes.TrimSuffix(enc.Bytes(), []byte("\n")))
		}
		for _, raw := range keep.records {
			item(raw)
		}
		if n == 0 {
			bw.WriteString("[]")
		} else {
			bw.WriteString("\n" + base + "]")
		}
	}
	members := keep.members
	if members == nil && format == Playwright {
		members = []topMember{{key: "cookies"}, {key: "origins", value: json.RawMessage("[]")}}
	}
	if members == nil {
		array("")
	} else {
		bw.WriteString("{")
		for i, m := range members {
			if i > 0 {
				bw.WriteString(",")
			}
			key, _ := marshalRecord(m.key)
			bw.WriteString("\n" + spec.indent)
			bw.Write(key)
			bw.WriteString(": ")
			if m.key == "cookies" {
				array(spec.indent)
			} else {
				bw.Write(m.value)
			}
		}
		bw.WriteString("\n}")
	}
	bw.WriteString("\n")
	if len(left) > 0 {
		skipped = fmt.Errorf("httpsession: %d cookie(s) not written to the %v file: %s",
			len(left), format, strings.Join(left, "; "))
	}
	if err := bw.Flush(); err != nil {
		return skipped, fmt.Errorf("httpsession: writing %v cookies: %w", format, err)
	}
	return skipped, nil
}
