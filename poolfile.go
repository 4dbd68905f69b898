package httpsession

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/httpsession/httpsession/internal/safefile"
)

// poolPoll is how often a waiter of a pool directory looks for a change:
// one stat of the state file, and a signal 0 to each holder of this host,
// so that an identity whose holder was killed is taken at once.
const poolPoll = 10 * time.Millisecond

// dirStore is the PoolStore of OpenPool: a directory holding the shared
// state (.pool.json, replaced whole under the lock .pool.json.lock), each
// identity's cookie file (NAME.json) and its lease, a lock on
// NAME.json.lease held for as long as the lease, which ends with its
// process.
type dirStore struct {
	dir   string
	state string // the state file, resolved

	tidy    sync.Once // the temporary files of writers killed mid-way, removed under the lock
	mu      sync.Mutex
	held    map[string]heldLock // each lease lock this process holds
	pids    []int               // holders and waiters of this host, in the last state seen
	seen    fs.FileInfo         // the state file as this process last read or wrote it
	unknown []string            // identities whose lock was found held outside the state
	waiters int                 // in Wait
	woken   chan struct{}       // closed by the poller at a change
}

func openDirStore(dir string) (*dirStore, error) {
	if dir == "" {
		return nil, pathError("open pool", dir, fmt.Errorf("%w: empty path", ErrUnsafePath))
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, pathError("open pool", dir, err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, pathError("open pool", dir, err)
	}
	state, err := safefile.Resolve(filepath.Join(abs, ".pool.json"))
	if err != nil {
		return nil, pathError("open pool", dir, fileErr(err))
	}
	if err := safefile.ProbeLock(state + ".lock"); err != nil {
		return nil, pathError("open pool", dir, fileErr(err))
	}
	// The temporary files of writers killed mid-way go at the first
	// Update, under the lock (tidy): here, one could be a live writer's.
	return &dirStore{dir: abs, state: state, held: map[string]heldLock{}}, nil
}

// Update runs change under the state's lock, and replaces the state file
// whole (0600) with what it returns.
func (s *dirStore) Update(ctx context.Context, change func([]byte, time.Time) ([]byte, error)) error {
	unlock, err := safefile.Lock(ctx, s.state+".lock", DefaultLockTimeout)
	if err != nil {
		return pathError("update", s.state, fileErr(err))
	}
	defer unlock()
	s.tidy.Do(func() { safefile.RemoveStaleTemps(s.state) })
	data, fi, err := safefile.ReadRegular(s.state, maxPoolDoc)
	var large *safefile.TooLargeError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		data = nil
	case errors.As(err, &large):
		return pathError("read", s.state, fmt.Errorf("%w: larger than %d MiB, more than a pool's state holds", ErrCorrupt, maxPoolDoc>>20))
	case err != nil:
		return pathError("read", s.state, fileErr(err))
	}
	s.remember(data, fi)
	next, err := change(data, time.Now())
	if err != nil {
		if errors.Is(err, ErrCorrupt) {
			return pathError("read", s.state, err)
		}
		return err
	}
	if next == nil {
		return nil
	}
	// Not flushed to disk: written at every lease, and a power failure
	// that loses it (or leaves it empty, a new pool) loses uses and
	// cool-downs, never a lease, which is a lock.
	err = safefile.WriteFileNoSync(s.state, 0o600, func(w io.Writer) error {
		_, err := w.Write(next)
		return err
	})
	if err != nil {
		return pathError("update", s.state, fileErr(err))
	}
	fi, _ = os.Stat(s.state)
	s.remember(next, fi)
	return nil
}

// remember keeps the state file as this process last saw it (fi, nil if
// missing), and the process ids of this host's holders and waiters in it,
// for the poller to watch: a dead waiter ahead in the queue holds up those
// behind it as a dead holder does, until an update drops it.
func (s *dirStore) remember(state []byte, fi fs.FileInfo) {
	d, err := decodePoolDoc(state)
	if err != nil {
		return
	}
	host, me := hostID(), os.Getpid()
	var pids []int
	watched := map[int]bool{}
	watch := func(h string, pid int) {
		if h == host && pid != me && pid != 0 && !watched[pid] {
			watched[pid] = true
			pids = append(pids, pid)
		}
	}
	var unknown []string
	for name, e := range d.IDs {
		if e.Holder == unknownHolder {
			unknown = append(unknown, name)
		} else if e.Holder != "" {
			watch(e.Host, e.PID)
		}
	}
	for _, t := range d.Wait {
		watch(t.Host, t.PID)
	}
	s.mu.Lock()
	s.pids, s.seen, s.unknown = pids, fi, unknown
	s.mu.Unlock()
}

// Wait waits for the store's poller to see a change (see poll), d, or the
// end of ctx. One poller runs per store while any of its waiters waits.
func (s *dirStore) Wait(ctx context.Context, _ string, d time.Duration) error {
	s.mu.Lock()
	if s.waiters == 0 {
		s.woken = make(chan struct{})
		go s.poll(s.woken)
	}
	s.waiters++
	woken := s.woken
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.waiters--
		s.mu.Unlock()
	}()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-woken:
		return nil
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// poll looks every poolPoll for the state file changed since this process
// last read or wrote it, or a holder or waiter of this host dead, and then
// closes woken, ending; it ends as well when no waiter is left.
func (s *dirStore) poll(woken chan struct{}) {
	tick := time.NewTicker(poolPoll)
	defer tick.Stop()
	for range tick.C {
		s.mu.Lock()
		pids, seen, unknown, alone := s.pids, s.seen, s.unknown, s.waiters == 0
		s.mu.Unlock()
		now, _ := os.Stat(s.state)
		changed := (seen == nil) != (now == nil) || (now != nil && (!os.SameFile(seen, now) || !now.ModTime().Equal(seen.ModTime()) || now.Size() != seen.Size()))
		for _, pid := range pids {
			changed = changed || !processAlive(pid)
		}
		for _, name := range unknown {
			changed = changed || s.free(name)
		}
		if changed || alone {
			s.mu.Lock()
			close(woken)
			if s.woken == woken && s.waiters > 0 {
				// Waiters came meanwhile: they need a poller of their own.
				s.woken = make(chan struct{})
				go s.poll(s.woken)
			}
			s.mu.Unlock()
			return
		}
	}
}

// Wake does nothing: the waiters of a directory see the state change.
func (s *dirStore) Wake(context.Context, []string) error { return nil }

// Session opens DIR/NAME.json (see Open). Its sync is a save, which also
// takes what the other processes saved, made only when there is something
// to share: a change in the jar since the last sync, or a file another
// process replaced.
func (s *dirStore) Session(_ context.Context, name string, opts []Option) (*Session, func(context.Context) error, error) {
	path := filepath.Join(s.dir, name+".json")
	sess, err := Open(path, opts...)
	var fe *FileError
	if err != nil && !(errors.As(err, &fe) && sess != nil) {
		return nil, nil, err
	}
	// Records that could not be read are kept in the file, and were
	// logged (WithLogger): the identity works with the others.
	target, err := safefile.Resolve(path)
	if err != nil {
		_ = sess.Close()
		return nil, nil, pathError("open", path, fileErr(err))
	}
	var mu sync.Mutex
	var synced time.Time // the jar's latest change at the last sync
	return sess, func(context.Context) error {
		mu.Lock()
		defer mu.Unlock()
		if last, same := sess.jar.savedState(target); same && last.Equal(synced) {
			return nil
		}
		if err := sess.Save(); err != nil && !errors.Is(err, ErrClosed) {
			return err
		}
		synced, _ = sess.jar.savedState(target)
		return nil
	}, nil
}

func (s *dirStore) leasePath(name string) string {
	return filepath.Join(s.dir, name+".json.lease")
}

// heldLock is a lease lock this process holds, for the lease token.
type heldLock struct {
	token  string
	unlock func()
}

// lock takes name's lease lock for the lease token if no one holds it.
func (s *dirStore) lock(name, token string) (bool, error) {
	unlock, ok, err := safefile.TryLock(s.leasePath(name))
	if err != nil {
		return false, pathError("lease", s.leasePath(name), fileErr(err))
	}
	if ok {
		s.mu.Lock()
		s.held[name] = heldLock{token, unlock}
		s.mu.Unlock()
	}
	return ok, nil
}

// unlock drops name's lease lock if this process holds it for token: a
// late unlock of an earlier lease must not drop the lock of the next.
func (s *dirStore) unlock(name, token string) {
	s.mu.Lock()
	h, ok := s.held[name]
	if ok && h.token == token {
		delete(s.held, name)
	}
	s.mu.Unlock()
	if ok && h.token == token {
		h.unlock()
	}
}

// free reports whether no one holds name's lease lock.
func (s *dirStore) free(name string) bool {
	unlock, ok, err := safefile.TryLock(s.leasePath(name))
	if err != nil || !ok {
		return false
	}
	unlock()
	return true
}

// Close drops the lease locks this process still holds.
func (s *dirStore) Close() error {
	s.mu.Lock()
	held := s.held
	s.held = map[string]heldLock{}
	s.mu.Unlock()
	for _, h := range held {
		h.unlock()
	}
	return nil
}

// savedState returns the jar's latest change, and whether the file at
// target is still the one it last read or wrote.
func (j *Jar) savedState(target string) (last time.Time, same bool) {
	fi, err := os.Lstat(target)
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.hist.last, err == nil && j.hist.file(target).unchanged(fi)
}
