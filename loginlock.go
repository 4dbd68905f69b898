package httpsession

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/httpsession/httpsession/internal/safefile"
)

// fileLoginLock is the LoginLock of a session made by Open. The processes
// sharing a cookie file FILE keep their LoginRecord, and the login lease,
// in FILE.login, a small JSON file they read and replace only under a
// short lock on FILE.login.lock (flock). The lease is not that lock: a
// process holds it for the whole login, but only until its deadline, so
// that a holder that hangs loses it then; one that died (on this host)
// loses it at once.
type fileLoginLock struct {
	s      *Session
	target string // the cookie file, resolved
}

func (f *fileLoginLock) lockPath() string { return f.target + ".login.lock" }
func (f *fileLoginLock) recPath() string  { return f.target + ".login" }

// loginPoll is how often a process waiting for another's login lease
// looks again.
const loginPoll = 20 * time.Millisecond

// releaseTimeout bounds the wait for the short lock when a lease ends.
const releaseTimeout = 10 * time.Second

// loginFile is FILE.login: the record, and the lease if one is held.
type loginFile struct {
	Generation uint64     `json:"generation"`
	Failures   int        `json:"failures,omitempty"`
	RetryAt    time.Time  `json:"retryAt,omitzero"`
	Cause      string     `json:"cause,omitempty"`
	Lease      *loginHold `json:"lease,omitempty"`
}

// loginHold is a lease on the login: who holds it, and until when.
type loginHold struct {
	Owner string    `json:"owner"` // random, one per AcquireLogin
	Host  string    `json:"host"`  // hostID
	PID   int       `json:"pid"`
	Until time.Time `json:"until"`
}

// over reports whether the lease has ended at now: its deadline passed, or
// its holder, a process of this host, is gone.
func (h *loginHold) over(now time.Time, host string) bool {
	if !now.Before(h.Until) {
		return true
	}
	return h.Host == host && h.PID != os.Getpid() && !processAlive(h.PID)
}

func (f *loginFile) record() LoginRecord {
	return LoginRecord{Generation: f.Generation, Failures: f.Failures, RetryAt: f.RetryAt, Cause: f.Cause}
}

func (f *loginFile) set(r *LoginRecord) {
	f.Generation, f.Failures, f.RetryAt, f.Cause = r.Generation, r.Failures, r.RetryAt, r.Cause
}

// ErrLeaseLost is returned by a LoginLock's release when the lease ran
// out before it and another may have taken it: the record is not stored.
var ErrLeaseLost = errors.New("httpsession: login lease lost")

// AcquireLogin implements LoginLock.
func (f *fileLoginLock) AcquireLogin(ctx context.Context, lease time.Duration) (LoginRecord, func(*LoginRecord) error, error) {
	owner, err := leaseOwner()
	if err != nil {
		return LoginRecord{}, nil, err
	}
	host := hostID()
	for {
		var rec LoginRecord
		took := false
		err := f.update(ctx, func(lf *loginFile) bool {
			now := time.Now()
			if lf.Lease != nil && !lf.Lease.over(now, host) {
				return false
			}
			rec = lf.record()
			lf.Lease = &loginHold{Owner: owner, Host: host, PID: os.Getpid(), Until: now.Add(lease)}
			took = true
			return true
		})
		if err != nil {
			return LoginRecord{}, nil, err
		}
		if took {
			return rec, f.releaser(owner), nil
		}
		t := time.NewTimer(loginPoll)
		select {
		case <-ctx.Done():
			t.Stop()
			return LoginRecord{}, nil, fmt.Errorf("waiting for another process's login: %w", ctx.Err())
		case <-t.C:
		}
	}
}

// releaser returns the release of owner's lease.
func (f *fileLoginLock) releaser(owner string) func(*LoginRecord) error {
	var once sync.Once
	var err error
	return func(next *LoginRecord) error {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), releaseTimeout)
			defer cancel()
			lost := false
			err = f.update(ctx, func(lf *loginFile) bool {
				if lf.Lease == nil || lf.Lease.Owner != owner {
					lost = true
					return false
				}
				if next != nil {
					lf.set(next)
				}
				lf.Lease = nil
				return true
			})
			if err == nil && lost {
				err = ErrLeaseLost
			}
		})
		return err
	}
}

// update reads FILE.login under the short lock, lets change change it,
// and writes it back if change says so.
func (f *fileLoginLock) update(ctx context.Context, change func(*loginFile) bool) error {
	unlock, err := safefile.Lock(ctx, f.lockPath(), 0)
	if err != nil {
		return fileErr(err)
	}
	defer unlock()
	lf, err := readLoginFile(f.recPath())
	if err != nil {
		return err
	}
	if !change(&lf) {
		return nil
	}
	return safefile.WriteFile(f.recPath(), filePerm, func(w io.Writer) error {
		b, err := json.Marshal(&lf)
		if err != nil {
			return err
		}
		_, err = w.Write(append(b, '\n'))
		return err
	})
}

// peek returns the record as it is, without the lease.
func (f *fileLoginLock) peek() (LoginRecord, error) {
	lf, err := readLoginFile(f.recPath())
	return lf.record(), err
}

// SyncLogin implements LoginLock: the file is merged into the jar. Records
// of the file that cannot be read were reported when it was opened.
func (f *fileLoginLock) SyncLogin(ctx context.Context) error {
	err := f.s.jar.LoadContext(ctx, f.s.path, f.s.cfg.loadOpts...)
	var fe *FileError
	if errors.As(err, &fe) {
		return nil
	}
	return err
}

// maxLoginFile bounds FILE.login.
const maxLoginFile = 64 << 10

// readLoginFile reads FILE.login. A missing file is an empty record; so
// is one that cannot be read as one (the next login writes a good one).
// Earlier versions wrote the generation alone, as a number.
func readLoginFile(path string) (loginFile, error) {
	var lf loginFile
	data, _, err := safefile.ReadRegular(path, maxLoginFile)
	var large *safefile.TooLargeError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return lf, nil
	case errors.As(err, &large):
		return lf, fmt.Errorf("%w: %s is larger than %d KiB, more than a login record holds", ErrCorrupt, path, maxLoginFile>>10)
	case err != nil:
		return lf, fmt.Errorf("read %s: %w", path, fileErr(err))
	}
	if n, err := strconv.ParseUint(strings.TrimSpace(string(data)), 10, 64); err == nil {
		lf.Generation = n
		return lf, nil
	}
	if json.Unmarshal(data, &lf) != nil {
		return loginFile{}, nil
	}
	return lf, nil
}

// leaseOwner returns a random name for a lease holder.
func leaseOwner() (string, error) {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("httpsession: login lease: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}
