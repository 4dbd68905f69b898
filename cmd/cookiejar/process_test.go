package main

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/httpsession/httpsession"
)

// TestBinaryExitCodes builds cookiejar and checks that the process itself
// exits with the documented codes, which "go run" would turn into 1.
func TestBinaryExitCodes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the command")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build cookiejar:", err)
	}
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	bin := filepath.Join(dir, "cookiejar")
	// -buildvcs=false: a build from a checkout without version control
	// information, whatever the checkout.
	out, err := exec.CommandContext(ctx, goTool, "build", "-buildvcs=false", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "go build:\n%s", out)

	good := netscapeFile(t, dir)
	partial := writeFile(t, dir, "partial.txt",
		".example.com\tTRUE\t/\tFALSE\t0\tok\t1\nnot a cookie line\n")
	corrupt := writeFile(t, dir, "corrupt.json", `{"version": 2, "cookies": [`)
	missing := filepath.Join(dir, "missing.txt")
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{"list", good}, exitOK},
		{[]string{"-version"}, exitOK},
		{[]string{"list", missing}, exitFailure},
		{[]string{"list", corrupt}, exitFailure},
		{[]string{"clean", corrupt}, exitFailure},
		{[]string{"convert", missing, filepath.Join(dir, "out.json")}, exitFailure},
		{nil, exitUsage},
		{[]string{"list"}, exitUsage},
		{[]string{"list", "-x", good}, exitUsage},
		{[]string{"frobnicate"}, exitUsage},
		{[]string{"list", partial}, exitPartial},
		{[]string{"convert", partial, filepath.Join(dir, "partial.json")}, exitPartial},
		{[]string{"clean", partial}, exitPartial},
	} {
		stdout, err := exec.CommandContext(ctx, bin, tc.args...).Output()
		code, stderr := 0, []byte(nil)
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code, stderr = ee.ExitCode(), ee.Stderr
		} else {
			require.NoError(t, err, tc.args)
		}
		assert.Equal(t, tc.want, code, "%q\nstdout: %s\nstderr: %s", tc.args, stdout, stderr)
		assertOnePrefix(t, string(stderr), tc.args)
	}

	version, err := exec.CommandContext(ctx, bin, "-version").Output()
	require.NoError(t, err)
	assert.Equal(t, "cookiejar "+httpsession.Version+" (devel)\n", string(version))
}

func TestVersionOfBuild(t *testing.T) {
	t.Parallel()
	devel := httpsession.Version + " (devel)"
	vcs := []debug.BuildSetting{
		{Key: "-compiler", Value: "gc"},
		{Key: "vcs", Value: "git"},
		{Key: "vcs.revision", Value: "173a439c2d1e8f0a9b8c7d6e5f4a3b2c1d0e9f8a"},
		{Key: "vcs.time", Value: "2026-01-02T03:04:05Z"},
		{Key: "vcs.modified", Value: "true"},
	}
	for _, tc := range []struct {
		name string
		bi   *debug.BuildInfo
		want string
	}{
		{"no build information", nil, devel},
		{"go install @v0.1.0", &debug.BuildInfo{Main: debug.Module{Version: "v0.1.0"}}, "v0.1.0"},
		{"go install @v0.2.0-rc.1", &debug.BuildInfo{Main: debug.Module{Version: "v0.2.0-rc.1"}}, "v0.2.0-rc.1"},
		{"go install of a commit after a tag",
			&debug.BuildInfo{Main: debug.Module{Version: "v0.1.1-0.20260102030405-173a439c2d1e"}},
			"v0.1.1-0.20260102030405-173a439c2d1e"},
		{"checkout without version control", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, devel},
		{"empty version", &debug.BuildInfo{}, devel},
		{"checkout with changes",
			&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs},
			httpsession.Version + " (devel, revision 173a439c2d1e, modified)"},
		{"checkout without changes",
			&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs[:4]},
			httpsession.Version + " (devel, revision 173a439c2d1e)"},
		{"untagged repository, Go 1.24 and later",
			&debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20260102030405-173a439c2d1e+dirty"}, Settings: vcs},
			httpsession.Version + " (devel, revision 173a439c2d1e, modified)"},
		{"short revision",
			&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc"}}},
			httpsession.Version + " (devel, revision abc)"},
	} {
		assert.Equal(t, tc.want, version(tc.bi), tc.name)
	}
}
