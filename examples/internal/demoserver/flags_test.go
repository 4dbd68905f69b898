package demoserver

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// privateCache points os.UserCacheDir at a fresh directory of the test and
// returns what it now answers.
func privateCache(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	switch runtime.GOOS {
	case "windows":
		t.Setenv("LocalAppData", home)
	case "darwin", "ios":
		t.Setenv("HOME", home)
		home = filepath.Join(home, "Library", "Caches")
	case "plan9":
		t.Setenv("home", home)
		home = filepath.Join(home, "lib", "cache")
	default:
		t.Setenv("XDG_CACHE_HOME", home)
	}
	cache, err := os.UserCacheDir()
	require.NoError(t, err)
	require.Equal(t, home, cache)
	return cache
}

func runSetup(t *testing.T, args ...string) (string, bool, string, error) {
	t.Helper()
	var out bytes.Buffer
	fl := flag.NewFlagSet("welcome", flag.ContinueOnError)
	fl.SetOutput(io.Discard)
	file, reset, err := setup(fl, args, &out, "welcome", "reset")
	return file, reset, out.String(), err
}

// The default cookie file is the user's own, in a directory only the user
// may enter, never one in a directory other users share such as /tmp.
func TestDefaultFileIsInTheUsersCacheDir(t *testing.T) {
	cache := privateCache(t)
	file, reset, out, err := runSetup(t)
	require.NoError(t, err)
	assert.False(t, reset)
	dir := filepath.Join(cache, "httpsession", "examples")
	assert.Equal(t, filepath.Join(dir, "welcome.json"), file)
	assert.Equal(t, "cookies kept in "+file+"\n", out, "the program says where its cookies are")

	fi, err := os.Stat(dir)
	require.NoError(t, err, "Setup creates the directory")
	require.True(t, fi.IsDir())
	if runtime.GOOS != "windows" {
		assert.Equal(t, os.FileMode(0o700), fi.Mode().Perm(), "only the user may enter the directory")
		parent, err := os.Stat(filepath.Dir(dir))
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o700), parent.Mode().Perm())
	}
	assert.NotEqual(t, filepath.Clean(os.TempDir()), filepath.Dir(file), "not a shared directory")

	again, _, _, err := runSetup(t)
	require.NoError(t, err, "the directory exists already: fine")
	assert.Equal(t, file, again)
}

func TestFileFlagOverridesTheDefault(t *testing.T) {
	cache := privateCache(t)
	want := filepath.Join(t.TempDir(), "mine.json")
	file, reset, out, err := runSetup(t, "-file", want, "-reset")
	require.NoError(t, err)
	assert.True(t, reset)
	assert.Equal(t, want, file)
	assert.Equal(t, "cookies kept in "+want+"\n", out)
	assert.NoDirExists(t, filepath.Join(cache, "httpsession"), "nothing is created for a default not used")
}

func TestNoCacheDirIsAClearError(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "darwin" || runtime.GOOS == "ios" || runtime.GOOS == "plan9" {
		t.Skip("takes the cache directory away through $XDG_CACHE_HOME and $HOME")
	}
	t.Setenv("XDG_CACHE_HOME", "")
	t.Setenv("HOME", "")
	_, err := os.UserCacheDir()
	require.Error(t, err, "no cache directory")

	_, _, out, err := runSetup(t)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no cache directory")
	assert.Contains(t, err.Error(), "-file", "the error says what to do")
	assert.Empty(t, out)

	want := filepath.Join(t.TempDir(), "mine.json")
	file, _, _, err := runSetup(t, "-file", want)
	require.NoError(t, err, "-file needs no cache directory")
	assert.Equal(t, want, file)
}
