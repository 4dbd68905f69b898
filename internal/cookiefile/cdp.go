package cookiefile

import (
	"encoding/json"
)

// The cookie objects of the Chrome DevTools Protocol (CDP):
// Network.Cookie, as Network.getCookies, Network.getAllCookies and
// Storage.getCookies answer ({"cookies": [...]}) and as Puppeteer's
// page.cookies() and browserContext.cookies() return them (an array):
//
//	[
//	  {
//	    "name": "sessionid",
//	    "value": "x7…",
//	    "domain": "app.example.com",
//	    "path": "/",
//	    "expires": 1767225600.123456,
//	    "size": 12,
//	    "httpOnly": true,
//	    "secure": true,
//	    "session": false,
//	    "sameSite": "Lax",
//	    "priority": "Medium",
//	    "sourceScheme": "Secure",
//	    "sourcePort": 443
//	  }
//	]
//
// The attributes, read and written:
//
//   - domain: no host-only flag, as in Playwright's format: a leading dot
//     means a domain cookie, none a host-only cookie, read and written.
//   - expires: seconds since the Unix epoch, a float; -1 for a session
//     cookie. "session": true makes a session cookie whatever expires says.
//     Read as Playwright's expires is (0 and -1 are session cookies,
//     milliseconds past the year 9999 are recognised). Written: -1 and
//     "session": true for a session cookie, else seconds with up to six
//     decimals and "session": false.
//   - sameSite: "Strict", "Lax", "None"; absent for a cookie without
//     SameSite, read and written so. A "None" without secure is read as no
//     SameSite attribute, as in Playwright's format.
//   - partitionKey: a string, the top-level site (Chrome before 125), or an
//     object {"topLevelSite": ..., "hasCrossSiteAncestor": ...} (Chrome 125
//     and later; Puppeteer's {"sourceOrigin": ...} is read too), mapped to
//     the jar's partition as Playwright's is; hasCrossSiteAncestor is not
//     kept. A cookie in an opaque partition ("partitionKeyOpaque": true) is
//     refused: it belongs to a nonce, not a site. Written as the object.
//     (Puppeteer's setCookie wants a partition key as a string or with
//     "sourceOrigin": partitioned cookies written for raw CDP do not go
//     through it.)
//   - size is written as the bytes of name and value; priority is written
//     "Medium" (Chrome's default; the jar evicts by its own rules);
//     sourceScheme "Unset" and sourcePort -1, which tell Chrome that the
//     scheme and port that set the cookie are unknown, as they are to the
//     jar. On reading, size, priority, sourceScheme, sourcePort and
//     sameParty are ignored: scheme- and port-bound cookies are not part
//     of RFC 6265bis, and every cookie read is checked as if
//     https://domain had set it.
//
// Export writes the array; a save to a file in the object form keeps the
// object, and its other keys.
var cdpSpec = foreignSpec{read: readCDP, record: cdpRecord, indent: "  "}

type cdpCookie struct {
	Name         string           `json:"name"`
	Value        string           `json:"value"`
	Domain       string           `json:"domain"`
	Path         string           `json:"path"`
	Expires      json.Number      `json:"expires"`
	Size         int              `json:"size"`
	HttpOnly     bool             `json:"httpOnly"`
	Secure       bool             `json:"secure"`
	Session      bool             `json:"session"`
	SameSite     string           `json:"sameSite,omitempty"`
	Priority     string           `json:"priority"`
	SourceScheme string           `json:"sourceScheme"`
	SourcePort   int              `json:"sourcePort"`
	PartitionKey *cdpPartitionKey `json:"partitionKey,omitempty"`
}

func cdpRecord(c *Cookie, partition string) any {
	r := &cdpCookie{
		Name: c.Name, Value: quotedValue(c), Domain: dottedDomain(c), Path: c.Path,
		Expires: "-1", HttpOnly: c.HttpOnly, Secure: c.Secure, Session: true,
		SameSite: sameSiteTitle(c.SameSite), Priority: "Medium",
		SourceScheme: "Unset", SourcePort: -1, PartitionKey: partitionObject(partition),
	}
	r.Size = len(r.Name) + len(r.Value)
	if !c.Expires.IsZero() {
		r.Expires, r.Session = writeExpiry(c.Expires), false
	}
	return r
}

func readCDP(r jsonRecord) (Cookie, string, error) {
	c, dotted, partition, err := readCommon(r)
	if err != nil {
		return c, "", err
	}
	c.HostOnly = !dotted
	err = readSecondsExpiry(r, &c, true)
	return c, partition, err
}
