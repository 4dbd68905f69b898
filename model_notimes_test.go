package httpsession

// A model-based test of files without change times (cookies.txt,
// Playwright, Cookie-Editor, CDP), which keep neither change times nor
// deletions. Random histories of jars that share one such file are checked
// against a reference that implements the documented rule on its own: to a
// jar, a record changed since it last read or wrote the file is a change
// made when the file was last modified, a record gone is a deletion then,
// a record as it was is no change; the newer change wins, a deletion
// winning a tie. Each save's modification time is set to the fake clock's,
// so that "when the file was last modified" is the history's time.
//
// Replay a failing history with the seed it prints:
//
//	go test -run 'TestNoTimesModel$' -sync.seed=SEED -sync.histories=1 -v

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// ntView is what the test compares of a cookie.
type ntView struct {
	Value            string
	Secure, HttpOnly bool
	Expires          int64 // Unix seconds, 0 for a session cookie
}

func ntViewOf(c *Cookie) ntView {
	v := ntView{Value: c.Value, Secure: c.Secure, HttpOnly: c.HttpOnly}
	if !c.Expires.IsZero() {
		v.Expires = c.Expires.Unix()
	}
	return v
}

// ntChange is a set (view) or a deletion (gone) at a change time.
type ntChange struct {
	view ntView
	gone bool
	at   time.Time
}

// newerThan is the merge rule: the later change; at the same time a
// deletion over a set. Two sets at one time do not happen here (every
// operation has its own instant) except a record and the jar's own copy
// of it, which are alike.
func (a ntChange) newerThan(b ntChange) bool {
	if !a.at.Equal(b.at) {
		return a.at.After(b.at)
	}
	return a.gone && !b.gone
}

// ntJar is the reference's jar: its cookies, the deletions it made or
// took, and what the file held when it last read or wrote it.
type ntJar struct {
	state  map[smID]ntChange // sets and deletions
	held   map[smID]ntChange // nil before the first read or write
	synced bool
}

// ntRef is the reference: the file and the jars.
type ntRef struct {
	file    map[smID]ntView
	modTime time.Time
	jars    []*ntJar
}

// fileChanges is what the file says to jar j at the merge.
func (r *ntRef) fileChanges(j *ntJar) map[smID]ntChange {
	out := make(map[smID]ntChange)
	for id, v := range r.file {
		at := r.modTime
		if h, ok := j.held[id]; ok {
			if !h.gone && h.view == v {
				at = h.at // as the jar last saw it: no change
			} else if !at.After(h.at) {
				at = h.at.Add(time.Nanosecond)
			}
		}
		out[id] = ntChange{view: v, at: at}
	}
	for id, h := range j.held {
		if _, ok := r.file[id]; !ok {
			out[id] = ntChange{gone: true, at: later(h.at, r.modTime)}
		}
	}
	return out
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// merge folds the file into jar k; for a save it writes the file.
func (r *ntRef) merge(k int, save bool, now time.Time) {
	j := r.jars[k]
	changes := r.fileChanges(j)
	held := make(map[smID]ntChange)
	for id, f := range changes {
		mine, ok := j.state[id]
		// The jar's copy wins a tie with a record as it last saw it.
		echo := ok && f.at.Equal(mine.at) && !f.gone && !mine.gone
		if !ok || (!echo && f.newerThan(mine)) {
			j.state[id] = f
		}
		if !save && !f.gone {
			held[id] = f
		}
	}
	if save {
		r.file = make(map[smID]ntView)
		for id, c := range j.state {
			if !c.gone {
				r.file[id] = c.view
				held[id] = c
			}
		}
		r.modTime = now
	}
	j.held, j.synced = held, true
}

// ntHistory is one random history.
type ntHistory struct {
	rng     *rand.Rand
	seed    int64
	format  Format
	refused bool
	path    string
	clock   *testClock
	now     time.Time
	jars    []*Jar
	ref     *ntRef
	exists  bool
	log     []string
	failure []string
}

func (h *ntHistory) failf(format string, args ...any) {
	h.failure = append(h.failure, fmt.Sprintf(format, args...))
}

func (h *ntHistory) logf(format string, args ...any) {
	h.log = append(h.log, fmt.Sprintf("t=%s ", smRel(h.now))+fmt.Sprintf(format, args...))
}

var ntFormats = []Format{FormatNetscape, FormatPlaywright, FormatCookieEditor, FormatCDP}

// refusedRecord is a record every jar refuses (a supercookie), which the
// file carries through every save.
func refusedRecord(f Format) string {
	switch f {
	case FormatNetscape:
		return ".co.uk\tTRUE\t/\tFALSE\t0\ttracker\tt\n"
	case FormatPlaywright:
		return `{"cookies":[{"name":"tracker","value":"t","domain":".co.uk","path":"/","expires":-1,"httpOnly":false,"secure":false,"sameSite":"Lax"}],"origins":[]}`
	case FormatCookieEditor:
		return `[{"name":"tracker","value":"t","domain":".co.uk","hostOnly":false,"path":"/","secure":false,"httpOnly":false,"sameSite":"lax","session":true,"storeId":"0"}]`
	}
	return `[{"name":"tracker","value":"t","domain":".co.uk","path":"/","expires":-1,"size":8,"httpOnly":false,"secure":false,"session":true}]`
}

func (h *ntHistory) tick() {
	h.now = h.now.Add(time.Second + time.Duration(h.rng.Int63n(int64(3*time.Hour))))
	h.clock.set(h.now)
}

func (h *ntHistory) randomCookie(k int, n int) Cookie {
	c := Cookie{
		Name:     smNames[h.rng.Intn(len(smNames))],
		Domain:   smDomains[h.rng.Intn(len(smDomains))],
		Path:     smPaths[h.rng.Intn(len(smPaths))],
		HostOnly: h.rng.Intn(2) == 0,
		Secure:   h.rng.Intn(3) == 0,
		HttpOnly: h.rng.Intn(3) == 0,
		Value:    fmt.Sprintf("v%d.%d", k, n),
	}
	if h.rng.Intn(2) == 0 {
		// Whole seconds, as cookies.txt writes them; long after the
		// history ends and within the 400-day cap.
		c.Expires = h.now.Add(time.Duration(20+h.rng.Intn(40)) * 24 * time.Hour).Truncate(time.Second)
	}
	return c
}

func (h *ntHistory) save(k int) {
	err := h.jars[k].ExportFile(context.Background(), h.path, h.format)
	h.logf("jar %d saves: %v", k, err)
	if err != nil && !(h.refused && isFileError(err)) {
		h.failf("jar %d: save: %v", k, err)
		return
	}
	if err := os.Chtimes(h.path, h.now, h.now); err != nil {
		h.failf("chtimes: %v", err)
		return
	}
	h.exists = true
	h.ref.merge(k, true, h.now)
	h.checkFile(fmt.Sprintf("after jar %d saved", k))
}

func isFileError(err error) bool {
	var fe *FileError
	return errors.As(err, &fe)
}

func (h *ntHistory) load(k int) {
	if !h.exists {
		return
	}
	err := h.jars[k].Load(h.path)
	h.logf("jar %d loads: %v", k, err)
	if err != nil && !(h.refused && isFileError(err)) {
		h.failf("jar %d: load: %v", k, err)
		return
	}
	h.ref.merge(k, false, h.now)
}

// checkFile compares the file, as a new jar reads it, with the reference.
func (h *ntHistory) checkFile(when string) {
	j := NewJar(WithLimits(0, 0), WithClock(h.clock.now))
	_ = j.Load(h.path)
	h.compare("file "+when, j.All(), h.ref.file)
}

func (h *ntHistory) compare(what string, got []Cookie, want map[smID]ntView) {
	seen := make(map[smID]bool)
	for _, c := range got {
		id := smIDOf(&c)
		seen[id] = true
		w, ok := want[id]
		switch {
		case !ok:
			h.failf("%s: unexpected %s=%s", what, id, c.Value)
		case ntViewOf(&c) != w:
			h.failf("%s: %s is %+v, want %+v", what, id, ntViewOf(&c), w)
		}
	}
	for id, w := range want {
		if !seen[id] {
			h.failf("%s: missing %s=%s", what, id, w.Value)
		}
	}
}

func ntRun(seed int64, dir string) string {
	rng := rand.New(rand.NewSource(seed))
	h := &ntHistory{
		rng: rng, seed: seed, format: ntFormats[rng.Intn(len(ntFormats))], refused: rng.Intn(2) == 0,
		clock: &testClock{t: smStart}, now: smStart,
		ref: &ntRef{file: map[smID]ntView{}},
	}
	h.path = filepath.Join(dir, fmt.Sprintf("notimes-%d", seed))
	if h.refused {
		if err := os.WriteFile(h.path, []byte(refusedRecord(h.format)), 0o600); err != nil {
			return err.Error()
		}
		_ = os.Chtimes(h.path, h.now, h.now)
		h.exists = true
	}
	n := 2 + rng.Intn(3)
	for range n {
		h.jars = append(h.jars, NewJar(WithLimits(0, 0), WithClock(h.clock.now)))
		h.ref.jars = append(h.ref.jars, &ntJar{state: map[smID]ntChange{}})
	}
	ops := 20 + rng.Intn(41)
	for op := 0; op < ops && len(h.failure) == 0; op++ {
		h.tick()
		k := rng.Intn(n)
		j, rj := h.jars[k], h.ref.jars[k]
		switch p := rng.Intn(100); {
		case p < 35:
			c := h.randomCookie(k, op)
			if err := j.Set(c); err != nil {
				h.failf("set: %v", err)
			}
			h.logf("jar %d sets %s=%s", k, smIDOf(&c), c.Value)
			rj.state[smIDOf(&c)] = ntChange{view: ntViewOf(&c), at: h.now}
		case p < 45:
			d, p, name := smDomains[rng.Intn(len(smDomains))], smPaths[rng.Intn(len(smPaths))], smNames[rng.Intn(len(smNames))]
			j.Delete(d, p, name)
			h.logf("jar %d deletes %s@%s%s", k, name, d, p)
			for _, hostOnly := range []bool{false, true} {
				rj.state[smID{Name: name, Domain: d, HostOnly: hostOnly, Path: p}] = ntChange{gone: true, at: h.now}
			}
		case p < 48:
			j.Clear()
			h.logf("jar %d clears", k)
			for id, c := range rj.state {
				if !c.gone {
					rj.state[id] = ntChange{gone: true, at: h.now}
				}
			}
		case p < 75:
			h.save(k)
		default:
			h.load(k)
		}
	}
	// Every jar saves in turn, then loads: all agree with the reference.
	for k := range h.jars {
		if len(h.failure) == 0 {
			h.tick()
			h.save(k)
		}
	}
	for k := range h.jars {
		if len(h.failure) == 0 {
			h.tick()
			h.load(k)
			h.compare(fmt.Sprintf("jar %d after the final sync", k), h.jars[k].All(), h.ref.file)
		}
	}
	if len(h.failure) == 0 {
		return ""
	}
	data, _ := os.ReadFile(h.path)
	return fmt.Sprintf("seed %d (%s, refused record %v):\nFAILURES:\n  %s\nHISTORY:\n  %s\nFILE:\n%s",
		seed, h.format, h.refused, strings.Join(h.failure, "\n  "), strings.Join(h.log, "\n  "), data)
}

// TestNoTimesModel plays random histories of several jars sharing a file
// in each format without change times: no deleted cookie comes back, no
// change is lost, against the reference above, also beside a record every
// jar refuses.
func TestNoTimesModel(t *testing.T) {
	dir := smDir(t)
	seed, rep := runSeeds(t, smHistoryCount(1000, 3000), smWorkers(), func(_ int, seed int64) string {
		return ntRun(seed, dir)
	})
	if rep != "" {
		t.Fatalf("history with seed %d failed (replay: go test -run '^%s$' -sync.seed=%d -sync.histories=1 -v)\n\n%s", seed, t.Name(), seed, rep)
	}
}
