// Package cookiefile is every cookie file format the jar reads and writes,
// and nothing else: bytes in, decoded records out, and back. It holds the
// native JSON file, curl's cookies.txt, Playwright's storageState, the
// Cookie-Editor extensions' array and the DevTools Protocol's cookies, and
// tells them apart.
//
// A read gives a File: its cookies (Record), its deletions (Tomb), what it
// holds that could not be read (Carried, written back as it was), and the
// records that were not loaded (LineError), each with its line or record
// number. The codecs check syntax only: the cookie rules, the sync model,
// clocks and the jar are the caller's, which tells a File which decoded
// records it refused (File.Refuse), so that they are carried as they were.
package cookiefile
