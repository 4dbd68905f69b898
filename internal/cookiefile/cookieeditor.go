package cookiefile

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// The JSON array the Cookie-Editor and EditThisCookie browser extensions
// export and import (CookieEditor): the cookies as the browsers'
// extension API (chrome.cookies.Cookie, Firefox's browser.cookies.Cookie)
// gives them, keys in alphabetical order:
//
//	[
//	    {
//	        "domain": ".example.com",
//	        "expirationDate": 1767225600.5,
//	        "hostOnly": false,
//	        "httpOnly": false,
//	        "name": "lang",
//	        "path": "/",
//	        "sameSite": "lax",
//	        "secure": false,
//	        "session": false,
//	        "storeId": "0",
//	        "value": "en"
//	    }
//	]
//
// The attributes, read and written:
//
//   - hostOnly: decides host-only when present, whatever the domain looks
//     like; a leading dot on domain is dropped either way. A record without
//     hostOnly is read by the dot, as Playwright's are (a leading dot for a
//     domain cookie), so that a host-only cookie is never widened to a
//     domain. Written: hostOnly, and a leading dot for a domain cookie, as
//     Chrome gives them.
//   - expirationDate: seconds since the Unix epoch, a float; absent for a
//     session cookie. "session": true makes a session cookie whatever
//     expirationDate says. Read as Playwright's expires is (0 and -1 are
//     session cookies, milliseconds past the year 9999 are recognised).
//     Written: with up to six decimals, and omitted, with "session": true,
//     for a session cookie.
//   - sameSite: "no_restriction" (None), "lax", "strict" or "unspecified"
//     (no SameSite), in any case; Playwright's spellings are read too. The
//     extensions' API on Firefox reports cookies without SameSite as
//     "no_restriction": without secure, which no server can set (§5.7 step
//     19), it is read as no SameSite attribute. Written: those names, and
//     "unspecified" for http.SameSiteDefaultMode too.
//   - partitionKey (Chrome 119 and later, Firefox): an object with
//     "topLevelSite", or a string, mapped to the jar's partition as
//     Playwright's is; "hasCrossSiteAncestor" is not kept. Written as
//     {"topLevelSite": "https://example.com", "hasCrossSiteAncestor": false}.
//   - storeId (the browser's cookie store or Firefox container), id
//     (EditThisCookie's record number) and firstPartyDomain (Firefox's
//     first-party isolation) are ignored and not written: the jar has one
//     store.
var cookieEditorSpec = foreignSpec{read: readCookieEditor, record: cookieEditorRecord, indent: "    "}

type cookieEditorCookie struct {
	Domain         string           `json:"domain"`
	ExpirationDate *json.Number     `json:"expirationDate,omitempty"`
	HostOnly       bool             `json:"hostOnly"`
	HttpOnly       bool             `json:"httpOnly"`
	Name           string           `json:"name"`
	PartitionKey   *cdpPartitionKey `json:"partitionKey,omitempty"`
	Path           string           `json:"path"`
	SameSite       string           `json:"sameSite"`
	Secure         bool             `json:"secure"`
	Session        bool             `json:"session"`
	Value          string           `json:"value"`
}

func cookieEditorRecord(c *Cookie, partition string) any {
	r := &cookieEditorCookie{
		Domain: dottedDomain(c), HostOnly: c.HostOnly, HttpOnly: c.HttpOnly,
		Name: c.Name, PartitionKey: partitionObject(partition), Path: c.Path,
		SameSite: extensionSameSite(c.SameSite), Secure: c.Secure,
		Session: c.Expires.IsZero(), Value: quotedValue(c),
	}
	if !c.Expires.IsZero() {
		exp := writeExpiry(c.Expires)
		r.ExpirationDate = &exp
	}
	return r
}

// extensionSameSite names a SameSite mode as the extensions' API does.
func extensionSameSite(m http.SameSite) string { return spellSameSite(m).extension }

func readCookieEditor(r jsonRecord) (Cookie, string, error) {
	c, dotted, partition, err := readCommon(r)
	if err != nil {
		return c, "", err
	}
	c.HostOnly = !dotted
	if _, ok := r.get("hostOnly"); ok {
		if c.HostOnly, err = r.flag("hostOnly"); err != nil {
			return c, "", err
		}
	}
	if session, err := r.flag("session"); err != nil || session {
		return c, partition, err
	}
	text, ok, err := r.number("expirationDate")
	if err != nil || !ok {
		return c, partition, err
	}
	if c.Expires, _, err = readExpiry(text); err != nil {
		return c, "", fmt.Errorf(`"expirationDate": %w`, err)
	}
	return c, partition, nil
}
