package cookiefile

import (
	"encoding/json"
	"fmt"
)

// Playwright's storageState (Playwright), as
// browserContext.storageState({path}) and "playwright codegen
// --save-storage" write it and newContext({storageState}) reads it:
//
//	{
//	  "cookies": [
//	    {
//	      "name": "sessionid",
//	      "value": "x7…",
//	      "domain": "app.example.com",
//	      "path": "/",
//	      "expires": -1,
//	      "httpOnly": true,
//	      "secure": true,
//	      "sameSite": "Lax"
//	    }
//	  ],
//	  "origins": [{"origin": "https://app.example.com", "localStorage": [...]}]
//	}
//
// The attributes, read and written:
//
//   - domain: Playwright has no host-only flag. A leading dot means a domain
//     cookie (sent to subdomains too), none a host-only cookie, as
//     Playwright's own Chromium, Firefox and WebKit exports write it; the
//     jar writes it back the same way.
//   - path: absent reads as "/".
//   - expires: seconds since the Unix epoch, a float (Chrome keeps
//     microseconds); -1 is a session cookie. Read: -1, 0 and an absent
//     field mean a session cookie, another negative number is refused, and
//     a number too large for seconds (past the year 9999) is milliseconds.
//     Written: -1, or seconds with up to six decimals.
//   - httpOnly, secure: booleans; absent is false.
//   - sameSite: "Strict", "Lax" or "None" (any case; the extensions'
//     spellings are read too). Playwright reports Chromium's cookies
//     without SameSite as "Lax" and Firefox's and WebKit's as "None": a
//     "None" without secure, which no server can set (§5.7 step 19), is
//     read as no SameSite attribute, so that such cookies load. Written:
//     omitted for a cookie without SameSite (Playwright's addCookies takes
//     that), and http.SameSiteDefaultMode is written as none.
//   - partitionKey (Playwright 1.55 and later): the top-level site of a
//     partitioned (CHIPS) cookie, "https://example.com"; an object with
//     "topLevelSite" is read too. It becomes the jar's partition of that
//     site (the registrable domain with its scheme) and sets Partitioned.
//     "_crHasCrossSiteAncestor" is not kept; it is written false beside
//     partitionKey, as Playwright's Chromium needs it to set a partitioned
//     cookie at all (Playwright 1.65 silently drops one without it).
//   - Other keys of a record are ignored; the value's quotes, if the jar
//     received it quoted, are part of "value".
//
// "origins" (localStorage), and any other top-level key, is kept as it was
// by every save of a file that is already a storageState (ExportFile, a
// Session opened on it), in its place; Export and a new file write
// "origins": [].
var playwrightSpec = foreignSpec{read: readPlaywright, record: playwrightRecord, indent: "  "}

type playwrightCookie struct {
	Name         string      `json:"name"`
	Value        string      `json:"value"`
	Domain       string      `json:"domain"`
	Path         string      `json:"path"`
	Expires      json.Number `json:"expires"`
	HttpOnly     bool        `json:"httpOnly"`
	Secure       bool        `json:"secure"`
	SameSite     string      `json:"sameSite,omitempty"`
	PartitionKey string      `json:"partitionKey,omitempty"`
	// Chromium's CHIPS ancestor bit, which Playwright needs beside
	// partitionKey: false, the partition of the top-level site itself.
	CrossSiteAncestor *bool `json:"_crHasCrossSiteAncestor,omitempty"`
}

func playwrightRecord(c *Cookie, partition string) any {
	expires := json.Number("-1")
	if !c.Expires.IsZero() {
		expires = writeExpiry(c.Expires)
	}
	r := &playwrightCookie{
		Name: c.Name, Value: quotedValue(c), Domain: dottedDomain(c), Path: c.Path,
		Expires: expires, HttpOnly: c.HttpOnly, Secure: c.Secure,
		SameSite: sameSiteTitle(c.SameSite), PartitionKey: partition,
	}
	if partition != "" {
		r.CrossSiteAncestor = new(bool)
	}
	return r
}

func readPlaywright(r jsonRecord) (Cookie, string, error) {
	c, dotted, partition, err := readCommon(r)
	if err != nil {
		return c, "", err
	}
	c.HostOnly = !dotted
	err = readSecondsExpiry(r, &c, false)
	return c, partition, err
}

// readSecondsExpiry reads "expires" as Playwright and CDP write it; with
// session, a "session": true makes a session cookie whatever "expires" says.
func readSecondsExpiry(r jsonRecord, c *Cookie, session bool) error {
	if session {
		if s, err := r.flag("session"); err != nil || s {
			return err
		}
	}
	text, ok, err := r.number("expires")
	if err != nil || !ok {
		return err
	}
	t, _, err := readExpiry(text)
	if err != nil {
		return fmt.Errorf(`"expires": %w`, err)
	}
	c.Expires = t
	return nil
}
