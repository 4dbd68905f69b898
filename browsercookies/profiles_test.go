package browsercookies

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// fakeHome makes a home directory the profile look-ups use.
func fakeHome(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", "")
	return home
}

// chromiumProfileAt writes a Cookies database with one cookie whose value
// tells where it is.
func chromiumProfileAt(t *testing.T, dir, marker string) {
	t.Helper()
	mkdirAll(t, dir)
	writeChromium(t, filepath.Join(dir, "Cookies"), 24, []crRow{{host: "example.com", name: "where", value: marker, expires: future, sameSite: -1}})
}

func firefoxProfileAt(t *testing.T, dir, marker string) {
	t.Helper()
	mkdirAll(t, dir)
	writeFirefox(t, filepath.Join(dir, "cookies.sqlite"), 17, []ffRow{{id: 1, name: "where", value: marker, host: "example.com", expiry: future.UnixMilli(), sameSite: ffSameSiteUnset}})
}

// where reads spec and returns the marker of the profile it read.
func where(t *testing.T, spec string) string {
	t.Helper()
	cookies, err := Read(context.Background(), spec)
	if err != nil {
		return "error: " + err.Error()
	}
	if len(cookies) != 1 {
		return "cookies: " + strings.Repeat("?", len(cookies))
	}
	return cookies[0].Value
}

func TestChromiumProfiles(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the Linux layout")
	}
	home := fakeHome(t)
	ud := filepath.Join(home, ".config", "chromium")
	chromiumProfileAt(t, filepath.Join(ud, "Default"), "default")
	chromiumProfileAt(t, filepath.Join(ud, "Profile 1"), "work")
	writeFile(t, filepath.Join(ud, "Local State"), `{"profile":{"last_used":"Profile 1","info_cache":{"Default":{"name":"Person 1"},"Profile 1":{"name":"Work"}}}}`)
	chrome := filepath.Join(home, ".config", "google-chrome")
	chromiumProfileAt(t, filepath.Join(chrome, "Default"), "chrome")
	// Brave from Flatpak, Chromium-family Opera (no profiles) from Snap.
	chromiumProfileAt(t, filepath.Join(home, ".var", "app", "com.brave.Browser", "config", "BraveSoftware", "Brave-Browser", "Default"), "brave flatpak")
	chromiumProfileAt(t, filepath.Join(home, "snap", "opera", "common", "opera"), "opera snap")
	// Edge keeps its database in Network/ as newer versions do on some
	// platforms.
	mkdirAll(t, filepath.Join(home, ".config", "microsoft-edge", "Default", "Network"))
	writeChromium(t, filepath.Join(home, ".config", "microsoft-edge", "Default", "Network", "Cookies"), 24,
		[]crRow{{host: "example.com", name: "where", value: "edge", expires: future, sameSite: -1}})

	for spec, want := range map[string]string{
		"chromium":                     "default",
		"Chromium":                     "default",
		"chromium:Default":             "default",
		"chromium:Profile 1":           "work",
		"chromium:Work":                "work",
		"chromium:work":                "work",
		"chrome":                       "chrome",
		"google-chrome":                "chrome",
		"brave":                        "brave flatpak",
		"opera":                        "opera snap",
		"edge":                         "edge",
		ud:                             "default",
		filepath.Join(ud, "Profile 1"): "work",
		filepath.Join(ud, "Profile 1", "Cookies"): "work",
		"~/.config/chromium/Profile 1":            "work",
	} {
		assert.Equal(t, want, where(t, spec), "%q read", spec)
	}
	for spec, wantErr := range map[string]string{
		"chromium:Nobody": `no profile "Nobody"`,
		"vivaldi":         "no vivaldi profile found",
		"netscape":        "unknown browser",
		"":                "empty spec",
		"opera:x":         "has no profiles",
		"chromium::x":     "containers are Firefox's",
		"/nonexistent/x":  "no such file",
	} {
		assert.Contains(t, where(t, spec), wantErr, "%q: want an error", spec)
	}
	// A user-data directory whose Default has no database: the last used.
	os.Remove(filepath.Join(ud, "Default", "Cookies"))
	assert.Equal(t, "work", where(t, "chromium"), "chromium without Default: want the last used profile")

	// A native directory without profiles does not hide the Flatpak one.
	home = fakeHome(t)
	mkdirAll(t, filepath.Join(home, ".config", "vivaldi"))
	chromiumProfileAt(t, filepath.Join(home, ".var", "app", "com.vivaldi.Vivaldi", "config", "vivaldi", "Default"), "vivaldi flatpak")
	assert.Equal(t, "vivaldi flatpak", where(t, "vivaldi"), "vivaldi: want the Flatpak profile")
}

func TestFirefoxProfiles(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the Linux layout")
	}
	home := fakeHome(t)
	root := filepath.Join(home, ".mozilla", "firefox")
	firefoxProfileAt(t, filepath.Join(root, "abcd.default"), "old default")
	firefoxProfileAt(t, filepath.Join(root, "efgh.default-release"), "release")
	firefoxProfileAt(t, filepath.Join(root, "ijkl.work"), "work")
	outside := filepath.Join(home, "elsewhere", "profile")
	firefoxProfileAt(t, outside, "absolute")
	writeFile(t, filepath.Join(root, "profiles.ini"), `[Install4F96D1932A9F858E]
Default=efgh.default-release
Locked=1

[Profile2]
Name=elsewhere
IsRelative=0
Path=`+outside+`

[Profile1]
Name=work
IsRelative=1
Path=ijkl.work

[Profile0]
Name=default
IsRelative=1
Path=abcd.default
Default=1

[General]
StartWithLastProfile=1
Version=2
`)
	for spec, want := range map[string]string{
		"firefox":                        "release", // the installation's default
		"firefox-esr":                    "release",
		"firefox:work":                   "work",
		"firefox:Work":                   "work",
		"firefox:default":                "old default",
		"firefox:elsewhere":              "absolute",
		"firefox:ijkl.work":              "work",
		root:                             "release",
		filepath.Join(root, "ijkl.work"): "work",
	} {
		assert.Equal(t, want, where(t, spec), "%q read", spec)
	}
	assert.Contains(t, where(t, "firefox:nobody"), `no Firefox profile "nobody"`, "firefox:nobody")

	// Without [Install], the profile marked Default=1.
	writeFile(t, filepath.Join(root, "profiles.ini"), "[Profile0]\nName=default\nIsRelative=1\nPath=abcd.default\nDefault=1\n\n[Profile1]\nName=x\nPath=ijkl.work\n")
	assert.Equal(t, "old default", where(t, "firefox"), "firefox with Default=1")
}

// Firefox from Flatpak and Snap, and the XDG layout of Firefox 147 on.
func TestFirefoxPackagedProfiles(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the Linux layout")
	}
	for _, rel := range []string{
		".config/mozilla/firefox",
		".var/app/org.mozilla.firefox/.mozilla/firefox",
		".var/app/org.mozilla.firefox/config/mozilla/firefox",
		"snap/firefox/common/.mozilla/firefox",
	} {
		home := fakeHome(t)
		root := filepath.Join(home, filepath.FromSlash(rel))
		firefoxProfileAt(t, filepath.Join(root, "x.default-release"), rel)
		writeFile(t, filepath.Join(root, "profiles.ini"), "[Profile0]\nName=default-release\nIsRelative=1\nPath=x.default-release\n")
		assert.Equal(t, rel, where(t, "firefox"), rel)
	}
	// No profiles.ini at all: the *.default-release directory.
	home := fakeHome(t)
	firefoxProfileAt(t, filepath.Join(home, ".mozilla", "firefox", "y.default-release"), "no ini")
	assert.Equal(t, "no ini", where(t, "firefox"), "without profiles.ini")
}

// A path that is neither a database nor a profile is a clear error, and
// a file that is not a cookie database too.
func TestPathErrors(t *testing.T) {
	dir := t.TempDir()
	assert.Contains(t, where(t, dir), "holds no cookie database", "empty directory")
	writeFile(t, filepath.Join(dir, "text"), "not a database at all")
	assert.Contains(t, where(t, filepath.Join(dir, "text")), "not an SQLite database", "text file")
	other := filepath.Join(dir, "other.db")
	newDB(t, other, "CREATE TABLE t (x)").Close()
	assert.Contains(t, where(t, other), "neither moz_cookies", "other database")
	var nilCtx context.Context
	_, err := Read(nilCtx, dir)
	assert.Error(t, err, "nil context accepted")
}
