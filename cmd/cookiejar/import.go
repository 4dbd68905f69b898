package main

import (
	"context"
	"errors"
	"io"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/browsercookies"
)

const importHelp = `import reads the cookies of a browser profile and writes them to FILE (-o),
in the format given by -to, or else the format an existing FILE has (a
Playwright file keeps its "origins"), or else guessed from FILE's extension
(.json is native, .txt is netscape). SPEC is what browsercookies.Read takes: a browser
name (chromium, chrome, edge, brave, vivaldi, opera, firefox), NAME:PROFILE,
or a path to a profile directory, a browser's user-data directory, or a
cookie database. The browser may be running: its database is copied first.

An existing FILE is merged with: each cookie's newest change wins, and what
FILE holds that the browser does not is kept. With -f, FILE holds exactly
the browser's cookies afterwards.

Every cookie is checked as if a server had sent it (no supercookies). Each
cookie that could not be read (a value that cannot be decrypted, such as
Chrome's app-bound v20, a field out of range, a refused cookie) is reported
on standard error by its row, never with its value, and the others are
written: the exit status is then 3.

Examples:
  cookiejar import firefox -o cookies.txt
  cookiejar import chromium:Default -o session.json
  cookiejar import -to playwright ~/.config/chromium -o state.json
`

// runImport implements "cookiejar import".
func runImport(args []string, stdout, stderr io.Writer) int {
	cmd := newSubcommand("import", "import [-to FORMAT] [-f] SPEC -o FILE", importHelp)
	out := cmd.flags.String("o", "", "the cookie `file` to write")
	to := cmd.flags.String("to", "", "output `format`: native (JSON), netscape (cookies.txt), playwright, cookie-editor or cdp; default: the format FILE has, else from its extension")
	force := cmd.flags.Bool("f", false, "replace FILE instead of merging with it")
	specs, code, ok := cmd.parse(args, 1, stdout, stderr)
	if !ok {
		return code
	}
	if *out == "" {
		return usageError(stderr, "-o FILE is required", "cookiejar "+cmd.usage, "cookiejar import -h")
	}
	format, err := outputFormat(*to, *out)
	if err != nil {
		return usageError(stderr, err.Error(), "cookiejar "+cmd.usage, "cookiejar import -h")
	}
	spec := specs[0]
	cookies, err := browsercookies.Read(context.Background(), spec)
	var fe *httpsession.FileError
	code = exitOK
	switch {
	case errors.As(err, &fe):
		reportRefused(stderr, fe.Path, fe)
		code = exitPartial
	case err != nil:
		return failFile(stderr, spec, err)
	}
	jar := newJar()
	for _, c := range cookies {
		if err := jar.Set(c); err != nil {
			// Read checked it as the jar does; report it all the same.
			reportRefused(stderr, spec, &httpsession.FileError{Path: spec, Lines: []httpsession.LineError{{Err: err}}})
			code = exitPartial
		}
	}
	var opts []httpsession.SaveOption
	if *force {
		opts = append(opts, httpsession.Overwrite())
	}
	if err := save(jar, *out, format, opts...); err != nil {
		return failFile(stderr, *out, err)
	}
	return code
}
