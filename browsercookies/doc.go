// Package browsercookies reads the cookies of a browser profile, so that a
// login made in a browser (two-factor, captcha, single sign-on) can be
// carried on by an httpsession.Session:
//
//	cookies, err := browsercookies.Read(ctx, "firefox")
//	var fe *httpsession.FileError
//	if err != nil && !errors.As(err, &fe) {
//		log.Fatal(err) // no profile, no database: nothing was read
//	}
//	// err, if any, is a *httpsession.FileError naming the cookies that
//	// could not be read; the others are in cookies.
//	jar := httpsession.NewJar()
//	for _, c := range cookies {
//		jar.Set(c)
//	}
//
// # What is read
//
// Firefox's cookies.sqlite (table moz_cookies), and the Cookies database of
// the Chromium family (Chromium, Chrome, Edge, Brave, Vivaldi, Opera). The
// database is copied to a private temporary directory together with its
// -wal, -shm and -journal files before it is opened, so a running browser
// neither blocks the read nor is disturbed by it, and what is still in the
// write-ahead log is seen. The copy is taken again when a file changed while
// it was being copied. The files are only read: nothing is written beside
// them.
//
// The database may be named through a symbolic link; its -wal, -shm and
// -journal files may not, since a browser never links them. Each must be a
// regular file: a FIFO, a device, a socket or a directory is refused with
// an error wrapping httpsession.ErrUnsafePath, never opened for reading. A
// database whose files together exceed MaxDatabaseSize is refused
// (httpsession.ErrCorrupt), and the copy ends with the context. A
// write-ahead log that belongs to another database with the same page size
// is applied by SQLite as the browser's SQLite would apply it: only who can
// write the profile directory can put one there.
//
// A table without a column every version of the browser writes (name,
// value, host, path, expiry) is not read at all; a NULL in such a column, a
// host with two leading dots, or a second row of a cookie of the same
// identity (name, domain, path, host-only, partition; partition keys that
// differ only in their scheme) is reported for its row (the newer of two
// is returned, the other is reported with ErrDuplicate).
//
// Every cookie is checked as if a server had sent it (httpsession.Jar.Set):
// a domain cookie on a public suffix (a supercookie) is refused even when a
// browser holds it. Every cookie that could not be read (a value that could
// not be decrypted, a field out of range, a refusal) is named in the
// returned error, a *httpsession.FileError whose Path is the database and
// whose Lines carry the row id; the error never holds a cookie's value.
// Expired cookies, which a browser keeps until it next cleans up, are not
// returned: a browser does not send them either.
//
// # Specs
//
// A spec is a browser name ("firefox", "chromium", "chrome", "edge",
// "brave", "vivaldi", "opera"), a browser name and a profile
// ("firefox:work", "chrome:Profile 1"; a Firefox profile by its name in
// profiles.ini or its directory, a Chromium profile by its directory or its
// name in Local State), or a path: a profile directory, a browser's
// user-data directory (Chromium's Default profile, Firefox's default
// profile), or the cookie database itself. A Firefox spec may end in
// "::CONTAINER" (a container's name or userContextId) to read that
// container's cookies instead of those outside any container.
//
// On Linux the profiles are looked for where each browser puts them,
// including the Flatpak (~/.var/app/ID/...) and Snap (~/snap/NAME/...)
// locations; on macOS and Windows at the browsers' usual places. When a
// browser is installed more than once (natively and as a Flatpak, say) and
// several installations have the profile, the one whose database was
// written last is read: that is the one in use. A profile name that names
// more than one profile of an installation (two Chromium profiles called
// "Work", two Firefox profiles of one Name, or, without profiles.ini, two
// *.default-release directories) is an error naming them, never a guess.
//
// # Attributes
//
// Firefox: host with a leading dot is a domain cookie, otherwise host-only;
// expiry is in seconds up to schema version 15 and in milliseconds from 16
// (Firefox 142), and a value too large for seconds is taken as milliseconds
// whatever the schema says; sameSite 0 None, 1 Lax, 2 Strict, 256 (and any
// other value Firefox writes for "not given") no attribute; creationTime
// and lastAccessed are microseconds. A partitionKey (CHIPS or Total Cookie
// Protection) or firstPartyDomain that is the cookie's own site gives a
// Partitioned cookie (when the Partitioned attribute was set) or a plain
// one; one that names another top-level site cannot be held by a jar, whose
// partitions are always the request's own site, and is reported.
// Session cookies are not in cookies.sqlite (Firefox keeps them in memory
// and in its session store), so they are not read.
//
// Chromium: host_key with a leading dot is a domain cookie; expires_utc,
// creation_utc and last_access_utc are microseconds since 1601; a cookie
// without has_expires or is_persistent is a session cookie; samesite -1 no
// attribute, 0 None, 1 Lax, 2 Strict; a top_frame_site_key is mapped as
// Firefox's partitionKey is. SameSite=None without Secure, which no browser
// accepts from a server today but which both browsers' older versions
// stored for "not given", is read as no SameSite attribute (in both
// browsers). A partition for frames with a cross-site ancestor (Chromium's
// has_cross_site_ancestor, the ",f" of Firefox's partitionKey) is reported
// as a foreign partition whatever its site.
//
// # Decryption
//
// Linux: "v10" values are AES-128-CBC under PBKDF2-HMAC-SHA1("peanuts",
// "saltysalt", 1 iteration), the key Chromium uses without a keyring (as with
// --password-store=basic); "v11" values under the same derivation of the
// password Chromium keeps in the Secret Service (the item with attribute
// application=chromium, or chrome, brave; labelled "Chromium Safe Storage"),
// read over D-Bus (github.com/godbus/dbus, pure Go) when a Secret Service
// is running and the item is unlocked: GNOME Keyring, KeePassXC, or KWallet
// from 5.97 on, which serves the same interface. Read never prompts: a
// locked keyring is an error for each v11 value. Both versions also try the
// empty password, as Chromium does after an old bug. From database version
// 24 on, the decrypted value starts with SHA-256 of the cookie's host_key:
// it is checked and removed, which also tells a wrong key from a right one.
//
// macOS: "v10" values under PBKDF2 with 1003 iterations of the password in
// the login Keychain ("Chrome Safe Storage", account "Chrome"), read with
// the security command, which may ask the user to allow it. Windows: "v10"
// values are AES-256-GCM under the key in Local State
// (os_crypt.encrypted_key, "DPAPI" and a DPAPI blob of the user), and
// values with no prefix are DPAPI blobs. "v20" values (Chrome's app-bound
// encryption on Windows, from Chrome 127) can only be decrypted by the
// browser itself: each gets an error wrapping ErrAppBound.
//
// Tested: the Linux v10 and v11 paths against real browsers (see NOTES.md
// for the versions); macOS and Windows decryption with published test
// vectors; the Keychain and DPAPI look-ups are built for their systems
// but not run here.
//
// # The SQLite driver
//
// modernc.org/sqlite, SQLite translated to Go: no cgo, and it is SQLite's own
// code on the operating system's own files and locks, so a copied
// write-ahead log and its index are recovered exactly as the browser's
// SQLite would. github.com/ncruces/go-sqlite3 (SQLite compiled to
// WebAssembly) was the other candidate; its WAL support depends on the
// platform's shared-memory support in its VFS, which is the one feature
// these databases cannot do without. The release chosen requires Go 1.25,
// the oldest Go release still supported; later releases require Go 1.26.
package browsercookies
