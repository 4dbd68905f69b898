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
)

const convertHelp = `convert reads IN, a native JSON file or a Netscape cookies.txt file, and
writes its cookies to OUT in the format given by -to, or else guessed from
OUT's extension: .json is native, .txt is netscape. OUT is written
atomically (a crash leaves the old file or the new one), with mode 0600 if
it is new.

An existing OUT is replaced only with -f: a cookie file is worth keeping.
With -f, OUT holds exactly the cookies of IN afterwards, even if it was
corrupt.

cookies.txt has no place for SameSite, Partitioned or creation times: they
are lost on the way to netscape. Session cookies are kept (expiry 0, as curl
writes them); use "cookiejar clean -session" to drop them.

Examples:
  cookiejar convert cookies.txt session.json
  cookiejar convert -f -to netscape session.json cookies.txt
  curl -b cookies.txt -c cookies.txt https://example.com/ && cookiejar convert -f cookies.txt session.json
`

// Output formats.
const (
	formatNative   = "native"
	formatNetscape = "netscape"
)

// runConvert implements "cookiejar convert".
func runConvert(args []string, stdout, stderr io.Writer) int {
	cmd := newSubcommand("convert", "convert [-to native|netscape] [-f] IN OUT", convertHelp)
	to := cmd.flags.String("to", "", "output `format`: native (JSON) or netscape (cookies.txt); default: from OUT's extension")
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

// outputFormat returns the format named by to, or when to is empty the one
// that the extension of path suggests.
func outputFormat(to, path string) (string, error) {
	switch strings.ToLower(to) {
	case formatNative, "json":
		return formatNative, nil
	case formatNetscape, "txt", "cookies.txt":
		return formatNetscape, nil
	case "":
	default:
		return "", fmt.Errorf("unknown format %q for -to: want native or netscape", to)
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json":
		return formatNative, nil
	case ".txt":
		return formatNetscape, nil
	}
	return "", fmt.Errorf("cannot tell the output format from the name %q: use -to native or -to netscape", path)
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
// new file.
func save(jar *httpsession.Jar, path, format string, opts ...httpsession.SaveOption) error {
	if format == formatNetscape {
		return jar.SaveNetscapeContext(context.Background(), path, opts...)
	}
	return jar.SaveContext(context.Background(), path, opts...)
}
