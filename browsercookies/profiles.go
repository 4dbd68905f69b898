package browsercookies

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

// browser is what Read knows of one browser: where its profiles are and,
// for the Chromium family, the names its key is kept under.
type browser struct {
	name    string
	firefox bool
	// secretApp is the "application" attribute of the Secret Service item
	// that holds the browser's password on Linux; keychain is the
	// Keychain service and account name on macOS ("Chrome" for "Chrome
	// Safe Storage").
	secretApp, keychain string
	// noProfiles: the user-data directory is the profile (Opera).
	noProfiles bool
	// dirs returns the candidate user-data directories (Firefox: the
	// directories holding profiles.ini), most likely first.
	dirs func(env) []string
}

// env is where the user's directories are, taken from the environment.
type env struct {
	home, config, localAppData, appData string
}

func currentEnv() (env, error) {
	h, err := home()
	if err != nil {
		return env{}, err
	}
	e := env{home: h, config: os.Getenv("XDG_CONFIG_HOME"), localAppData: os.Getenv("LOCALAPPDATA"), appData: os.Getenv("APPDATA")}
	if e.config == "" || !filepath.IsAbs(e.config) {
		e.config = filepath.Join(h, ".config")
	}
	return e, nil
}

// chromiumDirs lays out a Chromium-family browser's user-data directories:
// linux is its directory under ~/.config, flatpak and snap the application
// id and snap name, mac its directory under ~/Library/Application Support,
// win its directory under %LOCALAPPDATA%.
func chromiumDirs(linux, flatpak, snap, mac, win string) func(env) []string {
	return func(e env) []string {
		switch runtime.GOOS {
		case "darwin":
			return []string{filepath.Join(e.home, "Library", "Application Support", filepath.FromSlash(mac))}
		case "windows":
			if win == "" {
				return nil
			}
			if strings.HasPrefix(win, "%APPDATA%/") {
				return []string{filepath.Join(e.appData, filepath.FromSlash(strings.TrimPrefix(win, "%APPDATA%/")))}
			}
			return []string{filepath.Join(e.localAppData, filepath.FromSlash(win))}
		}
		dirs := []string{filepath.Join(e.config, filepath.FromSlash(linux))}
		if flatpak != "" {
			dirs = append(dirs, filepath.Join(e.home, ".var", "app", flatpak, "config", filepath.FromSlash(linux)))
		}
		if snap != "" {
			dirs = append(dirs,
				filepath.Join(e.home, "snap", snap, "common", filepath.FromSlash(linux)),
				filepath.Join(e.home, "snap", snap, "current", ".config", filepath.FromSlash(linux)))
		}
		return dirs
	}
}

func firefoxDirs(e env) []string {
	switch runtime.GOOS {
	case "darwin":
		return []string{filepath.Join(e.home, "Library", "Application Support", "Firefox")}
	case "windows":
		return []string{filepath.Join(e.appData, "Mozilla", "Firefox")}
	}
	return []string{
		filepath.Join(e.home, ".mozilla", "firefox"),  // Firefox up to 146, and Debian's firefox-esr
		filepath.Join(e.config, "mozilla", "firefox"), // new installations of Firefox 147 and later
		filepath.Join(e.home, ".var", "app", "org.mozilla.firefox", ".mozilla", "firefox"),
		filepath.Join(e.home, ".var", "app", "org.mozilla.firefox", "config", "mozilla", "firefox"),
		filepath.Join(e.home, "snap", "firefox", "common", ".mozilla", "firefox"),
	}
}

var browsers = []*browser{
	{name: "firefox", firefox: true, dirs: firefoxDirs},
	{name: "chromium", secretApp: "chromium", keychain: "Chromium",
		dirs: chromiumDirs("chromium", "org.chromium.Chromium", "chromium", "Chromium", "Chromium/User Data")},
	{name: "chrome", secretApp: "chrome", keychain: "Chrome",
		dirs: chromiumDirs("google-chrome", "com.google.Chrome", "", "Google/Chrome", "Google/Chrome/User Data")},
	{name: "edge", secretApp: "chromium", keychain: "Microsoft Edge",
		dirs: chromiumDirs("microsoft-edge", "com.microsoft.Edge", "", "Microsoft Edge", "Microsoft/Edge/User Data")},
	{name: "brave", secretApp: "brave", keychain: "Brave",
		dirs: chromiumDirs("BraveSoftware/Brave-Browser", "com.brave.Browser", "brave", "BraveSoftware/Brave-Browser", "BraveSoftware/Brave-Browser/User Data")},
	{name: "vivaldi", secretApp: "chrome", keychain: "Vivaldi",
		dirs: chromiumDirs("vivaldi", "com.vivaldi.Vivaldi", "", "Vivaldi", "Vivaldi/User Data")},
	{name: "opera", secretApp: "chromium", keychain: "Opera", noProfiles: true,
		dirs: chromiumDirs("opera", "com.opera.Opera", "opera", "com.operasoftware.Opera", "%APPDATA%/Opera Software/Opera Stable")},
}

// aliases are other names for the browsers above.
var aliases = map[string]string{
	"firefox-esr": "firefox", "google-chrome": "chrome", "chromium-browser": "chromium",
	"microsoft-edge": "edge", "msedge": "edge", "brave-browser": "brave",
}

func lookupBrowser(name string) *browser {
	name = strings.ToLower(name)
	if a, ok := aliases[name]; ok {
		name = a
	}
	for _, b := range browsers {
		if b.name == name {
			return b
		}
	}
	return nil
}

// browserNames lists the names a spec may start with, for messages.
func browserNames() string {
	names := make([]string, len(browsers))
	for i, b := range browsers {
		names[i] = b.name
	}
	return strings.Join(names, ", ")
}

// resolve turns a spec into the database to read.
func resolve(spec string) (*source, error) {
	if spec == "" {
		return nil, errors.New("browsercookies: empty spec: give a browser name (" + browserNames() + "), name:profile, or a path")
	}
	if isPathSpec(spec) {
		p := spec
		if strings.HasPrefix(p, "~") {
			h, err := home()
			if err != nil {
				return nil, err
			}
			p = filepath.Join(h, p[1:])
		}
		return resolvePath(p)
	}
	if _, err := os.Stat(spec); err == nil && lookupBrowser(strings.SplitN(spec, ":", 2)[0]) == nil {
		return resolvePath(spec) // a relative path such as "Cookies"
	}
	name, profile, _ := strings.Cut(spec, ":")
	container := ""
	if i := strings.Index(spec, "::"); i >= 0 {
		name, profile, container = spec[:i], "", spec[i+2:]
		if n, p, ok := strings.Cut(name, ":"); ok {
			name, profile = n, p
		}
		if container == "" {
			return nil, fmt.Errorf("browsercookies: %q: empty container name after \"::\"", spec)
		}
	}
	b := lookupBrowser(name)
	if b == nil {
		return nil, fmt.Errorf("browsercookies: unknown browser %q: known are %s, or give a path", name, browserNames())
	}
	if container != "" && !b.firefox {
		return nil, fmt.Errorf("browsercookies: %q: containers are Firefox's; %s has none", spec, b.name)
	}
	e, err := currentEnv()
	if err != nil {
		return nil, err
	}
	// Every installation (native, Flatpak, Snap) that has the profile is
	// a candidate; the one whose database was written last is the one in
	// use.
	var src *source
	var newest time.Time
	var tried []string
	var errs []error
	for _, d := range b.dirs(e) {
		tried = append(tried, d)
		if !isDir(d) {
			continue
		}
		var s *source
		if b.firefox {
			s, err = firefoxProfile(d, profile)
		} else {
			s, err = chromiumProfile(b, d, profile)
		}
		if errors.Is(err, errAmbiguous) {
			return nil, err
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if t := lastWritten(s.db); src == nil || t.After(newest) {
			src, newest = s, t
		}
	}
	if src == nil {
		if len(errs) == 1 {
			return nil, errs[0] // the one installation there is
		}
		what := "profile"
		if profile != "" {
			what = fmt.Sprintf("profile %q", profile)
		}
		return nil, fmt.Errorf("browsercookies: no %s %s found (looked for a cookie database in %s)", b.name, what, strings.Join(tried, ", "))
	}
	src.browser = b
	src.container = container
	return src, nil
}

// errAmbiguous: a profile name that names more than one profile.
var errAmbiguous = errors.New("ambiguous profile name")

// lastWritten returns when a database or its write-ahead log was last
// written.
func lastWritten(db string) time.Time {
	var t time.Time
	for _, p := range []string{db, db + "-wal"} {
		if fi, err := os.Stat(p); err == nil && fi.ModTime().After(t) {
			t = fi.ModTime()
		}
	}
	return t
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

// resolvePath resolves a path spec: a cookie database, a profile directory
// or a user-data directory. A Firefox container may follow "::".
func resolvePath(p string) (*source, error) {
	container := ""
	if i := strings.LastIndex(p, "::"); i >= 0 && !exists(p) {
		p, container = p[:i], p[i+2:]
	}
	fi, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("browsercookies: %w", err)
	}
	var src *source
	switch {
	case fi.Mode().IsRegular():
		if err := sqliteHeader(p); err != nil {
			return nil, err
		}
		// Which browser wrote it is told by its tables, when it is read.
		src = &source{db: p, profile: filepath.Dir(p)}
	case !fi.IsDir():
		return nil, notRegular(p, fi) // a FIFO, a device, a socket
	case isFile(filepath.Join(p, "cookies.sqlite")):
		src = &source{kind: "firefox", db: filepath.Join(p, "cookies.sqlite"), profile: p}
	case isFile(filepath.Join(p, "profiles.ini")):
		src, err = firefoxProfile(p, "")
	case chromiumDB(p) != "":
		src = &source{kind: "chromium", db: chromiumDB(p), profile: p, userData: filepath.Dir(p)}
		if isFile(filepath.Join(p, "Local State")) {
			src.userData = p // Opera: the user-data directory is the profile
		}
	case isFile(filepath.Join(p, "Local State")):
		src, err = chromiumProfile(nil, p, "")
	default:
		return nil, fmt.Errorf("browsercookies: %s holds no cookie database (cookies.sqlite, Cookies), profiles.ini or Local State", p)
	}
	if err != nil {
		return nil, err
	}
	if container != "" {
		if src.kind != "firefox" && src.kind != "" { // "": checked when read
			return nil, fmt.Errorf("browsercookies: %s: containers are Firefox's", p)
		}
		src.container = container
	}
	src.browser = browserOfPath(src.db)
	return src, nil
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// chromiumUserDataOf guesses the user-data directory of a Chromium
// database: the directory above the profile that holds Local State.
func chromiumUserDataOf(db string) string {
	dir := filepath.Dir(db)
	if filepath.Base(dir) == "Network" {
		dir = filepath.Dir(dir)
	}
	for _, d := range []string{filepath.Dir(dir), dir} {
		if isFile(filepath.Join(d, "Local State")) {
			return d
		}
	}
	return filepath.Dir(dir)
}

// browserOfPath returns the browser whose directories hold p, or nil.
func browserOfPath(p string) *browser {
	e, err := currentEnv()
	if err != nil {
		return nil
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return nil
	}
	for _, b := range browsers {
		for _, d := range b.dirs(e) {
			if rel, err := filepath.Rel(d, abs); err == nil && !strings.HasPrefix(rel, "..") {
				return b
			}
		}
	}
	return nil
}

// chromiumDB returns the Cookies database of a Chromium profile directory
// (Network/Cookies in newer versions on some platforms), or "".
func chromiumDB(profile string) string {
	for _, p := range []string{filepath.Join(profile, "Network", "Cookies"), filepath.Join(profile, "Cookies")} {
		if isFile(p) {
			return p
		}
	}
	return ""
}

// chromiumProfile finds a profile in a Chromium user-data directory: the
// one named (by directory, or by the name Local State gives it), else
// Default, else the last used.
func chromiumProfile(b *browser, userData, name string) (*source, error) {
	if b != nil && b.noProfiles {
		if name != "" {
			return nil, fmt.Errorf("browsercookies: %s has no profiles", b.name)
		}
		if db := chromiumDB(userData); db != "" {
			return &source{kind: "chromium", db: db, profile: userData, userData: userData}, nil
		}
		return nil, fmt.Errorf("browsercookies: no Cookies database in %s", userData)
	}
	var state struct {
		Profile struct {
			LastUsed  string `json:"last_used"`
			InfoCache map[string]struct {
				Name string `json:"name"`
			} `json:"info_cache"`
		} `json:"profile"`
	}
	if data, err := os.ReadFile(filepath.Join(userData, "Local State")); err == nil {
		_ = json.Unmarshal(data, &state) // a damaged Local State only costs the profile names
	}
	var dirs []string
	if name != "" {
		// The directory of that name, else the one profile of that name
		// (exactly, then in any case): two profiles of one name are an
		// error, not a guess.
		dirs = append(dirs, name)
		byName := func(match func(string) bool) []string {
			var found []string
			for dir, info := range state.Profile.InfoCache {
				if match(info.Name) && filepath.IsLocal(dir) && chromiumDB(filepath.Join(userData, dir)) != "" {
					found = append(found, dir)
				}
			}
			slices.Sort(found)
			return found
		}
		if chromiumDB(filepath.Join(userData, name)) == "" || !filepath.IsLocal(name) {
			found := byName(func(n string) bool { return n == name })
			if len(found) == 0 {
				found = byName(func(n string) bool { return strings.EqualFold(n, name) })
			}
			if len(found) > 1 {
				return nil, fmt.Errorf("browsercookies: %w: %q names the profiles %s in %s; give the directory name",
					errAmbiguous, name, strings.Join(found, ", "), userData)
			}
			dirs = append(dirs, found...)
		}
	} else {
		dirs = append(dirs, "Default")
		if state.Profile.LastUsed != "" {
			dirs = append(dirs, state.Profile.LastUsed)
		}
	}
	for _, d := range dirs {
		if !filepath.IsLocal(d) {
			continue
		}
		p := filepath.Join(userData, d)
		if db := chromiumDB(p); db != "" {
			return &source{kind: "chromium", db: db, profile: p, userData: userData}, nil
		}
	}
	if name != "" {
		return nil, fmt.Errorf("browsercookies: no profile %q with a Cookies database in %s", name, userData)
	}
	return nil, fmt.Errorf("browsercookies: no Default profile with a Cookies database in %s", userData)
}

// firefoxProfile finds a profile in a directory holding profiles.ini: the
// one named (by its Name or its directory), else the default of an
// installation ([Install...] Default=), else the profile marked Default=1,
// else the only one.
func firefoxProfile(root, name string) (*source, error) {
	profiles, installs, err := readProfilesINI(filepath.Join(root, "profiles.ini"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	dirOf := func(p iniProfile) string {
		if p.relative {
			return filepath.Join(root, filepath.FromSlash(p.path))
		}
		return p.path
	}
	var candidates []string
	hasDB := func(d string) bool { return isFile(filepath.Join(d, "cookies.sqlite")) }
	if name != "" {
		// The profile of that name (exactly, then by its directory, then
		// in any case), else a directory of that name. Two profiles that
		// match alike are an error, not a guess.
		for _, match := range []func(iniProfile) bool{
			func(p iniProfile) bool { return p.name == name },
			func(p iniProfile) bool { return filepath.Base(p.path) == name },
			func(p iniProfile) bool { return strings.EqualFold(p.name, name) },
		} {
			var found []string
			for _, p := range profiles {
				if d := dirOf(p); match(p) && hasDB(d) && !slices.Contains(found, d) {
					found = append(found, d)
				}
			}
			if len(found) > 1 {
				return nil, fmt.Errorf("browsercookies: %w: %q names the profiles %s in %s; give the directory",
					errAmbiguous, name, strings.Join(found, ", "), filepath.Join(root, "profiles.ini"))
			}
			candidates = append(candidates, found...)
		}
		if filepath.IsLocal(name) {
			candidates = append(candidates, filepath.Join(root, name), filepath.Join(root, "Profiles", name))
		}
	} else {
		for _, d := range installs {
			candidates = append(candidates, dirOf(iniProfile{path: d, relative: !filepath.IsAbs(d)}))
		}
		for _, p := range profiles {
			if p.isDefault {
				candidates = append(candidates, dirOf(p))
			}
		}
		if len(profiles) == 1 {
			candidates = append(candidates, dirOf(profiles[0]))
		}
		if len(profiles) == 0 {
			// No profiles.ini: the one directory ending in
			// .default-release, .default-esr or .default.
			var found []string
			for _, suffix := range []string{"*.default-release", "*.default-esr", "*.default"} {
				m, _ := filepath.Glob(filepath.Join(root, suffix))
				m2, _ := filepath.Glob(filepath.Join(root, "Profiles", suffix))
				for _, d := range append(m, m2...) {
					if hasDB(d) {
						found = append(found, d)
					}
				}
			}
			if len(found) > 1 {
				return nil, fmt.Errorf("browsercookies: %w: %s has no profiles.ini and the profiles %s; name one",
					errAmbiguous, root, strings.Join(found, ", "))
			}
			candidates = append(candidates, found...)
		}
	}
	for _, d := range candidates {
		if db := filepath.Join(d, "cookies.sqlite"); isFile(db) {
			return &source{kind: "firefox", db: db, profile: d}, nil
		}
	}
	if name != "" {
		return nil, fmt.Errorf("browsercookies: no Firefox profile %q with a cookies.sqlite in %s", name, root)
	}
	return nil, fmt.Errorf("browsercookies: no default Firefox profile with a cookies.sqlite in %s", root)
}

type iniProfile struct {
	name, path          string
	relative, isDefault bool
}

// readProfilesINI reads Firefox's profiles.ini: its [Profile*] sections and
// the Default= of its [Install*] sections.
func readProfilesINI(path string) (profiles []iniProfile, installs []string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	var section string
	var cur *iniProfile
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == ';' || line[0] == '#' {
			continue
		}
		if line[0] == '[' && line[len(line)-1] == ']' {
			section = line[1 : len(line)-1]
			cur = nil
			if strings.HasPrefix(section, "Profile") {
				profiles = append(profiles, iniProfile{relative: true})
				cur = &profiles[len(profiles)-1]
			}
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		switch {
		case cur != nil && k == "Name":
			cur.name = v
		case cur != nil && k == "Path":
			cur.path = v
		case cur != nil && k == "IsRelative":
			cur.relative = v != "0"
		case cur != nil && k == "Default":
			cur.isDefault = v == "1"
		case strings.HasPrefix(section, "Install") && k == "Default":
			installs = append(installs, v)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("browsercookies: %s: %w", path, err)
	}
	return profiles, installs, nil
}
