package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/httpsession/httpsession"
)

// reportLine is a line about one record of a partly loaded file, in the
// FILE:LINE: form editors jump to; it has no "cookiejar: " prefix.
var reportLine = regexp.MustCompile(`^.+?(:\d+)?: record not loaded: `)

// assertOnePrefix checks the lines a run wrote on standard error: each error
// line starts with "cookiejar: " once, and none repeats the library's
// "httpsession: " prefix.
func assertOnePrefix(t *testing.T, stderr string, msgArgs ...any) {
	t.Helper()
	for _, line := range nonEmptyLines(stderr) {
		assert.NotContains(t, line, "httpsession:", msgArgs...)
		switch {
		case strings.HasPrefix(line, "usage: cookiejar "), strings.HasPrefix(line, `Run "cookiejar `):
		case reportLine.MatchString(line):
		default:
			assert.True(t, strings.HasPrefix(line, prefix), "%q: %v", line, msgArgs)
			assert.Equal(t, 1, strings.Count(line, "cookiejar:"), "%q: %v", line, msgArgs)
		}
	}
}

// TestSameFailureSameMessage runs every command on the same bad inputs: each
// reports the failure in one line, with one prefix, in the same words.
func TestSameFailureSameMessage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	real, err := filepath.EvalSymlinks(dir) // the library names resolved paths
	require.NoError(t, err)
	require.NoError(t, os.Mkdir(filepath.Join(dir, "sub"), 0o700))

	type input struct {
		name, path, want string
	}
	inputs := []input{
		{"missing file", filepath.Join(dir, "missing.txt"),
			"no such file or directory"},
		{"missing directory", filepath.Join(dir, "nodir", "cookies.txt"),
			"no such file or directory (" + filepath.Join(real, "nodir") + ")"},
		{"truncated JSON", writeFile(t, dir, "truncated.json",
			"{\"version\": 2, \"cookies\": [\n{\"name\": \"sid\", \"value\": \""+secret+"\","),
			"corrupt cookie file: line 2, column 67: unexpected end of JSON input"},
		{"invalid JSON", writeFile(t, dir, "invalid.json",
			"{\"version\": 2, \"cookies\": [\n\n  {\"name\": sid, \"value\": \""+secret+"\"}\n]}\n"),
			"corrupt cookie file: line 3, column 12: not valid JSON"},
		{"unknown version", writeFile(t, dir, "version.json", `{"version": 99, "cookies": []}`),
			"corrupt cookie file: unsupported version 99 (this library reads versions 1 and 2)"},
		{"NUL byte", writeFile(t, dir, "binary.txt", "example.com\tFALSE\t/\tFALSE\t0\tsid\t"+secret+"\n\x00"),
			"corrupt cookie file: NUL byte on line 2"},
		{"directory", filepath.Join(dir, "sub"),
			"unsafe cookie file path: " + filepath.Join(real, "sub") + " is a directory"},
	}
	if fifo, ok := mkfifo(t, dir, "fifo"); ok {
		inputs = append(inputs, input{"FIFO", fifo,
			"unsafe cookie file path: " + filepath.Join(real, "fifo") + " is a FIFO"})
	}

	out := t.TempDir()
	for _, in := range inputs {
		want := "cookiejar: " + in.path + ": " + in.want + "\n"
		for _, args := range [][]string{
			{"list", in.path},
			{"list", "-json", "-a", in.path},
			{"convert", in.path, filepath.Join(out, "out.json")},
			{"convert", "-f", "-to", "netscape", in.path, filepath.Join(out, "out.txt")},
			{"clean", in.path},
			{"clean", "-session", in.path},
		} {
			code, stdout, stderr := cookiejar(t, args...)
			assert.Equal(t, exitFailure, code, "%s: %q", in.name, args)
			assert.Empty(t, stdout, "%s: %q", in.name, args)
			assert.Equal(t, want, stderr, "%s: %q", in.name, args)
			assert.NotContains(t, stderr, secret)
			assertOnePrefix(t, stderr, in.name, args)
		}
	}
	entries, err := os.ReadDir(out)
	require.NoError(t, err)
	assert.Empty(t, entries, "a failed conversion writes nothing")
}

// TestFileMessage words the failures a test cannot cause quickly (a lock
// held past the timeout, no permission for root), wrapped as the library
// wraps them.
func TestFileMessage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "session.json")
	lock := path + ".lock"
	load := func(err error) error { return &httpsession.PathError{Op: "load", Path: path, Err: err} }
	save := func(err error) error { return &httpsession.PathError{Op: "save", Path: path, Err: err} }
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"locked",
			save(fmt.Errorf("%w: %s held by another process (%v)", httpsession.ErrLocked, lock, context.DeadlineExceeded)),
			"cookie file is locked: " + lock + " held by another process (context deadline exceeded)"},
		{"no permission to read",
			load(&fs.PathError{Op: "open", Path: path, Err: fs.ErrPermission}),
			"permission denied"},
		{"no permission for the lock file",
			save(fmt.Errorf("lock %s: %w", lock, &fs.PathError{Op: "open", Path: lock, Err: fs.ErrPermission})),
			"permission denied (" + lock + ")"},
		{"missing",
			load(&fs.PathError{Op: "open", Path: path, Err: fs.ErrNotExist}),
			"no such file or directory"},
		{"other system error",
			save(&fs.PathError{Op: "write", Path: path + ".tmp-1", Err: errors.New("no space left on device")}),
			"no space left on device (" + path + ".tmp-1)"},
		{"records",
			load(&httpsession.FileError{Path: path, Lines: []httpsession.LineError{
				{Line: 2, Err: errors.New("include-subdomains field is not TRUE or FALSE")},
				{Line: 3, Err: fmt.Errorf("httpsession: cookie refused: %s", "domain cookie on a public suffix")},
			}}),
			"2 record(s) not loaded; line 2: include-subdomains field is not TRUE or FALSE; line 3: cookie refused: domain cookie on a public suffix"},
		{"a cause in its own words: the library's, as they are",
			load(hiddenKind{httpsession.ErrUnsafePath}),
			"something odd"},
		{"unknown, nested",
			save(fmt.Errorf("httpsession: writing: %w", errors.Join(errors.New("first"), errors.New("httpsession: second")))),
			"writing: first; second"},
	} {
		got := fileMessage(path, tc.err)
		assert.Equal(t, "cookiejar: "+path+": "+tc.want, got, tc.name)
		assertOnePrefix(t, got, tc.name)
	}
}

// hiddenKind wraps a sentinel without saying so in its text.
type hiddenKind struct{ kind error }

func (h hiddenKind) Error() string { return "httpsession: something odd" }
func (h hiddenKind) Unwrap() error { return h.kind }

func TestStripLib(t *testing.T) {
	t.Parallel()
	for text, want := range map[string]string{
		"httpsession: load a.txt: httpsession: corrupt cookie file: line 3: x": "corrupt cookie file: line 3: x",
		"httpsession: save a.txt: lock b: denied":                              "lock b: denied",
		"line 2: httpsession: cookie refused: public suffix":                   "line 2: cookie refused: public suffix",
		// Only whole parts: a name that merely contains the word stays.
		"cookie myhttpsession: refused":      "cookie myhttpsession: refused",
		"httpsession: load other.txt: gone":  "load other.txt: gone",
		"plain":                              "plain",
		"":                                   "",
		"httpsession: ":                      "",
		"trailing colon: httpsession: ":      "trailing colon: ",
		"a: b: httpsession: c: httpsession:": "a: b: c: httpsession:",
		"one; httpsession: two\nhttpsession: three": "one; two\nthree",
	} {
		assert.Equal(t, want, stripLib(text, "a.txt"), text)
	}
}

func TestRefusedRecordsHaveNoLibraryPrefix(t *testing.T) {
	t.Parallel()
	path := writeFile(t, t.TempDir(), "cookies.txt",
		".example.com\tTRUE\t/\tFALSE\t0\tok\t1\n"+
			".com\tTRUE\t/\tFALSE\t0\tsuper\t"+secret+"\n")
	code, _, stderr := cookiejar(t, "list", path)
	require.Equal(t, exitPartial, code, stderr)
	assert.Contains(t, stderr, path+":2: record not loaded: cookie refused: domain cookie on a public suffix")
	assert.Contains(t, stderr, "cookiejar: "+path+": 1 record(s) not loaded; going on with the rest\n")
	assert.NotContains(t, stderr, secret)
	assertOnePrefix(t, stderr)
}

func TestUsageErrorsHaveOnePrefix(t *testing.T) {
	t.Parallel()
	for args, want := range map[string]string{
		"list -x f":       "cookiejar: flag provided but not defined: -x\nusage: cookiejar list [-a] [-domain D] [-json] FILE\nRun \"cookiejar list -h\" for help.\n",
		"clean":           "cookiejar: missing file name\nusage: cookiejar clean [-expired] [-session] FILE\nRun \"cookiejar clean -h\" for help.\n",
		"frobnicate":      "cookiejar: unknown command \"frobnicate\"\nusage: cookiejar COMMAND [options] ARGS...\nRun \"cookiejar -h\" for help.\n",
		"convert a b.yml": "cookiejar: cannot tell the output format from the name \"b.yml\": use -to FORMAT (native, netscape, playwright, cookie-editor or cdp)\nusage: cookiejar convert [-to FORMAT] [-f] IN OUT\nRun \"cookiejar convert -h\" for help.\n",
	} {
		code, stdout, stderr := cookiejar(t, strings.Fields(args)...)
		assert.Equal(t, exitUsage, code, args)
		assert.Empty(t, stdout, args)
		assert.Equal(t, want, stderr, args)
	}
}

// A save into a file of another format is worded with the command's own
// flags, read from the library's *FormatError, never with a Go option's
// name (issue 20, point 10).
func TestFormatMismatchNamesTheFlags(t *testing.T) {
	err := fmt.Errorf("httpsession: save x.json: %w", &httpsession.FormatError{Found: httpsession.FormatJSON, Want: httpsession.FormatNetscape})
	msg := fileMessage("x.json", err)
	assert.Contains(t, msg, "use -f to replace it, or -to json")
	assert.NotContains(t, msg, "Overwrite")
}

// The CLI's words for what the library's errors suggest in Go terms, on
// the library's real errors: no Go option is ever named (issue 20, point
// 10).
func TestCLIErrorsNameNoGoOption(t *testing.T) {
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "corrupt.json")
	require.NoError(t, os.WriteFile(corrupt, []byte("{"), 0o600))
	j := httpsession.NewJar()
	require.NoError(t, j.Set(httpsession.Cookie{Name: "a", Value: "1", Domain: "example.com", HostOnly: true, Path: "/"}))
	errCorrupt := j.Save(corrupt)
	require.ErrorIs(t, errCorrupt, httpsession.ErrCorrupt)

	big := filepath.Join(dir, "big.json")
	f, err := os.Create(big)
	require.NoError(t, err)
	require.NoError(t, f.Truncate(httpsession.MaxFileSize+1))
	require.NoError(t, f.Close())
	errBig := httpsession.NewJar().Load(big)
	require.ErrorIs(t, errBig, httpsession.ErrTooLarge)

	txt := filepath.Join(dir, "c.txt")
	require.NoError(t, j.SaveNetscape(txt))
	errFormat := j.Save(txt)
	require.ErrorIs(t, errFormat, httpsession.ErrFormat)

	for _, tc := range []struct {
		path string
		err  error
		want string
	}{
		{corrupt, errCorrupt, "(not overwritten; use -f to replace it)"},
		{big, errBig, "this tool reads cookie files up to that size"},
		{txt, errFormat, "use -f to replace it, or -to netscape"},
	} {
		msg := fileMessage(tc.path, tc.err)
		assert.Contains(t, msg, tc.want)
		for _, option := range []string{"Overwrite", "ReplaceCorrupt", "ReadLarge"} {
			assert.NotContains(t, msg, option)
		}
		assert.Equal(t, 0, strings.Count(msg, "httpsession:"), msg)
	}
}
