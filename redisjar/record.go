package redisjar

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

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

// record is a change as stored in Redis: the cookie in the jar's own JSON
// form (httpsession.Cookie's MarshalJSON: every attribute, base64 for bytes
// that are not UTF-8), and what the change adds to it.
type record struct {
	Cookie    httpsession.Cookie `json:"cookie"`
	Partition string             `json:"partition,omitempty"`
	Updated   time.Time          `json:"updated"`
	Deleted   bool               `json:"deleted,omitempty"`
}

// encodeRecord writes a change as the JSON record stored in Redis.
func encodeRecord(ch *httpsession.Change) (string, error) {
	r := record{Cookie: ch.Cookie, Updated: ch.Updated.UTC(), Deleted: ch.Deleted}
	c := &r.Cookie
	c.Created, c.LastAccess = c.Created.UTC(), c.LastAccess.UTC()
	if c.Partitioned {
		r.Partition = ch.Partition
	}
	if ch.Deleted {
		// A tombstone keeps the cookie's identity, not its value.
		c.Value, c.Expires = "", time.Time{}
	} else if !c.Expires.IsZero() {
		c.Expires = c.Expires.UTC()
	}
	b, err := json.Marshal(&r)
	if err != nil {
		return "", fmt.Errorf("redisjar: encode cookie %q: %w", c.Name, err)
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
	return httpsession.Change{Cookie: r.Cookie, Partition: r.Partition, Deleted: del == "1", Updated: t}, nil
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
