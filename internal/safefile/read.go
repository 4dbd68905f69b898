package safefile

import (
	"context"
	"hash"
	"io"
	"io/fs"
	"os"
)

// Open opens the file at path for reading without waiting on a FIFO, and
// refuses it (ErrUnsafePath) unless the open file is a regular file. A
// symbolic link at path itself is followed only if followLink is set;
// otherwise the open fails. The information returned is that of the open
// file, so that a rename by another process between a look at the path and
// the open cannot mix the two. Errors of the open and of the stat are the
// os package's, unwrapped.
func Open(path string, followLink bool) (*os.File, fs.FileInfo, error) {
	flags := os.O_RDONLY | openNonBlock
	if !followLink {
		flags |= openNoFollow
	}
	f, err := os.OpenFile(path, flags, 0)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err == nil {
		err = Regular(path, fi)
	}
	if err != nil {
		_ = f.Close()
		return nil, nil, err
	}
	return f, fi, nil
}

// openRegular opens the regular file at a resolved path for reading, as
// ReadRegular reads it: without following a link or blocking on a FIFO,
// and refusing a file another user planted or one larger than limit.
func openRegular(path string, limit int64) (*os.File, fs.FileInfo, error) {
	f, fi, err := Open(path, false)
	if err != nil {
		return nil, nil, err
	}
	err = ownerAllowed(path, fi) // planted since the path was resolved
	if err == nil && fi.Size() > limit {
		err = &TooLargeError{Path: path, Limit: limit}
	}
	if err != nil {
		_ = f.Close()
		return nil, nil, err
	}
	return f, fi, nil
}

// ReadRegular reads the regular file at path, a path Resolve returned, at
// most limit bytes, without following a link and without blocking on a
// FIFO that replaced it in the meantime. A file another user planted in a
// shared directory since is refused (ErrUnsafePath), and so is one larger
// than limit, or that grows past it while it is read (a *TooLargeError).
// The information returned is that of the open file.
func ReadRegular(path string, limit int64) ([]byte, fs.FileInfo, error) {
	f, fi, err := openRegular(path, limit)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	data := make([]byte, 0, fi.Size()+512)
	for {
		n, err := f.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if int64(len(data)) > limit {
			return nil, nil, &TooLargeError{Path: path, Limit: limit}
		}
		if err == io.EOF {
			return data, fi, nil
		}
		if err != nil {
			return nil, nil, err
		}
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)] // grown while read
		}
	}
}

// SumRegular feeds the content of the regular file at path through h,
// opened and bounded as ReadRegular opens it, without holding the content
// in memory, and returns h's sum. At most limit+1 bytes are fed: a file
// that grew past limit since it was opened sums differently from any file
// within it.
func SumRegular(path string, limit int64, h hash.Hash64) (uint64, error) {
	f, _, err := openRegular(path, limit)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if _, err := io.Copy(h, io.LimitReader(f, limit+1)); err != nil {
		return 0, err
	}
	return h.Sum64(), nil
}

// Copy copies src to dst until src ends, ctx ends or more than limit bytes
// were copied, and returns the number of bytes copied: at most limit+1.
// When ctx ends the copy stops at its next read and the error is ctx's;
// a src longer than limit gives a *TooLargeError naming path.
func Copy(ctx context.Context, dst io.Writer, src io.Reader, path string, limit int64) (int64, error) {
	n, err := io.Copy(dst, &ctxReader{ctx: ctx, r: io.LimitReader(src, limit+1)})
	if err == nil && n > limit {
		err = &TooLargeError{Path: path, Limit: limit}
	}
	return n, err
}

// ctxReader ends a read when its context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
