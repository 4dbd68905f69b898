package browsercookies

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// firefoxColumns are the columns of moz_cookies the reader takes, in the
// order readFirefoxRow expects them.
var firefoxColumns = []column{
	{names: []string{"id"}, def: "rowid"},
	{names: []string{"originAttributes"}, def: "''"},
	{names: []string{"name"}, def: ""},
	{names: []string{"value"}, def: ""},
	{names: []string{"host"}, def: ""},
	{names: []string{"path"}, def: ""},
	{names: []string{"expiry"}, def: ""},
	{names: []string{"lastAccessed"}, def: "0"},
	{names: []string{"creationTime"}, def: "0"},
	{names: []string{"isSecure"}, def: "0"},
	{names: []string{"isHttpOnly"}, def: "0"},
	{names: []string{"sameSite"}, def: "256"},
	{names: []string{"isPartitionedAttributeSet"}, def: "0"},
}

// Firefox's nsICookie SameSite codes as stored in moz_cookies.sameSite
// (checked against Firefox ESR 153): 256 is "not given". Older versions
// wrote 0 for both "not given" and None, so 0 on a cookie that is not
// Secure (which SameSite=None requires) is read as "not given".
const (
	ffSameSiteNone   = 0
	ffSameSiteLax    = 1
	ffSameSiteStrict = 2
	ffSameSiteUnset  = 256
)

// firefoxMillisSchema is the moz_cookies schema version (PRAGMA
// user_version) from which expiry is in milliseconds (Firefox 142).
const firefoxMillisSchema = 16

// millisThreshold: an expiry above it is milliseconds whatever the schema
// says (in seconds it would be after the year 5138; in milliseconds it is
// after March 1973).
const millisThreshold = 100_000_000_000

func readFirefoxDB(ctx context.Context, db *sql.DB, s *source) ([]record, error) {
	have, err := columns(ctx, db, "moz_cookies")
	if err != nil {
		return nil, fmt.Errorf("browsercookies: %s: not a Firefox cookie database: %w", s.db, err)
	}
	var schema int64
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&schema); err != nil {
		return nil, fmt.Errorf("browsercookies: %s: %w", s.db, err)
	}
	userContext := int64(0)
	if s.container != "" {
		if userContext, err = firefoxContainer(s); err != nil {
			return nil, err
		}
	}
	return scanRows(ctx, db, s.db, "Firefox", "moz_cookies", have, firefoxColumns, func(vals []any) (record, bool) {
		return firefoxRecord(vals, schema, userContext)
	})
}

// firefoxRecord turns a row into a record. keep is false for a cookie of
// another jar than the one read: another container, a private window.
func firefoxRecord(v []any, schema, userContext int64) (r record, keep bool) {
	id, err := asInt(v[0], "id")
	if err != nil {
		return record{err: err}, true
	}
	r.line = int(id)
	fail := func(err error) (record, bool) {
		r.err = err
		return r, true
	}
	attrs, err := asText(v[1], "originAttributes")
	if err != nil {
		return fail(err)
	}
	oa, err := parseOriginAttributes(attrs)
	if err != nil {
		return fail(err)
	}
	if oa.userContextID != userContext || oa.privateBrowsingID != 0 {
		return r, false
	}
	if err := nullInRequired(v, firefoxColumns); err != nil {
		return fail(err)
	}
	c := &r.c
	if c.Name, err = asText(v[2], "name"); err != nil {
		return fail(err)
	}
	host, err := asText(v[4], "host")
	if err != nil {
		return fail(err)
	}
	if c.Domain, c.HostOnly, err = domainOf(host, "host"); err != nil {
		return fail(err)
	}
	if c.Value, err = asText(v[3], "value"); err != nil {
		return fail(err)
	}
	if c.Path, err = asText(v[5], "path"); err != nil {
		return fail(err)
	}
	expiry, err := asInt(v[6], "expiry")
	if err != nil {
		return fail(err)
	}
	if c.Expires, err = firefoxExpiry(expiry, schema); err != nil {
		return fail(err)
	}
	if c.LastAccess, err = asTime(v[7], "lastAccessed", microOrZero); err != nil {
		return fail(err)
	}
	if c.Created, err = asTime(v[8], "creationTime", microOrZero); err != nil {
		return fail(err)
	}
	if c.Secure, err = asBool(v[9], "isSecure"); err != nil {
		return fail(err)
	}
	if c.HttpOnly, err = asBool(v[10], "isHttpOnly"); err != nil {
		return fail(err)
	}
	ss, err := asInt(v[11], "sameSite")
	if err != nil {
		return fail(err)
	}
	switch ss {
	case ffSameSiteNone:
		c.SameSite = noneUnlessInsecure(c.Secure)
	case ffSameSiteLax:
		c.SameSite = http.SameSiteLaxMode
	case ffSameSiteStrict:
		c.SameSite = http.SameSiteStrictMode
	case ffSameSiteUnset:
	default:
		return fail(fmt.Errorf("%w: sameSite is %d", ErrOutOfRange, ss))
	}
	if c.Partitioned, err = asBool(v[12], "isPartitionedAttributeSet"); err != nil {
		return fail(err)
	}
	if oa.crossSiteAncestor {
		// A partition for frames with a cross-site ancestor is not the
		// top-level site's own, whatever the site (as for Chromium's
		// has_cross_site_ancestor).
		return fail(ErrForeignPartition)
	}
	r.partition = oa.partitionHost
	if r.partition == "" {
		r.partition = oa.firstPartyDomain
	}
	if c.Partitioned && r.partition == "" {
		// The attribute without a key: partitioned under its own site.
		r.partition = c.Domain
	}
	return r, true
}

// microOrZero converts microseconds since 1970; 0 is "not known".
func microOrZero(us int64, field string) (time.Time, error) {
	if us == 0 {
		return time.Time{}, nil
	}
	return unixMicro(us, field)
}

// noneUnlessInsecure maps a stored SameSite=None: a browser stores None
// only with Secure, so on a cookie without Secure it is an old database's
// way of writing "not given".
func noneUnlessInsecure(secure bool) http.SameSite {
	if secure {
		return http.SameSiteNoneMode
	}
	return 0
}

// firefoxExpiry converts moz_cookies.expiry: seconds before schema 16,
// milliseconds from it, and milliseconds whatever the schema for a value
// only milliseconds can be.
func firefoxExpiry(v, schema int64) (time.Time, error) {
	if v < 0 {
		return time.Time{}, fmt.Errorf("%w: expiry is %d", ErrOutOfRange, v)
	}
	ms := v
	if schema < firefoxMillisSchema && v < millisThreshold {
		if v > maxTime.Unix() {
			return time.Time{}, fmt.Errorf("%w: expiry is %d", ErrOutOfRange, v)
		}
		ms = v * 1000
	}
	if ms > maxTime.UnixMilli() {
		return time.Time{}, fmt.Errorf("%w: expiry is %d", ErrOutOfRange, v)
	}
	return time.UnixMilli(ms).UTC(), nil
}

// originAttributes is what Read uses of a cookie's origin attributes
// ("^userContextId=2&partitionKey=%28https%2Cexample.com%29").
type originAttributes struct {
	userContextID, privateBrowsingID int64
	partitionHost                    string // host of the partitionKey's site
	crossSiteAncestor                bool   // the partitionKey's ancestor bit ",f"
	firstPartyDomain                 string
}

func parseOriginAttributes(s string) (originAttributes, error) {
	var oa originAttributes
	if s == "" {
		return oa, nil
	}
	if s[0] != '^' {
		return oa, fmt.Errorf("%w: originAttributes does not start with '^'", ErrOutOfRange)
	}
	q, err := url.ParseQuery(s[1:])
	if err != nil {
		return oa, fmt.Errorf("%w: originAttributes: %v", ErrOutOfRange, err)
	}
	num := func(key string) (int64, error) {
		v := q.Get(key)
		if v == "" {
			return 0, nil
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("%w: originAttributes %s is not a number", ErrOutOfRange, key)
		}
		return n, nil
	}
	if oa.userContextID, err = num("userContextId"); err != nil {
		return oa, err
	}
	if oa.privateBrowsingID, err = num("privateBrowsingId"); err != nil {
		return oa, err
	}
	oa.firstPartyDomain = q.Get("firstPartyDomain")
	if pk := q.Get("partitionKey"); pk != "" {
		// "(scheme,host)" or "(scheme,host,port)", maybe with more
		// fields after (an ancestor bit): the host is the second.
		inner, ok := strings.CutPrefix(pk, "(")
		inner, ok2 := strings.CutSuffix(inner, ")")
		parts := strings.Split(inner, ",")
		if !ok || !ok2 || len(parts) < 2 || parts[1] == "" {
			return oa, fmt.Errorf("%w: malformed partitionKey in originAttributes", ErrOutOfRange)
		}
		oa.partitionHost = parts[1]
		// After the host: a port (digits), then the ancestor bit "f".
		for _, p := range parts[2:] {
			if p == "f" {
				oa.crossSiteAncestor = true
			}
		}
	}
	return oa, nil
}

// firefoxContainer returns the userContextId of the container a spec asks
// for: a number, or a name from the profile's containers.json.
func firefoxContainer(s *source) (int64, error) {
	if strings.EqualFold(s.container, "none") {
		return 0, nil
	}
	if n, err := strconv.ParseInt(s.container, 10, 64); err == nil && n >= 0 {
		return n, nil
	}
	path := filepath.Join(s.profile, "containers.json")
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("browsercookies: container %q: %w", s.container, err)
	}
	var file struct {
		Identities []struct {
			UserContextID int64  `json:"userContextId"`
			Name          string `json:"name"`
			L10nID        string `json:"l10nID"`
			Public        *bool  `json:"public"`
		} `json:"identities"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		return 0, fmt.Errorf("browsercookies: %s: %w", path, err)
	}
	for _, id := range file.Identities {
		// The built-in containers have no name, only a label id such as
		// "userContextPersonal.label".
		label := strings.TrimSuffix(strings.TrimPrefix(id.L10nID, "userContext"), ".label")
		if id.Name == s.container || (id.Name == "" && strings.EqualFold(label, s.container)) {
			return id.UserContextID, nil
		}
	}
	return 0, fmt.Errorf("browsercookies: no container %q in %s", s.container, path)
}
