package httpsession

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/httpsession/httpsession/internal/cookiefile"
	"github.com/httpsession/httpsession/internal/safefile"
)

// A save never writes a file that Load refuses: what it writes is bounded
// by MaxFileSize. A native file that would pass it forgets its oldest
// tombstones first (in the file and in the jar); one whose live cookies
// alone pass it is not written, and the old file stays as it was.

// errOverLimit stops a write that has passed MaxFileSize.
var errOverLimit = errors.New("over MaxFileSize")

// boundedWriter fails a write that would take the file past MaxFileSize.
type boundedWriter struct {
	w io.Writer
	n int64
}

func (b *boundedWriter) Write(p []byte) (int, error) {
	if b.n += int64(len(p)); b.n > MaxFileSize {
		return 0, errOverLimit
	}
	return b.w.Write(p)
}

// countingWriter counts what is written to it, and keeps none of it.
type countingWriter int64

func (c *countingWriter) Write(p []byte) (int, error) {
	*c += countingWriter(len(p))
	return len(p), nil
}

// writeMerged writes m to target in format, atomically and within
// MaxFileSize. It returns the error naming the cookies the format could not
// hold (the file is written without them) and the checksum of what it
// wrote.
func (j *Jar) writeMerged(target string, format Format, m *merged, keep *cookiefile.Carried, now time.Time) (skipped error, sum uint64, err error) {
	attempt := func() error {
		write, skip := encoder(format, m, keep, now)
		hash := j.hist.hasher() // the seed never changes: no lock needed
		err := safefile.WriteFile(target, filePerm, func(w io.Writer) error {
			return write(io.MultiWriter(&boundedWriter{w: w}, hash))
		})
		skipped, sum = *skip, hash.Sum64()
		return err
	}
	err = attempt()
	if errors.Is(err, errOverLimit) && format == FormatJSON && j.forgetToFit(m, keep) {
		err = attempt()
	}
	if errors.Is(err, errOverLimit) {
		return nil, 0, fmt.Errorf("%w: %d cookies, %d tombstones and %d records kept as read would pass it (%d MiB); the file is left as it was: keep fewer cookies (WithLimits)",
			ErrTooLarge, len(m.records), len(m.tombs), keep.Count(), MaxFileSize>>20)
	}
	return skipped, sum, err
}

// forgetToFit drops the oldest tombstones of m, and of the jar, until the
// native file m makes fits MaxFileSize. It reports false when dropping
// every tombstone would not be enough.
func (j *Jar) forgetToFit(m *merged, keep *cookiefile.Carried) bool {
	var size countingWriter
	_ = cookiefile.EncodeNative(&size, m.records, m.tombs, keep)
	excess := int64(size) - MaxFileSize
	order := make([]int, len(m.tombs))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		return cmp.Compare(m.tombs[a].Deleted.UnixNano(), m.tombs[b].Deleted.UnixNano())
	})
	drop := make(map[int]bool)
	for _, i := range order {
		if excess < 0 {
			break
		}
		excess -= int64(cookiefile.NativeTombLen(&m.tombs[i])) + 4 // ",\n  " around it
		drop[i] = true
	}
	if excess >= 0 {
		return false
	}
	j.mu.Lock()
	tombs, ids := m.tombs[:0], m.tombIDs[:0]
	for i := range m.tombs {
		if drop[i] {
			j.hist.dropTomb(m.tombIDs[i])
			continue
		}
		tombs, ids = append(tombs, m.tombs[i]), append(ids, m.tombIDs[i])
	}
	m.tombs, m.tombIDs = tombs, ids
	j.mu.Unlock()
	return true
}
