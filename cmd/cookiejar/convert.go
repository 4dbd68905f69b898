package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/internal/safefile"
)

const convertHelp = `convert reads IN, a cookie file in any format it knows (detected from its
content), and writes its cookies to OUT in the format given by -to, or else
the format an existing OUT has (a Playwright file stays one, its "origins"
with it), or else guessed from OUT's extension: .json is native,
.txt is netscape. OUT is written atomically (a crash leaves the old file or
the new one), with mode 0600 if it is new.

Formats (-to FORMAT; any case):
  native (json)          httpsession's own file: every attribute, change
                         times, deletions
  netscape (txt,         curl -b/-c, wget, yt-dlp, Python's MozillaCookieJar
    cookies.txt)
  playwright             Playwright's storageState: newContext({storageState})
                         loads it; an existing OUT keeps its "origins"
  cookie-editor          the JSON the Cookie-Editor and EditThisCookie browser
    (editthiscookie)     extensions import
  cdp (puppeteer)        Chrome DevTools Protocol cookies, as Puppeteer's
                         page.setCookie(...cookies) takes them

An existing OUT is replaced only with -f: a cookie file is worth keeping.
With -f, OUT holds exactly the cookies of IN afterwards, even if it was
corrupt or in another format (a Playwright OUT still keeps its "origins").

cookies.txt has no place for SameSite, Partitioned or creation times, and
none of the formats but native keeps creation times, change times or
deletions: they are lost on the way. Session cookies are kept (expiry 0 in
cookies.txt, -1 in playwright and cdp); use "cookiejar clean -session" to
drop them. Every cookie is checked as if a server had sent it: one a server
could not set (a domain cookie on a public suffix, a broken __Host- prefix)
is reported and left out.

Examples:
  cookiejar convert cookies.txt session.json
  cookiejar convert -f -to netscape session.json cookies.txt
  cookiejar convert --to playwright session.json state.json
  cookiejar convert cookie-editor-export.json cookies.txt
  curl -b cookies.txt -c cookies.txt https://example.com/ && cookiejar convert -f cookies.txt session.json
`

// runConvert implements "cookiejar convert".
func runConvert(args []string, stdout, stderr io.Writer) int {
	cmd := newSubcommand("convert", "convert [-to FORMAT] [-f] IN OUT", convertHelp)
	to := cmd.flags.String("to", "", "output `format`: native (JSON), netscape (cookies.txt), playwright, cookie-editor or cdp; default: the format OUT has, else from its extension")
	force := cmd.flags.Bool("f", false, "replace OUT if it exists")
	files, code, ok := cmd.parse(args, 2, stdout, stderr)
	if !ok {
		return code
	}
	in, out := files[0], files[1]
	format, err := outputFormat(*to, out)
	if err != nil {
		return usageError(stderr, err.Error(), "cookiejar "+cmd.usage, "cookiejar convert -h")
	}
	exists, err := fileExists(out)
	if err != nil {
		return failFile(stderr, out, err)
	}
	if exists && !*force {
		return failFile(stderr, out, errOutputExists)
	}

	jar := newJar()
	// OUT gets exactly IN's cookies: no merging with what OUT held, and a
	// corrupt OUT is replaced too (-f said so).
	saveOpts := []httpsession.SaveOption{httpsession.Overwrite()}
	code = loadInto(jar, in, stderr)
	if code == exitFailure {
		return code
	}
	if err := save(jar, out, format, saveOpts...); err != nil {
		return failFile(stderr, out, err)
	}
	return code
}

// outputFormat returns the format named by to, or when to is empty the
// format path already has (a Playwright storageState stays one, its
// "origins" with it), or else the one that the extension of path suggests.
func outputFormat(to, path string) (httpsession.Format, error) {
	if to != "" {
		f, err := httpsession.ParseFormat(to)
		if err != nil {
			return 0, fmt.Errorf("unknown format %q for -to: want native, netscape, playwright, cookie-editor or cdp", to)
		}
		return f, nil
	}
	if f, ok := existingFormat(path); ok {
		return f, nil
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json":
		return httpsession.FormatJSON, nil
	case ".txt":
		return httpsession.FormatNetscape, nil
	}
	return 0, fmt.Errorf("cannot tell the output format from the name %q: use -to FORMAT (native, netscape, playwright, cookie-editor or cdp)", path)
}

// existingFormat returns the format of the cookie file at path, if there
// is one that reads as a cookie file (whatever else it is, the save tells).
func existingFormat(path string) (httpsession.Format, bool) {
	data, _, err := safefile.ReadRegular(path, httpsession.MaxFileSize)
	if err != nil || len(strings.TrimSpace(string(data))) == 0 {
		return 0, false
	}
	format, err := httpsession.DetectFormat(data)
	return format, err == nil
}

// fileExists reports whether something exists at path.
func fileExists(path string) (bool, error) {
	_, err := os.Lstat(path)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	}
	return false, err
}

// save writes the jar to path in format, atomically and with mode 0600 for a
// new file, merged with what the file holds unless opts say Overwrite.
func save(jar *httpsession.Jar, path string, format httpsession.Format, opts ...httpsession.SaveOption) error {
	return jar.ExportFile(context.Background(), path, format, opts...)
}
