// Command testsummary reads the events of go test -json on standard input
// and prints what go test prints without -v (each package's result, the
// output of the tests that failed), then one line that names the tests
// that were skipped, and why. With -ci (CI=true), a test skipped because
// a program or package it needs is not installed is a failure: CI installs
// every peer the tests talk to.
//
// scripts/test runs it after go test -json in each module.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// event is one line of go test -json (cmd/test2json).
type event struct {
	Action  string
	Package string
	Test    string
	Output  string
}

// skip is a skipped test and the reason it gave.
type skip struct {
	name, reason string
}

func main() {
	module := flag.String("module", ".", "the module's directory, for the summary line")
	ci := flag.Bool("ci", false, "fail on a test skipped for want of an installed peer")
	flag.Parse()
	os.Exit(run(os.Stdin, os.Stdout, *module, *ci))
}

// run summarises the events on in and returns the exit status: 1 if a
// package or test failed (or, with ci, was skipped for a missing peer).
func run(in io.Reader, out io.Writer, module string, ci bool) int {
	status := 0
	outputs := map[string][]string{} // the output of each test so far
	var skips []skip
	lines := bufio.NewScanner(in)
	lines.Buffer(make([]byte, 1<<20), 16<<20)
	for lines.Scan() {
		var e event
		if err := json.Unmarshal(lines.Bytes(), &e); err != nil || e.Action == "" {
			fmt.Fprintln(out, lines.Text()) // not an event: build output, say
			continue
		}
		key := e.Package + " " + e.Test
		switch e.Action {
		case "output", "build-output":
			if e.Test == "" {
				if isPackageLine(e.Output) {
					fmt.Fprint(out, e.Output)
				} else {
					outputs[key] = append(outputs[key], e.Output)
				}
				continue
			}
			outputs[key] = append(outputs[key], e.Output)
		case "fail":
			status = 1
			for _, l := range outputs[key] {
				fmt.Fprint(out, l)
			}
			delete(outputs, key)
		case "skip":
			if e.Test != "" {
				skips = append(skips, skip{name: shortPackage(e.Package) + "." + e.Test, reason: skipReason(outputs[key])})
			}
			delete(outputs, key)
		case "pass":
			delete(outputs, key)
		}
	}
	sort.Slice(skips, func(i, j int) bool { return skips[i].name < skips[j].name })
	var parts []string
	missing := 0
	for _, s := range skips {
		parts = append(parts, s.name+" ("+s.reason+")")
		if peerMissing(s.reason) {
			missing++
		}
	}
	if len(skips) == 0 {
		fmt.Fprintf(out, "== %s: no test skipped\n", module)
	} else {
		fmt.Fprintf(out, "== %s: %d skipped: %s\n", module, len(skips), strings.Join(parts, "; "))
	}
	if ci && missing > 0 {
		fmt.Fprintf(out, "== %s: %d skipped for want of an installed program or package, which CI=true does not allow\n", module, missing)
		status = 1
	}
	return status
}

// isPackageLine reports whether a line of package output is go test's
// result for the package ("ok ...", "FAIL ...", "? ... [no test files]").
func isPackageLine(s string) bool {
	return strings.HasPrefix(s, "ok ") || strings.HasPrefix(s, "ok\t") || strings.HasPrefix(s, "FAIL") ||
		strings.HasPrefix(s, "?") || strings.HasPrefix(s, "panic:")
}

// skipReason returns what a skipped test said last before "--- SKIP".
func skipReason(lines []string) string {
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if l == "" || strings.HasPrefix(l, "--- SKIP") || strings.HasPrefix(l, "=== ") {
			continue
		}
		if _, after, ok := strings.Cut(l, ".go:"); ok {
			if _, msg, ok := strings.Cut(after, ": "); ok {
				l = msg
			}
		}
		return l
	}
	return "no reason given"
}

// peerMissing reports whether a skip says a program or package the test
// needs is missing (the tests say "not installed").
func peerMissing(reason string) bool {
	return strings.Contains(reason, "not installed")
}

// shortPackage is the last element of a package path.
func shortPackage(p string) string {
	if i := strings.LastIndex(p, "/"); i >= 0 {
		return p[i+1:]
	}
	return p
}
