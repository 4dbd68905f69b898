package cookiefile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Telling the formats apart by their content (see Detect).

// Keys that tell the formats apart (see DetectFormat).
var (
	// Only the browsers' extension API writes these.
	extensionKeys = []string{"hostOnly", "expirationDate", "storeId"}
	// Only the DevTools Protocol writes these, beside Playwright's keys.
	cdpKeys = []string{"size", "session", "priority", "sourceScheme", "sourcePort", "sameParty", "partitionKeyOpaque"}
	// In an array, "expires" also says CDP (or Playwright's cookies, read
	// alike); "session" does not, as the extensions write it too.
	cdpArrayKeys = []string{"expires", "size", "priority", "sourceScheme", "sourcePort", "sameParty", "partitionKeyOpaque"}
	// Only the native file writes these: an object whose cookies hold
	// them is a native file without its version, for the native decoder
	// to refuse, never a storageState to rewrite.
	nativeKeys = []string{"created", "lastAccess", "updated", "seq", "nameBase64", "valueBase64", "pathBase64"}
)

// sniffed is what telling a file's format found.
type sniffed struct {
	format  Format
	members []topMember // an object's members, in order (foreign formats)
	// Foreign formats: the cookie array as it is written (valid JSON),
	// its number of elements, and of cookie objects (with a "name").
	array  []byte
	length int
	named  int
	// cookies counts the objects that look like a cookie: a "name" and a
	// "value" or a "domain". A bare array needs one to be a cookie file
	// ([{"name": "alice", "age": 30}] is not); under a "cookies" key, a
	// "name" does.
	cookies int
}

// topMember is one member of a JSON object, its value as it was written.
type topMember struct {
	key   string
	value json.RawMessage
}

// sniff tells the format of a cookie file's content (see DetectFormat). For
// the other programs' formats it returns their records too.
func sniff(data []byte) (sniffed, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	body := bytes.TrimLeft(data, " \t\r\n")
	switch {
	case len(bytes.TrimRight(body, " \t\r\n")) == 0:
		return sniffed{format: None}, nil
	case body[0] == '{':
		return sniffObject(body)
	case body[0] == '[':
		return sniffArray(data)
	}
	return sniffed{format: Netscape}, nil
}

// sniffObject tells the format of a JSON object. An object that is not
// valid JSON, or of no known shape, is left to the native decoder, which
// says what is wrong with it.
func sniffObject(body []byte) (sniffed, error) {
	native := sniffed{format: JSON}
	if bytes.HasPrefix(body, []byte(`{"version"`)) {
		return native, nil // as Save writes it: no need to read further
	}
	members, err := objectMembers(body)
	if err != nil {
		return native, nil
	}
	var cookies []byte
	origins := false
	for i := range members {
		m := &members[i]
		switch {
		case strings.EqualFold(m.key, "version"), strings.EqualFold(m.key, "deleted"):
			// The native file, perhaps mistyped: its decoder says what
			// is wrong with it.
			return native, nil
		case m.key == "cookies":
			if cookies != nil {
				return sniffed{}, fmt.Errorf("%w: the key \"cookies\" is given twice", ErrCorrupt)
			}
			// A save writes the array anew from the cookies: the members
			// kept need not hold it.
			cookies, m.value = m.value, nil
		case m.key == "origins":
			origins = true
		}
	}
	if cookies == nil {
		return native, nil
	}
	if cookies[0] != '[' {
		return sniffed{}, fmt.Errorf("%w: \"cookies\" is not an array", ErrCorrupt)
	}
	s := sniffed{format: Playwright, members: members, array: cookies}
	k := s.scan()
	switch {
	case k.native:
		return native, nil
	case s.length > 0 && s.named == 0:
		return sniffed{}, fmt.Errorf("%w: a \"cookies\" array that holds no cookie (no object with a \"name\")", ErrCorrupt)
	case !origins && k.cdp:
		s.format = CDP
	}
	for i := range members {
		// Kept to be written back: their own copies, so that what the jar
		// keeps of the file is not the whole file.
		members[i].value = bytes.Clone(members[i].value)
	}
	return s, nil
}

// sniffArray tells the format of a JSON array of cookies. body may start
// with white space.
func sniffArray(body []byte) (sniffed, error) {
	if !json.Valid(body) {
		// cookies.txt may start with '[': an IPv6 literal domain.
		if hasNetscapeCookie(body) {
			return sniffed{format: Netscape}, nil
		}
		// Unmarshal checks the whole text before it decodes anything: it
		// only finds where the syntax breaks.
		return sniffed{}, corruptAt(body, json.Unmarshal(body, new(any)))
	}
	s := sniffed{array: body}
	k := s.scan()
	switch {
	case k.extension && k.cdpArray:
		return sniffed{}, fmt.Errorf("%w: a JSON array whose cookies hold keys of both the extensions' format (hostOnly, expirationDate, storeId) and the DevTools Protocol's (expires, size, ...)", ErrCorrupt)
	case k.extension || s.length == 0:
		s.format = CookieEditor
	case s.cookies == 0:
		return sniffed{}, fmt.Errorf("%w: a JSON array that holds no cookie (no object with a \"name\" and a \"value\" or \"domain\")", ErrCorrupt)
	default:
		s.format = CDP
	}
	return s, nil
}

// keysFound is which of the keys that tell the formats apart the records
// of a cookie array hold.
type keysFound struct {
	extension, cdp, cdpArray, native bool
}

// scan counts the elements of s.array and its cookie objects, and reports
// which of the telling keys they hold. It keeps nothing of them: a file
// of a million elements costs no more than its own bytes.
func (s *sniffed) scan() (k keysFound) {
	for l := openList(s.array); ; {
		_, raw, ok := l.element()
		if !ok {
			break
		}
		s.length++
		if raw[0] != '{' {
			continue
		}
		named, valued := false, false
		for m := openList(raw); ; {
			quoted, _, ok := m.member()
			if !ok {
				break
			}
			key := keyText(quoted)
			named = named || string(key) == "name"
			valued = valued || string(key) == "value" || string(key) == "domain"
			k.extension = k.extension || oneOf(key, extensionKeys)
			k.cdp = k.cdp || oneOf(key, cdpKeys)
			k.cdpArray = k.cdpArray || oneOf(key, cdpArrayKeys)
			k.native = k.native || oneOf(key, nativeKeys)
		}
		if named {
			s.named++
		}
		if named && valued {
			s.cookies++
		}
	}
	return k
}

func oneOf(key []byte, keys []string) bool {
	for _, k := range keys {
		if string(key) == k {
			return true
		}
	}
	return false
}

// hasName reports whether raw, an element of a cookie array, is a cookie
// object: one with a "name". (An array is a cookie file only if one of its
// objects also has a "value" or a "domain": see scan.)
func hasName(raw []byte) bool {
	if raw[0] != '{' {
		return false
	}
	for m := openList(raw); ; {
		quoted, _, ok := m.member()
		if !ok {
			return false
		}
		if string(keyText(quoted)) == "name" {
			return true
		}
	}
}

// objectMembers returns the members of the JSON object body in order, their
// values as they are in body.
func objectMembers(body []byte) ([]topMember, error) {
	if !json.Valid(body) {
		return nil, errors.New("not valid JSON")
	}
	if body[0] != '{' {
		return nil, errors.New("not a JSON object")
	}
	var members []topMember
	for l := openList(body); ; {
		quoted, value, ok := l.member()
		if !ok {
			break
		}
		members = append(members, topMember{key: string(keyText(quoted)), value: value})
	}
	return members, nil
}
