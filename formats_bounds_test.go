package httpsession

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/httpsession/httpsession/internal/cookiefile"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// What reading a hostile file costs: memory in proportion to its bytes,
// whatever it holds, and records reported and carried as the readers
// promise, the first maxLineErrors of them one by one.

// hostileSize is the size of the hostile files of the tests: a quarter of
// MaxFileSize, which Load and Import take.
const hostileSize = 16 << 20

// maxAllocFactor bounds what reading a hostile file may allocate in all,
// garbage included, as a multiple of its size.
const maxAllocFactor = 20

// repeatTo returns head, then sep and elem again and again, then tail: size
// bytes in all, or a little less.
func repeatTo(size int, head, sep, elem, tail string) []byte {
	var b bytes.Buffer
	b.Grow(size)
	b.WriteString(head)
	for b.Len()+len(sep)+len(elem)+len(tail) <= size {
		b.WriteString(sep)
		b.WriteString(elem)
	}
	b.WriteString(tail)
	return b.Bytes()
}

// allocated returns the bytes f allocates, garbage included: a bound on
// the most memory it can hold at once.
func allocated(f func()) uint64 {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func skipHostileIfShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("reads files of 16 MiB")
	}
	if raceEnabled {
		t.Skip("the race detector's own memory is not the reader's")
	}
}

// checkListed checks the LineErrors of a file of which every line or record
// from first on could not be read: the first maxLineErrors listed one by
// one, at their own numbers, then one for the n others, at the number of
// the first of them.
func checkListed(t *testing.T, err error, first, n int, record bool) {
	t.Helper()
	var fe *FileError
	require.ErrorAs(t, err, &fe)
	require.Len(t, fe.Lines, maxLineErrors+1)
	for i, le := range fe.Lines[:maxLineErrors] {
		require.Equal(t, first+i, le.Line, "listed at its own number")
		require.Equal(t, record, le.Record)
	}
	more := fe.Lines[maxLineErrors]
	assert.Equal(t, first+maxLineErrors, more.Line, "the others, at the first of them")
	assert.Equal(t, record, more.Record)
	assert.Contains(t, more.Error(), fmt.Sprintf("; and %d more record(s) not loaded, not listed one by one", n-maxLineErrors-1))
}

func TestBoundJSONArrayOfWhatIsNoCookie(t *testing.T) {
	skipHostileIfShort(t)
	cookie := `{"name":"a","value":"1","domain":"example.com"}`
	for _, tc := range []struct{ name, elem string }{
		{"numbers", "0"},
		{"empty objects", "{}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := repeatTo(hostileSize, "["+cookie, ",", tc.elem, "]")
			n := bytes.Count(data, []byte(",")) - strings.Count(cookie, ",")
			j := NewJar()
			var err error
			alloc := allocated(func() { err = j.Import(bytes.NewReader(data)) })
			assert.Less(t, alloc, uint64(maxAllocFactor*len(data)), "allocated %d MiB for %d MiB", alloc>>20, len(data)>>20)
			checkListed(t, err, 2, n, true)
			assert.ErrorIs(t, err, ErrInvalidCookie)
			assert.True(t, hasCookie(j, "a"), "the cookie among them is read")

			// Without a cookie, the file is no cookie file, and reading it
			// keeps nothing of it.
			data = repeatTo(hostileSize, "["+tc.elem, ",", tc.elem, "]")
			alloc = allocated(func() { err = NewJar().Import(bytes.NewReader(data)) })
			assert.Less(t, alloc, uint64(3*len(data)), "allocated %d MiB for %d MiB", alloc>>20, len(data)>>20)
			assert.ErrorIs(t, err, ErrCorrupt)
		})
	}
}

func TestBoundCookiesTxtOfLinesThatAreNoCookie(t *testing.T) {
	skipHostileIfShort(t)
	path := filepath.Join(t.TempDir(), "cookies.txt")
	data := repeatTo(hostileSize, "example.com\tFALSE\t/\tFALSE\t0\ta\t1", "\n", "x", "\n")
	n := countLines(data, "x")
	require.NoError(t, os.WriteFile(path, data, 0o600))
	j := NewJar()
	var err error
	alloc := allocated(func() { err = j.Load(path) })
	assert.Less(t, alloc, uint64(maxAllocFactor*len(data)), "allocated %d MiB for %d MiB", alloc>>20, len(data)>>20)
	checkListed(t, err, 2, n, false)
	assert.True(t, hasCookie(j, "a"))

	// Every line that is no cookie is kept through a save, and reads back
	// as before.
	require.NoError(t, j.Set(Cookie{Name: "b", Value: "2", Domain: "example.com", HostOnly: true}))
	require.NoError(t, j.SaveNetscape(path))
	saved, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, n, countLines(saved, "x"), "every line kept")
	again := NewJar()
	checkListed(t, again.Load(path), 5, n, false) // after the header written in front
	assert.True(t, hasCookie(again, "a") && hasCookie(again, "b"))

	// Without a cookie, the file is no cookie file.
	data = repeatTo(hostileSize, "x", "\n", "x", "\n")
	alloc = allocated(func() { err = NewJar().Import(bytes.NewReader(data)) })
	assert.Less(t, alloc, uint64(maxAllocFactor*len(data)), "allocated %d MiB for %d MiB", alloc>>20, len(data)>>20)
	assert.ErrorIs(t, err, ErrCorrupt)
}

// nativeRecord is a record of the native file as Save writes it.
const nativeRecord = `{"name":"a","value":"1","domain":"example.com","path":"/","hostOnly":true,"secure":false,"httpOnly":false,"created":"2026-01-01T00:00:00Z","lastAccess":"2026-01-01T00:00:00Z","updated":"2026-01-01T00:00:00Z"}`

func TestBoundNativeFileOfWhatIsNoCookie(t *testing.T) {
	skipHostileIfShort(t)
	for _, tc := range []struct {
		name, elem string
		alloc      int // bound on what reading it allocates, a multiple of its size
	}{
		{"numbers", "0", maxAllocFactor},
		// Each decoded and refused, as the jar would refuse it: the
		// decode's garbage is more, what is kept at once no more.
		{"empty objects", "{}", 5 * maxAllocFactor},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Records one a line, as Save writes them, so that each has
			// its own line.
			data := repeatTo(hostileSize/4, "{\"version\": 2, \"cookies\": [\n"+nativeRecord, ",\n", tc.elem, "\n]}\n")
			n := bytes.Count(data, []byte(",\n"))
			path := filepath.Join(t.TempDir(), "cookies.json")
			require.NoError(t, os.WriteFile(path, data, 0o600))
			j := NewJar(WithClock(newTestClock().now))
			var err error
			alloc := allocated(func() { err = j.Load(path) })
			assert.Less(t, alloc, uint64(tc.alloc*len(data)), "allocated %d MiB for %d MiB", alloc>>20, len(data)>>20)
			checkListed(t, err, 3, n, false)
			assert.True(t, hasCookie(j, "a"))

			// Every record is kept through a save, and reads back as
			// before.
			require.NoError(t, j.Set(sidCookie("1")))
			require.NoError(t, j.Save(path))
			saved, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, n, countLines(saved, tc.elem), "every record kept")
			again := NewJar(WithClock(newTestClock().now))
			err = again.Load(path)
			var fe *FileError
			require.ErrorAs(t, err, &fe)
			require.Len(t, fe.Lines, maxLineErrors+1)
			assert.Contains(t, fe.Lines[maxLineErrors].Error(), fmt.Sprintf("and %d more", n-maxLineErrors-1))
			assert.True(t, hasCookie(again, "a") && hasCookie(again, "sid"))
		})
	}
}

func TestBoundLineErrors(t *testing.T) {
	// cookiefile.AppendBad, as a FileError shows what it kept.
	appendBad := func(bad []LineError, le LineError) []LineError {
		f := &cookiefile.File{}
		for _, l := range bad {
			f.Bad = append(f.Bad, cookiefile.LineError(l))
		}
		f.Bad = cookiefile.AppendBad(f.Bad, cookiefile.LineError(le))
		out := make([]LineError, len(f.Bad))
		for i := range f.Bad {
			out[i] = LineError(f.Bad[i])
		}
		return out
	}
	var bad []LineError
	for i := 1; i <= maxLineErrors+5; i++ {
		bad = appendBad(bad, LineError{Line: i, Err: fmt.Errorf("reason %d: %w", i, ErrInvalidCookie)})
	}
	require.Len(t, bad, maxLineErrors+1)
	assert.Equal(t, maxLineErrors, bad[maxLineErrors-1].Line)
	more := bad[maxLineErrors]
	assert.Equal(t, maxLineErrors+1, more.Line)
	assert.Equal(t, fmt.Sprintf("line %d: reason %d: %v; and 4 more record(s) not loaded, not listed one by one", maxLineErrors+1, maxLineErrors+1, ErrInvalidCookie), more.Error())
	assert.ErrorIs(t, &FileError{Lines: bad}, ErrInvalidCookie, "the reason of the first of them is seen")
	assert.Contains(t, (&FileError{Lines: bad}).Error(), fmt.Sprintf("%d record(s) not loaded", maxLineErrors+5), "all of them counted")

	// One past the list is that one alone.
	bad = appendBad(bad[:maxLineErrors], LineError{Line: 7, Err: errBadName, Record: true})
	assert.Equal(t, "record 7: "+errBadName.Error(), bad[maxLineErrors].Error())
}

// maxLineErrors is how many bad records a FileError lists one by one.
const maxLineErrors = cookiefile.MaxLineErrors

// foreignPair returns a file of the format f holding a good cookie and bad,
// a record as it is written in the file.
func foreignPair(f Format, bad string) string {
	var good, records string
	switch f {
	case FormatPlaywright:
		good = `{"name":"ok","value":"1","domain":"example.com","path":"/","expires":-1}`
		records = "[\n    " + good + ",\n    " + bad + "\n  ]"
		return `{"cookies": ` + records + `, "origins": []}`
	case FormatCookieEditor:
		good = `{"name":"ok","value":"1","domain":"example.com","hostOnly":true,"storeId":"0"}`
	default:
		good = `{"name":"ok","value":"1","domain":"example.com","path":"/","expires":-1,"size":3}`
	}
	return "[\n  " + good + ",\n  " + bad + "\n]"
}

func TestForeignRecordsAreReadAsStrictlyAsNativeOnes(t *testing.T) {
	for _, tc := range []struct {
		name, fields, why string
	}{
		{"a value that is not UTF-8", `"value":"ab` + "\xff" + `cd"`, "not UTF-8 text"},
		{"a name that is not UTF-8", `"name":"` + "\xc3" + `","value":"1"`, "not UTF-8 text"},
		{"half a surrogate pair", `"value":"ab\ud800cd"`, "not UTF-8 text"},
		{"the other half alone", `"value":"\udc00"`, "not UTF-8 text"},
		{"a key given twice", `"value":"x","value":"y"`, `the key "value" is given twice`},
		{"a key given twice, once with an escape", `"value":"x","\u0076alue":"y"`, `the key "value" is given twice`},
	} {
		for _, f := range foreignFormats {
			t.Run(tc.name+"/"+f.String(), func(t *testing.T) {
				name := `"name":"bad",`
				if strings.Contains(tc.fields, `"name"`) {
					name = ""
				}
				bad := `{` + name + tc.fields + `,"domain":"example.com","path":"/"}`
				if f == FormatCookieEditor {
					bad = strings.TrimSuffix(bad, "}") + `,"hostOnly":true}`
				}
				file := foreignPair(f, bad)
				got, err := DetectFormat([]byte(file))
				require.NoError(t, err)
				require.Equal(t, f, got)

				j := NewJar()
				err = j.Import(strings.NewReader(file))
				var fe *FileError
				require.ErrorAs(t, err, &fe, "refused, not changed")
				require.Len(t, fe.Lines, 1)
				assert.Equal(t, LineError{Line: 2, Record: true, Err: fe.Lines[0].Err}, fe.Lines[0], "by its number")
				assert.ErrorIs(t, err, ErrInvalidCookie)
				assert.Contains(t, err.Error(), tc.why)
				assert.NotContains(t, err.Error(), "ab", "never the value")
				assert.Equal(t, []string{"ok"}, names(j), "the others are read")

				// Carried through a save byte for byte.
				path := filepath.Join(t.TempDir(), "cookies.json")
				require.NoError(t, os.WriteFile(path, []byte(file), 0o600))
				j = NewJar()
				require.ErrorAs(t, j.Load(path), &fe)
				require.NoError(t, j.Set(Cookie{Name: "new", Value: "1", Domain: "example.com", HostOnly: true}))
				require.NoError(t, j.ExportFile(context.Background(), path, f))
				data, err := os.ReadFile(path)
				require.NoError(t, err)
				assert.Contains(t, string(data), bad, "kept as it was")
				assert.Contains(t, string(data), `"new"`)
			})
		}
	}
}

func TestNativeRecordsThatAreNotUTF8AreRefusedAndKept(t *testing.T) {
	for _, tc := range []struct{ name, record string }{
		{"a value that is not UTF-8", strings.Replace(nativeRecord, `"value":"1"`, `"value":"ab`+"\xff"+`cd"`, 1)},
		{"half a surrogate pair", strings.Replace(nativeRecord, `"value":"1"`, `"value":"ab\ud800cd"`, 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			record := strings.Replace(tc.record, `"name":"a"`, `"name":"bad"`, 1)
			file := "{\"version\": 2, \"cookies\": [\n  " + nativeRecord + ",\n  " + record + "\n]}\n"
			path := filepath.Join(t.TempDir(), "cookies.json")
			require.NoError(t, os.WriteFile(path, []byte(file), 0o600))
			j := NewJar(WithClock(newTestClock().now))
			err := j.Load(path)
			var fe *FileError
			require.ErrorAs(t, err, &fe)
			require.Len(t, fe.Lines, 1)
			assert.Equal(t, 3, fe.Lines[0].Line)
			assert.ErrorContains(t, err, "not UTF-8 text")
			assert.Equal(t, []string{"a"}, names(j))
			require.NoError(t, j.Set(sidCookie("1")))
			require.NoError(t, j.Save(path))
			data, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Contains(t, string(data), record, "kept as it was")
		})
	}
}

// countLines returns how many lines of data are text, but for white space
// and a comma after it.
func countLines(data []byte, text string) int {
	n := 0
	for _, line := range bytes.Split(data, []byte("\n")) {
		if string(bytes.TrimRight(bytes.TrimSpace(line), ",")) == text {
			n++
		}
	}
	return n
}

// names returns the names of the jar's cookies, sorted.
func names(j *Jar) []string {
	var out []string
	for _, c := range j.All() {
		out = append(out, c.Name)
	}
	return out
}

func BenchmarkImportHostileJSONArray(b *testing.B) {
	data := repeatTo(hostileSize, `[{"name":"a","value":"1","domain":"example.com"}`, ",", "0", "]")
	benchmarkImport(b, data)
}

func BenchmarkImportHostileJSONArrayOfObjects(b *testing.B) {
	data := repeatTo(hostileSize, `[{"name":"a","value":"1","domain":"example.com"}`, ",", "{}", "]")
	benchmarkImport(b, data)
}

func BenchmarkImportHostileCookiesTxt(b *testing.B) {
	data := repeatTo(hostileSize, "example.com\tFALSE\t/\tFALSE\t0\ta\t1", "\n", "x", "\n")
	benchmarkImport(b, data)
}

func BenchmarkImportHostileNative(b *testing.B) {
	data := repeatTo(hostileSize, "{\"version\": 2, \"cookies\": [\n"+nativeRecord, ",\n", "0", "\n]}\n")
	benchmarkImport(b, data)
}

func BenchmarkImportHostileNativeOfObjects(b *testing.B) {
	data := repeatTo(hostileSize, "{\"version\": 2, \"cookies\": [\n"+nativeRecord, ",\n", "{}", "\n]}\n")
	benchmarkImport(b, data)
}

// benchmarkImport imports data, a file of which every record but one cannot
// be read, and reports the bytes allocated for each byte of it.
func benchmarkImport(b *testing.B, data []byte) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var alloc uint64
	for i := 0; i < b.N; i++ {
		var err error
		alloc += allocated(func() { err = NewJar().Import(bytes.NewReader(data)) })
		var fe *FileError
		if !errors.As(err, &fe) {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(alloc)/float64(b.N)/float64(len(data)), "alloc/byte")
}

func TestBoundCarriedLinesDoNotHideADeletion(t *testing.T) {
	// A jar that read a cookies.txt with lines it could not read still
	// sees a cookie deleted by another jar's save, however many such
	// lines there are: what it carries reads the same after that save.
	for _, junk := range []int{10, 3 * maxLineErrors} {
		t.Run(fmt.Sprint(junk), func(t *testing.T) {
			clock := newTestClock()
			path := filepath.Join(t.TempDir(), "cookies.txt")
			data := repeatTo(len("example.com\tFALSE\t/\tFALSE\t0\ta\t1")+2*junk+1, "example.com\tFALSE\t/\tFALSE\t0\ta\t1", "\n", "x", "\n")
			data = append(data, "# a comment\nexample.com\tFALSE\t/\tFALSE\t0\tb\t2\n"...)
			require.NoError(t, os.WriteFile(path, data, 0o600))
			require.NoError(t, os.Chtimes(path, clock.now(), clock.now()))
			a, b := NewJar(WithClock(clock.now)), NewJar(WithClock(clock.now))
			var fe *FileError
			require.ErrorAs(t, a.Load(path), &fe)
			require.ErrorAs(t, b.Load(path), &fe)

			clock.advance(time.Minute)
			require.True(t, b.Delete("example.com", "/", "a"))
			require.NoError(t, b.SaveNetscape(path))
			require.NoError(t, os.Chtimes(path, clock.now(), clock.now()))

			clock.advance(time.Minute)
			require.NoError(t, a.SaveNetscape(path))
			assert.Equal(t, []string{"b"}, names(a), "the deletion is seen")
			saved, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.False(t, strings.Contains(string(saved), "\ta\t1"), "and not undone")
			assert.Equal(t, junk, countLines(saved, "x"), "every line kept")
			assert.Contains(t, string(saved), "\n# a comment\n")
		})
	}
}
