package demoserver

import (
	"errors"
	"flag"
	"io/fs"
	"log"
	"os"
	"path/filepath"
)

// Setup does what every example program does first: it sets up logging
// under the example's name, parses the -file and -reset flags and returns
// the cookie file (by default httpsession-NAME.json in the temporary
// directory) and whether to forget it first. resetUsage describes -reset.
func Setup(name, resetUsage string) (file string, reset bool) {
	log.SetFlags(0)
	log.SetPrefix(name + ": ")
	f := flag.String("file", filepath.Join(os.TempDir(), "httpsession-"+name+".json"), "the cookie `file`")
	r := flag.Bool("reset", false, resetUsage)
	flag.Parse()
	return *f, *r
}

// Forget deletes a cookie file; a file that is not there is already
// forgotten.
func Forget(file string) error {
	if err := os.Remove(file); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
