package redisjar

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/httpsession/httpsession"
)

// keys are the Redis keys of one prefix. They share the hash tag {prefix},
// so that on Redis Cluster they live in one slot and the script may touch
// them together.
type keys struct {
	cookie string // prefix of the cookie keys: "{P}:c:"
	index  string // sorted set of cookie keys by expiry
	log    string // stream of changes
	seq    string // counter numbering the stream entries
}

func newKeys(prefix string) (keys, error) {
	if prefix == "" || strings.ContainsAny(prefix, "{}") {
		return keys{}, fmt.Errorf("redisjar: key prefix %q must be non-empty and hold no braces", prefix)
	}
	tag := "{" + prefix + "}"
	return keys{
		cookie: tag + ":c:",
		index:  tag + ":index",
		log:    tag + ":log",
		seq:    tag + ":seq",
	}, nil
}

// of returns the key of the cookie a change is about: its domain in clear,
// for people looking at Redis, then a digest of the rest of its identity
// (name, path, host-only flag and partition), which may hold any byte.
func (k keys) of(ch *httpsession.Change) string {
	c := &ch.Cookie
	partition := ""
	if c.Partitioned {
		partition = ch.Partition
	}
	h := sha256.New()
	for _, s := range []string{c.Name, c.Path, strconv.FormatBool(c.HostOnly), partition} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return k.cookie + c.Domain + ":" + hex.EncodeToString(h.Sum(nil)[:16])
}

// record is a cookie as stored in Redis: JSON with every attribute the jar
// keeps. Names, values and paths that are not valid UTF-8 go in base64
// fields beside an empty text field, so that nothing is lost to JSON.
type record struct {
	Name        string     `json:"name"`
	NameBase64  string     `json:"nameBase64,omitempty"`
	Value       string     `json:"value"`
	ValueBase64 string     `json:"valueBase64,omitempty"`
	Quoted      bool       `json:"quoted,omitempty"`
	Domain      string     `json:"domain"`
	Path        string     `json:"path"`
	PathBase64  string     `json:"pathBase64,omitempty"`
	HostOnly    bool       `json:"hostOnly"`
	Secure      bool       `json:"secure"`
	HttpOnly    bool       `json:"httpOnly"`
	SameSite    string     `json:"sameSite,omitempty"`
	Partitioned bool       `json:"partitioned,omitempty"`
	Partition   string     `json:"partition,omitempty"`
	Expires     *time.Time `json:"expires,omitempty"` // absent for a session cookie
	Created     time.Time  `json:"created"`
	LastAccess  time.Time  `json:"lastAccess"`
	Updated     time.Time  `json:"updated"`
	Deleted     bool       `json:"deleted,omitempty"`
}

// sameSiteName names a SameSite mode as the jar's own files do; "" is no
// attribute.
func sameSiteName(m http.SameSite) string {
	switch m {
	case http.SameSiteDefaultMode:
		return "default"
	case http.SameSiteLaxMode:
		return "lax"
	case http.SameSiteStrictMode:
		return "strict"
	case http.SameSiteNoneMode:
		return "none"
	}
	return ""
}

func splitText(s string) (text, b64 string) {
	if utf8.ValidString(s) {
		return s, ""
	}
	return "", base64.StdEncoding.EncodeToString([]byte(s))
}

func joinText(text, b64 string) (string, error) {
	if b64 == "" {
		return text, nil
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return "", fmt.Errorf("%w: bad base64 field", ErrBadRecord)
	}
	return string(raw), nil
}

// encodeRecord writes a change as the JSON record stored in Redis.
func encodeRecord(ch *httpsession.Change) (string, error) {
	c := &ch.Cookie
	r := record{
		Quoted:      c.Quoted,
		Domain:      c.Domain,
		HostOnly:    c.HostOnly,
		Secure:      c.Secure,
		HttpOnly:    c.HttpOnly,
		Partitioned: c.Partitioned,
		Created:     c.Created.UTC(),
		LastAccess:  c.LastAccess.UTC(),
		Updated:     ch.Updated.UTC(),
		Deleted:     ch.Deleted,
	}
	if c.Partitioned {
		r.Partition = ch.Partition
	}
	r.SameSite = sameSiteName(c.SameSite)
	r.Name, r.NameBase64 = splitText(c.Name)
	r.Path, r.PathBase64 = splitText(c.Path)
	if ch.Deleted {
		// A tombstone keeps the cookie's identity, not its value.
		return marshalRecord(&r)
	}
	r.Value, r.ValueBase64 = splitText(c.Value)
	if !c.Expires.IsZero() {
		exp := c.Expires.UTC()
		r.Expires = &exp
	}
	return marshalRecord(&r)
}

func marshalRecord(r *record) (string, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return "", fmt.Errorf("redisjar: encode cookie %q: %w", r.Name, err)
	}
	return string(b), nil
}

// decodeRecord reads a stored change: its time (upd, the order key, which
// wins over the record's own "updated"), whether it is a deletion, and the
// JSON record.
func decodeRecord(upd, del, rec string) (httpsession.Change, error) {
	var ch httpsession.Change
	t, err := parseUpdated(upd)
	if err != nil {
		return ch, err
	}
	var r record
	if err := json.Unmarshal([]byte(rec), &r); err != nil {
		return ch, fmt.Errorf("%w: %w", ErrBadRecord, err)
	}
	c := httpsession.Cookie{
		Quoted:      r.Quoted,
		Domain:      r.Domain,
		HostOnly:    r.HostOnly,
		Secure:      r.Secure,
		HttpOnly:    r.HttpOnly,
		Partitioned: r.Partitioned,
		Created:     r.Created,
		LastAccess:  r.LastAccess,
	}
	if r.Expires != nil {
		c.Expires = *r.Expires
	}
	if r.SameSite != "" {
		for m := http.SameSiteDefaultMode; m <= http.SameSiteNoneMode; m++ {
			if sameSiteName(m) == r.SameSite {
				c.SameSite = m
			}
		}
		if c.SameSite == 0 {
			return ch, fmt.Errorf("%w: unknown sameSite %q", ErrBadRecord, r.SameSite)
		}
	}
	if c.Name, err = joinText(r.Name, r.NameBase64); err != nil {
		return ch, err
	}
	if c.Value, err = joinText(r.Value, r.ValueBase64); err != nil {
		return ch, err
	}
	if c.Path, err = joinText(r.Path, r.PathBase64); err != nil {
		return ch, err
	}
	return httpsession.Change{Cookie: c, Partition: r.Partition, Deleted: del == "1", Updated: t}, nil
}

// formatUpdated writes a change's time as the script compares it: Unix
// nanoseconds in 20 digits, so that byte order is time order. Times before
// 1970 count as 1970.
func formatUpdated(t time.Time) string {
	if t.Before(time.Unix(0, 0)) {
		return strings.Repeat("0", 20)
	}
	return fmt.Sprintf("%020d", t.UnixNano())
}

func parseUpdated(s string) (time.Time, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || len(s) != 20 {
		return time.Time{}, fmt.Errorf("%w: bad change time %q", ErrBadRecord, s)
	}
	return time.Unix(0, n).UTC(), nil
}

// expiryMillis is the cookie's expiry as the PEXPIREAT argument, or "0" for
// a session cookie or a deletion.
func expiryMillis(ch *httpsession.Change) string {
	if ch.Deleted || ch.Cookie.Expires.IsZero() {
		return "0"
	}
	return strconv.FormatInt(max(ch.Cookie.Expires.UnixMilli(), 1), 10)
}
