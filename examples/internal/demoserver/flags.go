package demoserver

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log"
	"os"
	"path/filepath"
)

// Setup does what every example program does first: it sets up logging
// under the example's name, parses the -file and -reset flags, prints the
// cookie file it uses ("cookies kept in FILE") and returns that file and
// whether to forget it first. resetUsage describes -reset.
//
// The cookie file is the -file flag's, or else DefaultFile(name); Setup
// fails only when there is no -file and no cache directory to put the
// default in.
func Setup(name, resetUsage string) (file string, reset bool, err error) {
	log.SetFlags(0)
	log.SetPrefix(name + ": ")
	return setup(flag.CommandLine, os.Args[1:], os.Stdout, name, resetUsage)
}

// setup is Setup on the given flag set, arguments and output.
func setup(fl *flag.FlagSet, args []string, out io.Writer, name, resetUsage string) (string, bool, error) {
	f := fl.String("file", "", "the cookie `file` (default "+describeDefault(name)+")")
	r := fl.Bool("reset", false, resetUsage)
	if err := fl.Parse(args); err != nil {
		return "", false, err
	}
	file := *f
	if file == "" {
		var err error
		if file, err = DefaultFile(name); err != nil {
			return "", false, err
		}
	}
	fmt.Fprintf(out, "cookies kept in %s\n", file)
	return file, *r, nil
}

// DefaultFile returns the cookie file an example keeps by default,
// NAME.json in the directory httpsession/examples of the user's cache
// directory (os.UserCacheDir: $XDG_CACHE_HOME or ~/.cache on Linux,
// ~/Library/Caches on macOS, %LocalAppData% on Windows), and creates that
// directory, readable and writable by the user only (0700), if it is
// missing.
//
// Not the temporary directory: on a machine several users share, one user
// could create the file there first, so that another's run would read
// cookies it did not save, or fail on a file it may not write.
func DefaultFile(name string) (string, error) {
	dir, err := defaultDir()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("create the directory of the cookie file: %w; choose a file with -file", err)
	}
	return filepath.Join(dir, name+".json"), nil
}

// defaultDir returns the directory of DefaultFile, without creating it.
func defaultDir() (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory to keep the cookies in (%w): choose a file with -file", err)
	}
	return filepath.Join(cache, "httpsession", "examples"), nil
}

// describeDefault names the default file for the -file flag's usage.
func describeDefault(name string) string {
	if dir, err := defaultDir(); err == nil {
		return filepath.Join(dir, name+".json")
	}
	return name + ".json in the user's cache directory"
}

// Forget deletes a cookie file; a file that is not there is already
// forgotten.
func Forget(file string) error {
	if err := os.Remove(file); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
