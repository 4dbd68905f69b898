// Command cookiejar lists, converts and cleans cookie files: the native JSON
// files that httpsession's Jar.Save writes, the Netscape cookies.txt files
// of curl, wget, yt-dlp and browser extensions, Playwright's storageState,
// the JSON of the Cookie-Editor and EditThisCookie extensions, and Chrome
// DevTools Protocol (Puppeteer) cookies. The format of a file it reads is
// detected from its content.
//
// Install it with
//
//	go install github.com/httpsession/httpsession/cmd/cookiejar@latest
//
// Usage:
//
//	cookiejar list [-a] [-domain D] [-json] FILE
//	cookiejar convert [-to FORMAT] [-f] IN OUT
//	cookiejar import [-to FORMAT] [-f] SPEC -o FILE
//	cookiejar clean [-expired] [-session] FILE
//	cookiejar help [COMMAND]
//	cookiejar -version
//
// "cookiejar -h" and "cookiejar COMMAND -h" print the options and examples.
// Flags may come before or after the file names; "--" ends them.
//
// Cookie values are credentials. list shows only the start of each value
// unless -a is given, and no error message ever includes a value.
//
// Every file goes through the same checks as cookies from a server (see
// httpsession.Jar.Load): expired cookies are dropped, lifetimes are capped
// at 400 days, and records the jar refuses, such as a domain cookie on a
// public suffix, are reported and left out. Files are written atomically,
// with mode 0600 for a new file.
//
// # Exit status
//
// The installed binary (or one made with go build) exits with:
//
//	0  success
//	1  the operation failed: a file could not be read or written, or is
//	   corrupt (the message names the file and the position); no file
//	   was changed
//	2  usage error: unknown command or flag, wrong arguments
//	3  a file loaded only partly: each refused record is reported on
//	   standard error as FILE:LINE: reason, and the command did its work
//	   with the other records
//
// "go run ./cmd/cookiejar" reports every non-zero status as 1 (and prints
// "exit status N" itself): that is go run's own behaviour. Scripts that
// look at the status should run the installed binary or one made with go
// build.
//
// An error is reported on one line that starts with "cookiejar: " (a usage
// error is followed by the command's usage line). A failure with a file
// names the file and reads the same in every command:
//
//	cookiejar: session.json: corrupt cookie file: line 3, column 14: not valid JSON
//	cookiejar: cookies.txt: no such file or directory
//
// # Examples
//
// List the cookies of a file; values are shortened, a leading dot marks a
// domain cookie (sent to subdomains too), a bare host a host-only cookie:
//
//	$ cookiejar list cookies.txt
//	DOMAIN           PATH  NAME     VALUE                   FLAGS            EXPIRES
//	.example.com     /     lang     … (2 bytes)             -                session
//	www.example.com  /     session  d41d8cd98f… (32 bytes)  Secure,HttpOnly  2027-05-01T12:00:00Z (in 160d)
//
// Show whole values, or emit JSON lines for a script:
//
//	$ cookiejar list -a -domain example.com cookies.txt
//	$ cookiejar list -json -a cookies.txt | jq -r 'select(.name == "session") | .value'
//
// Convert curl's cookie file to the native format, and back; hand a
// session to Playwright; take the cookies a browser extension exported:
//
//	$ cookiejar convert cookies.txt session.json
//	$ cookiejar convert -f -to netscape session.json cookies.txt
//	$ cookiejar convert --to playwright session.json state.json
//	$ cookiejar convert cookie-editor.json cookies.txt
//
// FORMAT is native (or json), netscape (txt, cookies.txt), playwright,
// cookie-editor (editthiscookie) or cdp (puppeteer).
//
// Log out of everything that lasts only for a browser session:
//
//	$ cookiejar clean -session session.json
//	session.json: 3 cookies kept, 2 session cookies removed
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"github.com/httpsession/httpsession"
)

// Exit codes.
const (
	exitOK      = 0 // success
	exitFailure = 1 // the operation failed
	exitUsage   = 2 // bad command line
	exitPartial = 3 // a file loaded only partly
)

// A command is one subcommand of cookiejar.
type command struct {
	name    string
	summary string // one line for the command list
	run     func(args []string, stdout, stderr io.Writer) int
}

// commands lists the subcommands in the order the usage text shows them.
func commands() []command {
	return []command{
		{"list", "print the cookies of a file as a table or JSON lines", runList},
		{"convert", "convert between formats: native, netscape, playwright, cookie-editor, cdp", runConvert},
		{"import", "copy a browser profile's cookies (Chromium family, Firefox) into a cookie file", runImport},
		{"clean", "drop expired (and, with -session, session) cookies from a file", runClean},
		{"help", "print the usage of cookiejar or of a command", runHelp},
	}
}

const mainUsage = `Usage: cookiejar COMMAND [options] ARGS...
       cookiejar -version

cookiejar lists, converts and cleans cookie files: the native JSON files of
httpsession (Jar.Save), Netscape cookies.txt files (curl -b/-c, wget,
yt-dlp, browser extensions), Playwright's storageState, the Cookie-Editor
and EditThisCookie extensions' JSON, and Chrome DevTools Protocol
(Puppeteer) cookies. The format of a file it reads is detected.

Commands:
%s
Run "cookiejar COMMAND -h" for a command's options and examples.

Cookie values are credentials: list shortens them unless -a is given, and
error messages never include them.

Exit status:
  0  success
  1  the operation failed (a file could not be read or written, or is
     corrupt; the message names the file and position); no file was changed
  2  usage error
  3  a file loaded only partly: each refused record is reported on standard
     error as FILE:LINE: reason, and the rest were processed
"go run" reports every non-zero status as 1; scripts should run the
installed binary: go install github.com/httpsession/httpsession/cmd/cookiejar@latest

Examples:
  cookiejar list cookies.txt
  cookiejar list -json -a -domain example.com session.json
  cookiejar convert cookies.txt session.json
  cookiejar convert --to playwright session.json state.json
  cookiejar clean -session session.json
`

// printMainUsage writes the usage text of the command as a whole.
func printMainUsage(w io.Writer) {
	var list strings.Builder
	for _, c := range commands() {
		fmt.Fprintf(&list, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, mainUsage, list.String())
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run runs cookiejar with the command-line arguments args (without the
// program name) and returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("cookiejar", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	showVersion := fs.Bool("version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printMainUsage(stdout)
			return exitOK
		}
		return usageError(stderr, err.Error(), "cookiejar COMMAND [options] ARGS...", "cookiejar -h")
	}
	if *showVersion {
		bi, _ := debug.ReadBuildInfo()
		fmt.Fprintf(stdout, "cookiejar %s\n", version(bi))
		return exitOK
	}
	if fs.NArg() == 0 {
		return usageError(stderr, "no command given", "cookiejar COMMAND [options] ARGS...", "cookiejar -h")
	}
	name := fs.Arg(0)
	for _, c := range commands() {
		if c.name == name {
			return c.run(fs.Args()[1:], stdout, stderr)
		}
	}
	return usageError(stderr, fmt.Sprintf("unknown command %q", name), "cookiejar COMMAND [options] ARGS...", "cookiejar -h")
}

// runHelp prints the usage of cookiejar, or of the command named in args.
func runHelp(args []string, stdout, stderr io.Writer) int {
	switch {
	case len(args) == 0:
		printMainUsage(stdout)
		return exitOK
	case len(args) > 1:
		return usageError(stderr, "too many arguments", "cookiejar help [COMMAND]", "cookiejar -h")
	case args[0] == "help":
		printMainUsage(stdout)
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run([]string{"-h"}, stdout, stderr)
		}
	}
	return usageError(stderr, fmt.Sprintf("unknown command %q", args[0]), "cookiejar help [COMMAND]", "cookiejar -h")
}

// version returns the version of the build that bi describes (nil when
// the binary has none). A binary installed with "go install
// ...@vX.Y.Z" has that module version. A build from a checkout has none
// ("(devel)", or since Go 1.24 a v0.0.0- pseudo-version when the
// repository has no tag): it gets httpsession.Version, marked as a
// development build, with the commit when the build recorded one.
func version(bi *debug.BuildInfo) string {
	if bi != nil && bi.Main.Version != "" && bi.Main.Version != "(devel)" &&
		!strings.HasPrefix(bi.Main.Version, "v0.0.0-") {
		return bi.Main.Version
	}
	v := httpsession.Version + " (devel"
	if bi != nil {
		var revision string
		var modified bool
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if revision != "" {
			v += ", revision " + revision[:min(12, len(revision))]
			if modified {
				v += ", modified"
			}
		}
	}
	return v + ")"
}

// usageError reports a bad command line on stderr, with the usage line,
// which names the command, and where to find help, and returns exitUsage.
func usageError(stderr io.Writer, msg, usage, help string) int {
	fmt.Fprintf(stderr, "%s%s\nusage: %s\nRun %q for help.\n", prefix, msg, usage, help)
	return exitUsage
}

// subcommand is the command line of one subcommand: its flags, usage line
// and help text.
type subcommand struct {
	name  string // "list"
	usage string // the synopsis, without "cookiejar "
	help  string // what the command does, its operands and examples
	flags *flag.FlagSet
}

// newSubcommand returns a subcommand whose flags report errors to the caller
// rather than print them.
func newSubcommand(name, usage, help string) *subcommand {
	fs := flag.NewFlagSet("cookiejar "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &subcommand{name: name, usage: usage, help: help, flags: fs}
}

// printUsage writes the full help of the subcommand.
func (s *subcommand) printUsage(w io.Writer) {
	fmt.Fprintf(w, "Usage: cookiejar %s\n\n%s\nOptions:\n", s.usage, s.help)
	s.flags.SetOutput(w)
	s.flags.PrintDefaults()
	s.flags.SetOutput(io.Discard)
}

// parse parses args, which may mix flags and operands as people type them
// ("list cookies.txt -a"); "--" ends the flags. It expects exactly nargs
// operands. When it returns ok false, it has printed the help (-h) or a
// usage error, and code is the exit code.
func (s *subcommand) parse(args []string, nargs int, stdout, stderr io.Writer) (operands []string, code int, ok bool) {
	help := "cookiejar " + s.name + " -h"
	for {
		err := s.flags.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			s.printUsage(stdout)
			return nil, exitOK, false
		}
		if err != nil {
			return nil, usageError(stderr, err.Error(), "cookiejar "+s.usage, help), false
		}
		rest := s.flags.Args()
		if len(rest) == 0 {
			break
		}
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			operands = append(operands, rest...)
			break
		}
		operands = append(operands, rest[0])
		args = rest[1:]
	}
	switch {
	case len(operands) < nargs:
		return nil, usageError(stderr, "missing file name", "cookiejar "+s.usage, help), false
	case len(operands) > nargs:
		return nil, usageError(stderr, "too many arguments", "cookiejar "+s.usage, help), false
	}
	return operands, exitOK, true
}

// newJar returns a jar for working on files: without the cookie limits a
// client jar has, so that no cookie of a large file is evicted on the way
// through.
func newJar() *httpsession.Jar {
	return httpsession.NewJar(httpsession.WithLimits(0, 0))
}

// loadInto loads the cookie file at path into jar. Records the library
// refused are reported on stderr, one line each, and give exitPartial; the
// others are loaded. Any other error is reported and gives exitFailure, and
// the jar is unchanged.
func loadInto(jar *httpsession.Jar, path string, stderr io.Writer) int {
	err := jar.Load(path)
	if err == nil {
		return exitOK
	}
	var fe *httpsession.FileError
	if !errors.As(err, &fe) {
		return failFile(stderr, path, err)
	}
	reportRefused(stderr, path, fe)
	return exitPartial
}

// reportRefused writes a line for each record of a file that was not loaded,
// in the FILE:LINE: form that editors jump to, then a summary line. The
// library's reasons never quote a cookie value.
func reportRefused(stderr io.Writer, path string, fe *httpsession.FileError) {
	name := printable(path)
	for _, le := range fe.Lines {
		reason := oneLine(stripLib(le.Err.Error(), path))
		if le.Record {
			// A record of a JSON array, which is often all on one line.
			fmt.Fprintf(stderr, "%s: record %d not loaded: %s\n", name, le.Line, reason)
		} else if le.Line > 0 {
			fmt.Fprintf(stderr, "%s:%d: record not loaded: %s\n", name, le.Line, reason)
		} else {
			fmt.Fprintf(stderr, "%s: record not loaded: %s\n", name, reason)
		}
	}
	fmt.Fprintf(stderr, "%s%s: %d record(s) not loaded; going on with the rest\n", prefix, name, len(fe.Lines))
}
