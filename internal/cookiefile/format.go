package cookiefile

import "bytes"

// Format is a cookie file format, numbered as the root package's Format.
type Format int

// The formats, numbered as the root package numbers them.
const (
	// None is the format of an empty file: none yet.
	None Format = iota - 1
	// JSON is the native file: every attribute, change times and
	// deletions.
	JSON
	// Netscape is curl's cookies.txt.
	Netscape
	// Playwright is Playwright's storageState.
	Playwright
	// CookieEditor is the array of the Cookie-Editor and EditThisCookie
	// extensions.
	CookieEditor
	// CDP is the DevTools Protocol's Network.Cookie objects.
	CDP
)

// Foreign reports whether f is the JSON format of another program.
func (f Format) Foreign() bool {
	return f == Playwright || f == CookieEditor || f == CDP
}

// ChangeTimes reports whether the format records when each cookie changed
// (and what was deleted): the native file, and no file yet.
func (f Format) ChangeTimes() bool { return f == JSON || f == None }

// Describe names the format in an error message.
func (f Format) Describe() string {
	switch f {
	case JSON:
		return "the native JSON format"
	case Netscape:
		return "the Netscape cookies.txt format"
	case Playwright:
		return "Playwright's storageState format"
	case CookieEditor:
		return "the Cookie-Editor JSON format"
	case CDP:
		return "the DevTools Protocol's cookie format"
	}
	return "no format"
}

// Fits reports whether a save in the format want may write over data,
// found in the format found: the same format, a file that is in none yet,
// or an empty one that the format want writes alike. An empty array ("[]")
// is a Cookie-Editor file or a CDP one, and {"cookies": []} is a
// storageState or CDP's object form: a format cannot be told from them, so
// the next save gives them theirs.
func Fits(found, want Format, data []byte) bool {
	if found == None || found == want {
		return true
	}
	pair := func(a, b Format) bool {
		return found == a && want == b || found == b && want == a
	}
	if len(data) > 64 {
		return false // not empty
	}
	switch string(bytes.Join(bytes.Fields(data), nil)) {
	case "[]":
		return pair(CookieEditor, CDP)
	case `{"cookies":[]}`:
		return pair(Playwright, CDP)
	}
	return false
}
