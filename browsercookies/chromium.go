package browsercookies

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// chromiumColumns are the columns of the cookies table the reader takes,
// in the order chromiumRecord expects them. Older versions spelled some
// differently ("secure", "httponly", "firstpartyonly").
var chromiumColumns = []column{
	{names: []string{"rowid"}, def: "rowid"},
	{names: []string{"host_key"}, def: ""},
	{names: []string{"top_frame_site_key"}, def: "''"},
	{names: []string{"name"}, def: ""},
	{names: []string{"value"}, def: ""},
	{names: []string{"encrypted_value"}, def: "x''"},
	{names: []string{"path"}, def: ""},
	{names: []string{"expires_utc"}, def: ""},
	{names: []string{"is_secure", "secure"}, def: "0"},
	{names: []string{"is_httponly", "httponly"}, def: "0"},
	{names: []string{"samesite", "firstpartyonly"}, def: "-1"},
	{names: []string{"has_expires"}, def: "1"},
	{names: []string{"is_persistent", "persistent"}, def: "1"},
	{names: []string{"creation_utc"}, def: "0"},
	{names: []string{"last_access_utc"}, def: "0"},
	{names: []string{"has_cross_site_ancestor"}, def: "0"},
}

// windowsEpochMicros is 1601-01-01, Chromium's epoch, in microseconds
// before the Unix epoch.
const windowsEpochMicros = 11_644_473_600_000_000

// hashPrefixVersion is the cookies database version (meta table) from
// which a decrypted value starts with SHA-256 of the cookie's host_key.
const hashPrefixVersion = 24

func readChromiumDB(ctx context.Context, db *sql.DB, s *source, d *decryptor) ([]record, error) {
	have, err := columns(ctx, db, "cookies")
	if err != nil {
		return nil, fmt.Errorf("browsercookies: %s: not a Chromium cookie database: %w", s.db, err)
	}
	version := int64(0)
	var v any
	switch err := db.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = 'version'").Scan(&v); err {
	case nil:
		if t, ok := v.(string); ok {
			v = strings.TrimSpace(t) // Chromium writes the number as text
		}
		if version, err = asInt(v, "meta version"); err != nil || v == nil {
			return nil, fmt.Errorf("browsercookies: %s: the meta table's version is not a number", s.db)
		}
	case sql.ErrNoRows:
	default:
		if !strings.Contains(err.Error(), "no such table") {
			return nil, fmt.Errorf("browsercookies: %s: %w", s.db, err)
		}
	}
	d.hashPrefix = version >= hashPrefixVersion
	return scanRows(ctx, db, s.db, "Chromium", "cookies", have, chromiumColumns, func(vals []any) (record, bool) {
		return chromiumRecord(ctx, vals, d), true
	})
}

func chromiumRecord(ctx context.Context, v []any, d *decryptor) (r record) {
	id, err := asInt(v[0], "rowid")
	if err != nil {
		return record{err: err}
	}
	r.line = int(id)
	fail := func(err error) record {
		r.err = err
		return r
	}
	if err := nullInRequired(v, chromiumColumns); err != nil {
		return fail(err)
	}
	c := &r.c
	host, err := asText(v[1], "host_key")
	if err != nil {
		return fail(err)
	}
	if c.Domain, c.HostOnly, err = domainOf(host, "host_key"); err != nil {
		return fail(err)
	}
	if c.Name, err = asText(v[3], "name"); err != nil {
		return fail(err)
	}
	topFrame, err := asText(v[2], "top_frame_site_key")
	if err != nil {
		return fail(err)
	}
	if topFrame != "" {
		u, err := url.Parse(topFrame)
		if err != nil || u.Hostname() == "" {
			return fail(fmt.Errorf("%w: malformed top_frame_site_key", ErrOutOfRange))
		}
		r.partition = u.Hostname()
		c.Partitioned = true
		// A partition for frames with a cross-site ancestor is not the
		// top-level site's own, whatever the site.
		crossSite, err := asBool(v[15], "has_cross_site_ancestor")
		if err != nil {
			return fail(err)
		}
		if crossSite {
			return fail(ErrForeignPartition)
		}
	}
	plain, err := asText(v[4], "value")
	if err != nil {
		return fail(err)
	}
	enc, err := asBlob(v[5], "encrypted_value")
	if err != nil {
		return fail(err)
	}
	if len(enc) > 0 {
		if c.Value, err = d.decrypt(ctx, enc, host); err != nil {
			return fail(err)
		}
	} else {
		c.Value = plain
	}
	if c.Path, err = asText(v[6], "path"); err != nil {
		return fail(err)
	}
	expires, err := asInt(v[7], "expires_utc")
	if err != nil {
		return fail(err)
	}
	if c.Secure, err = asBool(v[8], "is_secure"); err != nil {
		return fail(err)
	}
	if c.HttpOnly, err = asBool(v[9], "is_httponly"); err != nil {
		return fail(err)
	}
	ss, err := asInt(v[10], "samesite")
	if err != nil {
		return fail(err)
	}
	switch ss {
	case -1:
	case 0:
		c.SameSite = noneUnlessInsecure(c.Secure)
	case 1:
		c.SameSite = http.SameSiteLaxMode
	case 2:
		c.SameSite = http.SameSiteStrictMode
	default:
		return fail(fmt.Errorf("%w: samesite is %d", ErrOutOfRange, ss))
	}
	hasExpires, err := asBool(v[11], "has_expires")
	if err != nil {
		return fail(err)
	}
	persistent, err := asBool(v[12], "is_persistent")
	if err != nil {
		return fail(err)
	}
	if hasExpires && persistent && expires != 0 {
		if c.Expires, err = chromiumTime(expires, "expires_utc"); err != nil {
			return fail(err)
		}
	}
	if c.Created, err = asTime(v[13], "creation_utc", chromiumTime); err != nil {
		return fail(err)
	}
	if c.LastAccess, err = asTime(v[14], "last_access_utc", chromiumTime); err != nil {
		return fail(err)
	}
	return r
}

// chromiumTime converts microseconds since 1601; 0 is "not known" and gives
// the zero time.
func chromiumTime(us int64, field string) (time.Time, error) {
	if us == 0 {
		return time.Time{}, nil
	}
	if us < windowsEpochMicros {
		return time.Time{}, fmt.Errorf("%w: %s is %d, before 1970", ErrOutOfRange, field, us)
	}
	return unixMicro(us-windowsEpochMicros, field)
}
