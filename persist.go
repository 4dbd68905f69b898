package httpsession

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"time"

	"github.com/httpsession/httpsession/internal/cookiefile"
	"github.com/httpsession/httpsession/internal/safefile"
)

// filePerm is the mode of a new cookie file: cookies are credentials.
const filePerm fs.FileMode = 0o600

// DefaultLockTimeout is how long Save waits for another process to finish
// saving the same file.
const DefaultLockTimeout = 10 * time.Second

// formatNone is the format of an empty or missing file: none yet. No
// caller can name it.
const formatNone = Format(cookiefile.None)

// describe names the format in an error message.
func (f Format) describe() string { return cookiefile.Format(f).Describe() }

// Load merges a cookie file into the jar: the native JSON file that Save
// writes, a Netscape cookies.txt file (curl, wget, yt-dlp, browser
// extensions), Playwright's storageState, the Cookie-Editor and
// EditThisCookie extensions' JSON, or the DevTools Protocol's cookies as
// Puppeteer gives them; the format is detected (see DetectFormat and
// Format). Each cookie is checked again as if a server had just sent it, so
// a hand-edited or exported file cannot plant a cookie on a public suffix.
//
// Load is a merge under the sync model (see Save): for each cookie, the
// newer change of the jar's and the file's wins, whether it is a set or a
// deletion. A deletion the file records removes the cookie from the jar if
// it is newer than the jar's copy; a change made in the jar after the
// file's is kept.
//
// A missing file gives an error for which errors.Is(err, fs.ErrNotExist)
// holds. A file that cannot be read as either format gives an error that
// wraps ErrCorrupt, names the file and the position, and leaves the jar
// unchanged; so does a path that is not a regular file (ErrUnsafePath).
// Records that cannot be read or are refused one by one are reported in a
// *FileError; the others are loaded, and a later Save keeps those records
// in the file as they are. The other programs' formats, and cookies.txt,
// have no change times: their records count as changed when the file was
// last modified (see Format).
func (j *Jar) Load(path string) error {
	return j.LoadContext(context.Background(), path)
}

// LoadOption configures LoadContext. A nil LoadOption is ignored.
type LoadOption func(*loadConfig)

type loadConfig struct {
	limit int64
}

// ReadLarge lets a load read a file of up to n bytes, past MaxFileSize:
// the way out for a file that an older version of this package let grow
// past it (it kept expired cookies with their values). Every live cookie
// is loaded; the jar remembers the rest as tombstones, within
// MaxTombstones and MaxTombstoneBytes, and the next save writes a file
// within MaxFileSize, or fails with ErrTooLarge if the live cookies alone
// pass it. Saves of that jar read the file up to the same bound.
func ReadLarge(n int64) LoadOption {
	return func(c *loadConfig) { c.limit = max(n, MaxFileSize) }
}

// LoadContext is Load with options.
func (j *Jar) LoadContext(ctx context.Context, path string, opts ...LoadOption) error {
	cfg := loadConfig{limit: MaxFileSize}
	for _, opt := range opts {
		if opt != nil {
			opt(&cfg)
		}
	}
	if ctx == nil {
		return pathError("load", path, errNilContext)
	}
	if err := ctx.Err(); err != nil {
		return pathError("load", path, err)
	}
	target, err := safefile.Resolve(path)
	if err != nil {
		return pathError("load", path, fileErr(err))
	}
	data, info, err := safefile.ReadRegular(target, cfg.limit)
	if err != nil {
		return pathError("load", path, fileErr(err))
	}
	v, err := decodeFile(data)
	if err != nil {
		return pathError("load", path, err)
	}
	j.mu.Lock()
	defer j.unlock()
	now := j.clock()
	j.purgeExpired(now)
	j.hist.prune(now)
	m := j.mergeFile(v, info.ModTime(), j.hist.file(target), now, mergeOptions{})
	j.hist.setFile(target, &fileState{
		info: info, sum: j.hist.sum(data), format: Format(v.Format), held: m.held, carried: v.Carried,
		complete: m.complete, evictions: j.evictions, limit: cfg.limit,
	})
	return fileError(v, path)
}

// SaveOption configures SaveContext and SaveNetscapeContext. A nil
// SaveOption is ignored.
type SaveOption func(*saveConfig)

type saveConfig struct {
	omitSession    bool
	replaceCorrupt bool
	overwrite      bool
	lockTimeout    time.Duration
}

// OmitSessionCookies leaves this jar's session cookies out of the file, as
// curl's -j and Python's ignore_discard=False do: what the file already
// holds for those cookies is left as it is. By default they are saved:
// most login cookies are session cookies.
func OmitSessionCookies() SaveOption {
	return func(c *saveConfig) { c.omitSession = true }
}

// ReplaceCorrupt lets a save overwrite a file that cannot be read. Without
// it, such a file is left as it is and the save fails with ErrCorrupt.
func ReplaceCorrupt() SaveOption {
	return func(c *saveConfig) { c.replaceCorrupt = true }
}

// Overwrite makes a save replace the file with the jar's cookies and
// deletions instead of merging with what the file holds: cookies that only
// the file has, and records that could not be read, are dropped. It still
// takes the lock and writes atomically. Use it to convert or rewrite a file
// on purpose; it also replaces a corrupt file.
func Overwrite() SaveOption {
	return func(c *saveConfig) { c.overwrite, c.replaceCorrupt = true, true }
}

// LockTimeout sets how long a save waits for another process's save of the
// same file. The default is DefaultLockTimeout. The context passed to
// SaveContext can end the wait sooner.
func LockTimeout(d time.Duration) SaveOption {
	return func(c *saveConfig) { c.lockTimeout = d }
}

// Save writes the jar to the native JSON file at path, as SaveContext does
// with a background context.
func (j *Jar) Save(path string) error {
	return j.SaveContext(context.Background(), path)
}

// SaveContext writes the jar to the native JSON file at path: atomically (a
// crash leaves the old file or the new one, whole), with mode 0600 for a new
// file, and safely beside other jars and processes saving the same file.
//
// A save takes an advisory lock on path+".lock", removes temporary files
// that killed saves left, re-reads the file if anyone else replaced it
// since this jar last loaded or saved it, and merges under the sync model:
// for each cookie identity, the newest change wins, whether it was made
// here or by another writer, and whether it is a set or a deletion.
// Deletions are kept in the file for TombstoneLifetime, so that a writer
// that was away cannot bring a deleted cookie back. The jar takes in the
// changes that won, so after a save it holds what the file holds, as far
// as its limits let it: a cookie this jar's limits could not hold stays in
// the file. Records of the file that could not be read are written back as
// they were.
//
// An existing file that cannot be read is not overwritten unless
// ReplaceCorrupt is given: the error wraps ErrCorrupt. Nor is a cookies.txt
// file, which Save would turn into JSON, unless Overwrite is given: the
// error wraps ErrFormat. A path that is not a regular file, or a link
// another user planted, is refused (ErrUnsafePath). A lock that cannot be
// had in time gives an error that wraps ErrLocked. The lock file stays
// beside the cookie file: removing it could let two processes hold "the"
// lock at once.
func (j *Jar) SaveContext(ctx context.Context, path string, opts ...SaveOption) error {
	return j.saveFile(ctx, path, FormatJSON, opts)
}

// saveFile applies opts and saves in the given format, wrapping errors with
// the path.
func (j *Jar) saveFile(ctx context.Context, path string, format Format, opts []SaveOption) error {
	cfg := saveConfig{lockTimeout: DefaultLockTimeout}
	for _, opt := range opts {
		if opt != nil {
			opt(&cfg)
		}
	}
	if ctx == nil {
		return pathError("save", path, errNilContext)
	}
	if err := j.save(ctx, path, cfg, format); err != nil {
		return pathError("save", path, err)
	}
	return nil
}

func (j *Jar) save(ctx context.Context, path string, cfg saveConfig, format Format) error {
	j.saveMu.Lock()
	defer j.saveMu.Unlock()
	target, unlock, err := lockTarget(ctx, path, cfg.lockTimeout)
	if err != nil {
		return err
	}
	defer unlock()

	j.mu.Lock()
	st := j.hist.file(target)
	evictions := j.evictions
	j.mu.Unlock()
	in, err := j.readForSave(target, st, evictions, cfg, format)
	if err != nil {
		return err
	}

	j.mu.Lock()
	now := j.clock()
	j.purgeExpired(now)
	j.hist.prune(now)
	var m *merged
	switch {
	case in.fast:
		m = j.jarOutput(now)
	case in.v != nil:
		m = j.mergeFile(in.v, in.modTime, st, now, mergeOptions{write: true, omitSession: cfg.omitSession})
		in.keep = in.v.Carried // with the records the merge refused
	default:
		// No file, or one to overwrite: the jar's own cookies and
		// deletions.
		m = j.mergeFile(&cookiefile.File{Format: cookiefile.None}, time.Time{}, nil, now, mergeOptions{write: true, omitSession: cfg.omitSession})
	}
	evictions = j.evictions
	mergedAt := j.hist.last
	j.unlock()
	m.sort()

	skipped, sum, err := j.writeMerged(target, format, m, &in.keep, now)
	if err != nil {
		return err
	}
	info, err := os.Lstat(target)
	if err != nil {
		return err
	}
	j.mu.Lock()
	j.hist.saved(mergedAt, cfg.omitSession)
	j.hist.setFile(target, &fileState{
		info: info, sum: sum, format: format, held: m.held, carried: in.keep,
		complete: m.complete, evictions: evictions,
	})
	j.mu.Unlock()
	return skipped
}

// lockTarget resolves path and takes its lock, which unlock releases. It
// removes the temporary files that killed saves left.
func lockTarget(ctx context.Context, path string, timeout time.Duration) (target string, unlock func(), err error) {
	target, err = safefile.Resolve(path)
	if err != nil {
		return "", nil, fileErr(err)
	}
	unlock, err = safefile.Lock(ctx, target+".lock", timeout)
	if err != nil {
		return "", nil, fileErr(err)
	}
	// The path may have changed while the lock was awaited (a file or a
	// link planted in a shared directory): resolve it again.
	if again, err := safefile.Resolve(path); err != nil || again != target {
		unlock()
		if err == nil {
			err = fmt.Errorf("%w: %s changed while the save waited for its lock", ErrUnsafePath, path)
		}
		return "", nil, fileErr(err)
	}
	safefile.RemoveStaleTemps(target)
	return target, unlock, nil
}

// saveInput is what a save found in the file: nothing to read (fast: the
// file is as this jar last left it, and the jar still holds all it held),
// the file decoded (v, last modified at modTime: what it keeps beside its
// cookies is v.Carried once merged), or neither (no file, or one to
// overwrite); and what the file keeps beside its cookies, to write back.
type saveInput struct {
	fast    bool
	v       *cookiefile.File
	modTime time.Time
	keep    cookiefile.Carried
}

// readForSave reads the file at target for a save in format, under its
// lock. st is what the jar knew of it, evictions the jar's count when st
// was looked at.
func (j *Jar) readForSave(target string, st *fileState, evictions uint64, cfg saveConfig, format Format) (saveInput, error) {
	cur, err := os.Lstat(target)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return saveInput{}, nil
	case err != nil:
		return saveInput{}, err
	case !cur.Mode().IsRegular():
		return saveInput{}, fileErr(safefile.Regular(target, cur)) // replaced since Resolve looked
	case cfg.overwrite:
		// Replace the cookies, but not what a format keeps beside them
		// (a Playwright file's origins).
		return saveInput{keep: overwriteKeep(target, format)}, nil
	}
	limit := int64(MaxFileSize)
	if st != nil {
		limit = max(limit, st.limit) // a file ReadLarge loaded
	}
	// The common case, a jar saving its own file: the file is checked by
	// its sum, read through without holding it, and not decoded.
	if st.unchanged(cur) && st.complete && st.evictions == evictions && !cfg.omitSession && st.format == format {
		sum, err := safefile.SumRegular(target, limit, j.hist.hasher())
		if err != nil {
			return saveInput{}, fileErr(err)
		}
		if sum == st.sum {
			return saveInput{fast: true, keep: st.carried}, nil
		}
	}
	data, info, err := safefile.ReadRegular(target, limit)
	if err != nil {
		return saveInput{}, fileErr(err)
	}
	v, err := decodeFile(data)
	switch {
	case err == nil:
	case errors.Is(err, ErrCorrupt) && cfg.replaceCorrupt:
		return saveInput{}, nil
	default:
		return saveInput{}, &RemedyError{Err: err, Remedy: "ReplaceCorrupt", advice: "not overwritten; use ReplaceCorrupt to replace it"}
	}
	// A save never turns a file into the other format behind the user's
	// back: a cookies.txt that curl also reads must stay one.
	if found := Format(v.Format); !cookiefile.Fits(v.Format, cookiefile.Format(format), data) {
		return saveInput{}, formatError(found, format)
	}
	return saveInput{v: v, modTime: info.ModTime()}, nil
}

func formatError(found, want Format) error {
	return &FormatError{Found: found, Want: want}
}

// FormatError is the error of a save to a file in another format than the
// one asked for: the save leaves the file as it is. It wraps ErrFormat. A
// program reads Found and Want with errors.As to say what to do in its own
// words (a command-line tool names its flags, not Overwrite).
type FormatError struct {
	Found Format // the format the file is in
	Want  Format // the format the save writes
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("%v: the file is in %s; this save writes %s (use Overwrite to replace it)", ErrFormat, e.Found.describe(), e.Want.describe())
}

// Unwrap returns ErrFormat.
func (e *FormatError) Unwrap() error { return ErrFormat }

// encoder returns the function that writes m in the given format, with
// what keep carries (nil for nothing), and where it reports the cookies the
// format cannot hold (the file is written without them).
func encoder(format Format, m *merged, keep *cookiefile.Carried, now time.Time) (func(io.Writer) error, *error) {
	skipped := new(error)
	if format == FormatJSON {
		return func(w io.Writer) error { return cookiefile.EncodeNative(w, m.records, m.tombs, keep) }, skipped
	}
	// cookies.txt and the other programs' formats keep no deletions and no
	// change times: what the file held is recorded by the sum of each
	// record instead.
	cf := cookiefile.Format(format)
	order := make([]int, len(m.records))
	for i := range order {
		order[i] = i
	}
	if format != FormatNetscape {
		// In the order the cookies were created, which these formats
		// cannot say otherwise: a program that reads them in order (the
		// jar among them) sends cookies of equal paths as before (§5.8.3).
		slices.SortStableFunc(order, func(a, b int) int {
			ra, rb := &m.records[a], &m.records[b]
			return cmp.Or(ra.Created.Compare(rb.Created), cmp.Compare(ra.Seq, rb.Seq))
		})
	}
	cookies := make([]cookiefile.Cookie, 0, len(m.records))
	partitions := make([]string, 0, len(m.records))
	held := make([]heldRecord, 0, len(m.held))
	for _, i := range order {
		r := &m.records[i]
		c := r.Cookie
		if (*Cookie)(&c).expired(now) {
			continue // the format cannot say that a set has expired
		}
		if cookiefile.Unwritable(cf, &c) != "" {
			cookies, partitions = append(cookies, c), append(partitions, "") // named in the skipped error
			continue
		}
		h := m.held[i]
		if fe, ok := m.fileExpires[h.id]; ok {
			c.Expires = time.UnixMicro(fe).UTC() // as the file had it: see entry.fileExpires
		}
		cookies, partitions = append(cookies, c), append(partitions, r.Partition)
		h.sum = cookiefile.Sum(cf, &c, r.Partition)
		held = append(held, h)
	}
	m.held = held
	if format != FormatNetscape {
		return func(w io.Writer) (err error) {
			*skipped, err = cookiefile.EncodeForeign(w, cf, keep, cookies, partitions)
			return err
		}, skipped
	}
	return func(w io.Writer) (err error) {
		*skipped, err = cookiefile.EncodeNetscape(w, keep, cookies)
		return err
	}, skipped
}

// SaveNetscape writes the jar to path in the Netscape cookies.txt format,
// as curl writes it, as SaveNetscapeContext does with a background context.
func (j *Jar) SaveNetscape(path string) error {
	return j.SaveNetscapeContext(context.Background(), path)
}

// SaveNetscapeContext writes the jar to path in the Netscape cookies.txt
// format, as curl writes it (session cookies with expiry 0), atomically and
// with mode 0600 for a new file. Like SaveContext it locks the file and
// merges with the changes another program made since this jar last read or
// wrote it. cookies.txt has no change times and no deletions: a line that
// changed since this jar last read or wrote the file counts as changed
// when the file was last modified, and a line gone since then as deleted
// then; a cookie the jar never saw in the file is new. The format keeps no
// SameSite, Partitioned or creation times. Comment lines and lines that
// could not be read are kept, ahead of the cookies.
//
// A cookie the format cannot hold (a tab or a line break in a field) is left
// out; the file is still written with all the others, and the error names
// the cookies left out. A native JSON file at path is not replaced unless
// Overwrite is given (the error wraps ErrFormat).
func (j *Jar) SaveNetscapeContext(ctx context.Context, path string, opts ...SaveOption) error {
	return j.saveFile(ctx, path, FormatNetscape, opts)
}
