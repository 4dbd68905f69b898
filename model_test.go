package httpsession

// Model-based tests of the file model: jars that share one cookie file,
// driven by random histories and checked against a reference model in which
// the newest change to each cookie identity wins everywhere.
//
// Replay a failing history with the seed it prints:
//
//	go test -run 'TestSyncModel$' -sync.seed=SEED -sync.histories=1 -v

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	smHistoriesFlag = flag.Int("sync.histories", 0, "histories for TestSyncModel and TestSyncModelTies (0: the test's default, smaller with -short)")
	smSeedFlag      = flag.Int64("sync.seed", 0, "seed of the first history; history i uses seed+i (0: from the time)")
)

// smStart is the fake clock's starting point in every history.
var smStart = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// smClock is the fake clock the jars of one history share.
type smClock = testClock

// smID is a cookie's identity (unpartitioned cookies only).
type smID struct {
	Name, Domain string
	HostOnly     bool
	Path         string
}

func smIDOf(c *Cookie) smID {
	return smID{Name: c.Name, Domain: c.Domain, HostOnly: c.HostOnly, Path: c.Path}
}

func (id smID) String() string {
	h := ""
	if id.HostOnly {
		h = "(host)"
	}
	return fmt.Sprintf("%s@%s%s%s", id.Name, id.Domain, h, id.Path)
}

// smChange is the newest change to one identity in the model.
type smChange struct {
	at      time.Time
	deleted bool
	cookie  Cookie // the cookie set, for a set
	jar, op int    // who made it, for failure reports
}

// smModel is the reference: the newest change to each identity.
type smModel map[smID]smChange

// live returns the cookies the model says exist at now.
func (m smModel) live(now time.Time) map[smID]Cookie {
	out := make(map[smID]Cookie)
	for id, ch := range m {
		if ch.deleted {
			continue
		}
		if !ch.cookie.Expires.IsZero() && !now.Before(ch.cookie.Expires) {
			continue
		}
		out[id] = ch.cookie
	}
	return out
}

// smOp is one operation on one jar. The same type is sent to child
// processes as JSON (model_process_test.go).
type smOp struct {
	Kind      string    `json:"kind"`
	Now       time.Time `json:"now"`
	Cookie    *Cookie   `json:"cookie,omitempty"`
	Domain    string    `json:"domain,omitempty"`
	Path      string    `json:"path,omitempty"`
	Name      string    `json:"name,omitempty"`
	File      string    `json:"file,omitempty"`
	PerDomain int       `json:"perDomain,omitempty"`
	Total     int       `json:"total,omitempty"`
	WantAll   bool      `json:"wantAll,omitempty"` // answer with All() after the operation
}

// smResult is the outcome of an smOp.
type smResult struct {
	Err       string   `json:"err,omitempty"`
	NotExist  bool     `json:"notExist,omitempty"`  // Err satisfies errors.Is(err, fs.ErrNotExist)
	FileError bool     `json:"fileError,omitempty"` // Err is a *FileError
	OK        bool     `json:"ok,omitempty"`        // Delete's result
	N         int      `json:"n,omitempty"`         // DeleteDomain's and ClearSession's result
	Before    []Cookie `json:"before,omitempty"`    // All() just before Clear, DeleteDomain, ClearSession
	After     []Cookie `json:"after,omitempty"`     // All() after the operation, with WantAll
}

// smExec runs op on j, whose clock the caller has set to op.Now.
func smExec(j *Jar, op smOp) smResult {
	var r smResult
	var err error
	switch op.Kind {
	case "set":
		err = j.Set(*op.Cookie)
	case "delete":
		r.OK = j.Delete(op.Domain, op.Path, op.Name)
	case "deleteDomain":
		r.Before = j.All()
		r.N = j.DeleteDomain(op.Domain)
	case "clear":
		r.Before = j.All()
		j.Clear()
	case "clearSession":
		r.Before = j.All()
		r.N = j.ClearSession()
	case "save":
		err = j.Save(op.File)
	case "load":
		err = j.Load(op.File)
	case "all":
		r.After = j.All()
	default:
		err = fmt.Errorf("unknown operation %q", op.Kind)
	}
	if err != nil {
		r.Err = err.Error()
		r.NotExist = errors.Is(err, fs.ErrNotExist)
		var fe *FileError
		r.FileError = errors.As(err, &fe)
	}
	if op.WantAll && op.Kind != "all" {
		r.After = j.All()
	}
	return r
}

// smJar is a jar of a history: in this process or in a child process.
type smJar interface {
	do(op smOp) (smResult, error) // the error is the transport's, never the jar's
}

// smLocalJar is a jar in this process, on the history's shared clock.
type smLocalJar struct {
	j     *Jar
	clock *smClock
}

func (l *smLocalJar) do(op smOp) (smResult, error) {
	l.clock.set(op.Now)
	return smExec(l.j, op), nil
}

// smConfig shapes a history.
type smConfig struct {
	ties bool // the clock sometimes stands still between operations
	// forget: the jars remember few tombstones (WithTombstoneLimits), and
	// the file is edited by hand now and then (model_forget_test.go).
	forget bool
	// newJars makes n jars with these limits on file, sharing clock when
	// they live in this process.
	newJars func(limits [][2]int, file string, clock *smClock) ([]smJar, error)
}

func smLocalJars(limits [][2]int, _ string, clock *smClock) ([]smJar, error) {
	jars := make([]smJar, len(limits))
	for i, l := range limits {
		jars[i] = &smLocalJar{j: NewJar(WithClock(clock.now), WithLimits(l[0], l[1])), clock: clock}
	}
	return jars, nil
}

// smHistory is one random history and its reference model.
type smHistory struct {
	cfg     smConfig
	seed    int64
	rng     *rand.Rand
	trace   bool // after every operation, log the jar's cookies (calls All, which purges expired cookies)
	clock   *smClock
	now     time.Time
	file    string
	jars    []smJar
	limits  [][2]int
	model   smModel
	saved   bool // a save has succeeded, so the file exists
	opN     int
	opLine  int // the log line of the last operation
	log     []string
	prev    [][]Cookie // per jar, its cookies at the last trace
	failure []string
	ever    map[smID]map[string]bool // forget: every value set for an identity
}

var (
	smNames   = []string{"sid", "a", "b", "c"}
	smDomains = []string{"a.test", "x.a.test", "b.test"}
	smPaths   = []string{"/", "/p"}
)

func (h *smHistory) failf(format string, args ...any) {
	h.failure = append(h.failure, fmt.Sprintf(format, args...))
}

// rel shows a time relative to the start of the history.
func smRel(t time.Time) string {
	if t.IsZero() {
		return "session"
	}
	return "+" + t.Sub(smStart).String()
}

func smFmt(c *Cookie) string {
	var b strings.Builder
	b.WriteString(smIDOf(c).String())
	b.WriteString("=")
	b.WriteString(c.Value)
	if c.Secure {
		b.WriteString(" Secure")
	}
	if c.HttpOnly {
		b.WriteString(" HttpOnly")
	}
	b.WriteString(" exp=")
	b.WriteString(smRel(c.Expires))
	return b.String()
}

func (h *smHistory) jarName(k int) string {
	if k < 0 {
		return "a hand edit of the file"
	}
	l := h.limits[k]
	if l[0] == 0 && l[1] == 0 {
		return fmt.Sprintf("jar%d[unlimited]", k)
	}
	return fmt.Sprintf("jar%d[limits %d/%d]", k, l[0], l[1])
}

// logDurRange returns a duration between lo and hi, uniform in its logarithm.
func (h *smHistory) logDur(lo, hi time.Duration) time.Duration {
	x := math.Log(float64(lo)) + h.rng.Float64()*(math.Log(float64(hi))-math.Log(float64(lo)))
	return time.Duration(math.Exp(x))
}

// advance moves the clock on before an operation: strictly, unless ties are
// allowed and this time it stands still. The whole history stays well
// within the 400 days deletions are remembered for.
func (h *smHistory) advance() {
	if h.cfg.ties && h.rng.Intn(3) == 0 {
		return
	}
	var d time.Duration
	switch elapsed := h.now.Sub(smStart); {
	case elapsed < 50*24*time.Hour && h.rng.Intn(50) == 0:
		d = 24 * time.Hour
	default:
		d = h.logDur(time.Millisecond, 3*time.Hour)
	}
	h.now = h.now.Add(max(d, time.Millisecond))
}

// run does one operation on jar k at the current time and logs it.
func (h *smHistory) run(k int, op smOp, what string) (smResult, bool) {
	op.Now = h.now
	op.WantAll = h.trace
	h.opN++
	r, err := h.jars[k].do(op)
	line := fmt.Sprintf("#%d t=%s %s %s", h.opN, smRel(h.now), h.jarName(k), what)
	if err != nil {
		h.log = append(h.log, line+" -> TRANSPORT ERROR: "+err.Error())
		h.opLine = len(h.log) - 1
		h.failf("op #%d: %v", h.opN, err)
		return r, false
	}
	if r.Err != "" {
		line += " -> error: " + r.Err
	}
	h.log = append(h.log, line)
	h.opLine = len(h.log) - 1
	if h.trace {
		h.traceJar(k, r.After)
	}
	return r, true
}

// traceJar logs how jar k's cookies changed since its last trace.
func (h *smHistory) traceJar(k int, now []Cookie) {
	before := make(map[smID]Cookie)
	for _, c := range h.prev[k] {
		before[smIDOf(&c)] = c
	}
	after := make(map[smID]Cookie)
	for _, c := range now {
		after[smIDOf(&c)] = c
	}
	var lines []string
	for id, c := range after {
		if o, ok := before[id]; !ok {
			lines = append(lines, "      jar +"+smFmt(&c))
		} else if smView(&o) != smView(&c) {
			lines = append(lines, "      jar ~"+smFmt(&c)+" (was "+o.Value+" exp="+smRel(o.Expires)+")")
		}
	}
	for id, c := range before {
		if _, ok := after[id]; !ok {
			lines = append(lines, "      jar -"+smFmt(&c))
		}
	}
	slices.Sort(lines)
	h.log = append(h.log, lines...)
	h.prev[k] = now
}

func (h *smHistory) note(format string, args ...any) {
	h.log = append(h.log, "      model: "+fmt.Sprintf(format, args...))
}

// record makes a change in the model.
func (h *smHistory) record(id smID, k int, deleted bool, c Cookie) {
	h.model[id] = smChange{at: h.now, deleted: deleted, cookie: c, jar: k, op: h.opN}
	if !deleted && h.ever != nil {
		if h.ever[id] == nil {
			h.ever[id] = make(map[string]bool)
		}
		h.ever[id][c.Value] = true
	}
}

// randomCookie returns a cookie of the universe with a unique value.
func (h *smHistory) randomCookie(k int) Cookie {
	c := Cookie{
		Name:     smNames[h.rng.Intn(len(smNames))],
		Domain:   smDomains[h.rng.Intn(len(smDomains))],
		Path:     smPaths[h.rng.Intn(len(smPaths))],
		HostOnly: h.rng.Intn(2) == 0,
		Secure:   h.rng.Intn(3) == 0,
		HttpOnly: h.rng.Intn(3) == 0,
		Value:    fmt.Sprintf("v%d.%d", k, h.opN+1),
	}
	switch p := h.rng.Intn(100); {
	case p < 35: // session cookie
	case p < 45: // already expired: deletes
		c.Expires = h.now.Add(-h.logDur(time.Millisecond, 24*time.Hour))
	case p < 48: // expires right now: deletes
		c.Expires = h.now
	case p < 60: // expires soon, often before the next operation
		c.Expires = h.now.Add(h.logDur(time.Millisecond, 10*time.Minute))
	default:
		c.Expires = h.now.Add(h.logDur(time.Second, 4*24*time.Hour))
	}
	return c
}

// step does one random operation.
func (h *smHistory) step() {
	h.advance()
	k := h.rng.Intn(len(h.jars))
	switch p := h.rng.Intn(100); {
	case p < 42:
		h.doSet(k, h.randomCookie(k))
	case p < 50:
		h.doDelete(k, smDomains[h.rng.Intn(len(smDomains))], smPaths[h.rng.Intn(len(smPaths))], smNames[h.rng.Intn(len(smNames))])
	case p < 54:
		d := smDomains[h.rng.Intn(len(smDomains))]
		if h.rng.Intn(10) == 0 {
			d = "test"
		}
		h.doDeleteDomain(k, d)
	case p < 56:
		h.doClear(k)
	case p < 60:
		h.doClearSession(k)
	case p < 77:
		h.doSave(k)
	case p < 94:
		h.doLoad(k)
	case h.cfg.forget && p >= 94 && p < 97:
		h.doEdit()
	default:
		// A jump of the clock that makes cookies expire.
		if h.now.Sub(smStart) < 60*24*time.Hour {
			h.now = h.now.Add(h.logDur(time.Minute, 2*24*time.Hour))
		}
		h.log = append(h.log, fmt.Sprintf("   clock jumps to t=%s", smRel(h.now)))
	}
}

func (h *smHistory) doSet(k int, c Cookie) {
	r, ok := h.run(k, smOp{Kind: "set", Cookie: &c}, "Set "+smFmt(&c))
	if !ok {
		return
	}
	if r.Err != "" {
		h.failf("op #%d: Set %s: %s", h.opN, smFmt(&c), r.Err)
		return
	}
	id := smIDOf(&c)
	if !c.Expires.IsZero() && !c.Expires.After(h.now) {
		h.record(id, k, true, Cookie{})
		h.note("%s deleted (set already expired)", id)
		return
	}
	h.record(id, k, false, c)
	h.note("%s set", id)
}

func (h *smHistory) doDelete(k int, domain, path, name string) {
	r, ok := h.run(k, smOp{Kind: "delete", Domain: domain, Path: path, Name: name},
		fmt.Sprintf("Delete(%q, %q, %q)", domain, path, name))
	if !ok {
		return
	}
	for _, hostOnly := range []bool{false, true} {
		id := smID{Name: name, Domain: domain, HostOnly: hostOnly, Path: path}
		h.record(id, k, true, Cookie{})
		h.note("%s deleted", id)
	}
	h.log[h.opLine] += fmt.Sprintf(" -> %v", r.OK)
}

// deleteHeld records the deletion of the cookies in before for which match
// is true, and checks the count the jar returned.
func (h *smHistory) deleteHeld(k int, what string, r smResult, n int, match func(*Cookie) bool) {
	count := 0
	for _, c := range r.Before {
		if !match(&c) {
			continue
		}
		count++
		id := smIDOf(&c)
		h.record(id, k, true, Cookie{})
		h.note("%s deleted", id)
	}
	if n >= 0 && n != count {
		h.failf("op #%d: %s returned %d, but the jar held %d such cookies just before", h.opN, what, n, count)
	}
}

func (h *smHistory) doDeleteDomain(k int, d string) {
	r, ok := h.run(k, smOp{Kind: "deleteDomain", Domain: d}, fmt.Sprintf("DeleteDomain(%q)", d))
	if !ok {
		return
	}
	h.log[h.opLine] += fmt.Sprintf(" -> %d", r.N)
	h.deleteHeld(k, "DeleteDomain", r, r.N, func(c *Cookie) bool {
		return c.Domain == d || strings.HasSuffix(c.Domain, "."+d)
	})
}

func (h *smHistory) doClear(k int) {
	r, ok := h.run(k, smOp{Kind: "clear"}, "Clear()")
	if !ok {
		return
	}
	h.deleteHeld(k, "Clear", r, -1, func(*Cookie) bool { return true })
}

func (h *smHistory) doClearSession(k int) {
	r, ok := h.run(k, smOp{Kind: "clearSession"}, "ClearSession()")
	if !ok {
		return
	}
	h.log[h.opLine] += fmt.Sprintf(" -> %d", r.N)
	h.deleteHeld(k, "ClearSession", r, r.N, func(c *Cookie) bool { return c.Expires.IsZero() })
}

func (h *smHistory) doSave(k int) {
	r, ok := h.run(k, smOp{Kind: "save", File: h.file}, "Save")
	if !ok {
		return
	}
	if r.Err != "" {
		h.failf("op #%d: Save: %s", h.opN, r.Err)
		return
	}
	h.saved = true
}

func (h *smHistory) doLoad(k int) {
	r, ok := h.run(k, smOp{Kind: "load", File: h.file}, "Load")
	if !ok {
		return
	}
	if r.Err != "" && !(r.NotExist && !h.saved) {
		h.failf("op #%d: Load: %s", h.opN, r.Err)
	}
}

// all returns jar k's cookies now, without moving the clock.
func (h *smHistory) all(k int) ([]Cookie, bool) {
	r, err := h.jars[k].do(smOp{Kind: "all", Now: h.now})
	if err != nil {
		h.failf("All of %s: %v", h.jarName(k), err)
		return nil, false
	}
	return r.After, true
}

// smView is what the model test compares of a cookie besides its identity.
type smCookieView struct {
	Value            string
	Secure, HttpOnly bool
	Expires          string
}

func smView(c *Cookie) smCookieView {
	v := smCookieView{Value: c.Value, Secure: c.Secure, HttpOnly: c.HttpOnly}
	if !c.Expires.IsZero() {
		v.Expires = c.Expires.UTC().Format(time.RFC3339Nano)
	}
	return v
}

// smDiff compares a jar's cookies with the cookies it should hold: exactly
// those, or (subset) some of them. It returns one line per difference.
func (h *smHistory) smDiff(got []Cookie, want map[smID]Cookie, subset bool) []string {
	var diffs []string
	seen := make(map[smID]bool)
	for _, c := range got {
		id := smIDOf(&c)
		if seen[id] {
			diffs = append(diffs, "duplicate "+smFmt(&c))
			continue
		}
		seen[id] = true
		w, ok := want[id]
		switch {
		case !ok:
			diffs = append(diffs, "unexpected "+smFmt(&c)+"; model: "+h.describe(id))
		case smView(&w) != smView(&c):
			diffs = append(diffs, "wrong "+smFmt(&c)+"; model: "+h.describe(id))
		}
	}
	if !subset {
		for id := range want {
			if !seen[id] {
				diffs = append(diffs, "missing "+id.String()+"; model: "+h.describe(id))
			}
		}
	}
	slices.Sort(diffs)
	return diffs
}

// describe tells what the model knows of id.
func (h *smHistory) describe(id smID) string {
	ch, ok := h.model[id]
	if !ok {
		return "never set"
	}
	who := fmt.Sprintf("op #%d at t=%s in %s", ch.op, smRel(ch.at), h.jarName(ch.jar))
	if ch.deleted {
		return "deleted by " + who
	}
	s := smFmt(&ch.cookie) + " set by " + who
	if !ch.cookie.Expires.IsZero() && !h.now.Before(ch.cookie.Expires) {
		s += " (expired)"
	}
	return s
}

// sync saves every jar in turn, then loads the file into every jar.
func (h *smHistory) sync() {
	h.log = append(h.log, "   --- final sync ---")
	for k := range h.jars {
		h.advance()
		h.doSave(k)
	}
	for k := range h.jars {
		h.advance()
		h.doLoad(k)
	}
}

// freshLoad loads the file into a new unlimited jar at the current time.
func (h *smHistory) freshLoad() ([]Cookie, bool) {
	now := h.now
	j := NewJar(WithLimits(0, 0), WithClock(func() time.Time { return now }))
	if err := j.Load(h.file); err != nil {
		h.failf("a fresh jar cannot load the file: %v", err)
		return nil, false
	}
	return j.All(), true
}

// checkModel checks every jar and the file against the model.
func (h *smHistory) checkModel() {
	want := h.model.live(h.now)
	if got, ok := h.freshLoad(); ok {
		for _, d := range h.smDiff(got, want, false) {
			h.failf("file (fresh unlimited jar loading it): %s", d)
		}
	}
	for k := range h.jars {
		got, ok := h.all(k)
		if !ok {
			continue
		}
		limited := h.limits[k] != [2]int{}
		for _, d := range h.smDiff(got, want, limited) {
			h.failf("%s: %s", h.jarName(k), d)
		}
	}
}

// checkConvergence checks that the unlimited jars and the file agree.
func (h *smHistory) checkConvergence() {
	ref, ok := h.freshLoad()
	if !ok {
		return
	}
	want := make(map[smID]Cookie, len(ref))
	for _, c := range ref {
		want[smIDOf(&c)] = c
	}
	for k := range h.jars {
		if h.limits[k] != [2]int{} {
			continue
		}
		got, ok := h.all(k)
		if !ok {
			continue
		}
		for _, d := range h.smDiff(got, want, false) {
			h.failf("%s differs from the file: %s", h.jarName(k), d)
		}
	}
}

// smRun plays the history of seed in dir. It returns a report of what went
// wrong, or "" if nothing did.
func smRun(seed int64, dir string, cfg smConfig, trace bool) string {
	rng := rand.New(rand.NewSource(seed))
	h := &smHistory{
		cfg:   cfg,
		seed:  seed,
		rng:   rng,
		trace: trace,
		clock: &smClock{t: smStart},
		now:   smStart,
		file:  filepath.Join(dir, fmt.Sprintf("cookies-%d.json", seed)),
		model: make(smModel),
	}
	if cfg.forget {
		h.ever = make(map[smID]map[string]bool)
	}
	if trace {
		h.file = filepath.Join(dir, fmt.Sprintf("cookies-%d-trace.json", seed))
	}
	n := 2 + rng.Intn(3)
	for range n {
		if rng.Intn(2) == 0 {
			h.limits = append(h.limits, [2]int{})
		} else {
			h.limits = append(h.limits, [2]int{3 + rng.Intn(8), 5 + rng.Intn(26)})
		}
	}
	h.prev = make([][]Cookie, n)
	ops := 20 + rng.Intn(41)
	var err error
	if h.jars, err = cfg.newJars(h.limits, h.file, h.clock); err != nil {
		return fmt.Sprintf("seed %d: making the jars: %v", seed, err)
	}
	for range ops {
		h.step()
		if len(h.failure) > 0 {
			break
		}
	}
	if len(h.failure) == 0 {
		h.sync()
	}
	if len(h.failure) == 0 && cfg.forget {
		// A jar that forgot a deletion may bring an older copy back in the
		// first round, and one that remembers it deletes it again in the
		// second.
		h.sync()
	}
	if len(h.failure) == 0 {
		switch {
		case cfg.forget:
			h.checkForgetting()
			h.checkConvergence()
		case cfg.ties:
			h.checkConvergence()
		default:
			h.checkModel()
		}
	}
	if len(h.failure) == 0 {
		return ""
	}
	return h.report()
}

func (h *smHistory) report() string {
	var b strings.Builder
	fmt.Fprintf(&b, "seed %d (ties %v, trace %v): %d jars on one file, clock starts at %s\n",
		h.seed, h.cfg.ties, h.trace, len(h.jars), smStart.Format(time.RFC3339))
	b.WriteString("FAILURES:\n")
	for _, f := range h.failure {
		b.WriteString("  " + f + "\n")
	}
	b.WriteString("HISTORY:\n")
	for _, l := range h.log {
		b.WriteString("  " + l + "\n")
	}
	fmt.Fprintf(&b, "MODEL at t=%s (newest change per identity):\n", smRel(h.now))
	ids := make([]smID, 0, len(h.model))
	for id := range h.model {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b smID) int { return strings.Compare(a.String(), b.String()) })
	for _, id := range ids {
		b.WriteString("  " + id.String() + ": " + h.describe(id) + "\n")
	}
	if data, err := os.ReadFile(h.file); err == nil {
		b.WriteString("FILE:\n")
		b.Write(data)
	} else {
		fmt.Fprintf(&b, "FILE: %v\n", err)
	}
	return b.String()
}

// smHistoryCount returns how many histories a test plays: the flag's
// number, or short or long as -short says, a third of it under the race
// detector.
func smHistoryCount(short, long int) int {
	if *smHistoriesFlag > 0 {
		return *smHistoriesFlag
	}
	n := long
	if testing.Short() {
		n = short
	}
	if raceEnabled {
		n /= 3
	}
	return n
}

// smDir returns a directory for the histories' files: in memory (/dev/shm)
// where the system has one, so that thousands of saves do not wait for a
// disk's fsync, and under t.TempDir otherwise.
func smDir(t *testing.T) string {
	t.Helper()
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		if dir, err := os.MkdirTemp("/dev/shm", "httpsession-model-"); err == nil {
			t.Cleanup(func() { _ = os.RemoveAll(dir) })
			return dir
		}
	}
	return t.TempDir()
}

// smWorkers is how many histories run at once: more than the processors,
// since saves spend much of their time waiting for the disk (fsync).
func smWorkers() int { return 4 * runtime.GOMAXPROCS(0) }

// smRunMany plays count histories on workers, cfgs[w] being worker w's
// configuration, and stops at the first failure, which it reports with a
// traced replay of the same seed.
func smRunMany(t *testing.T, count int, cfgs []smConfig) {
	t.Helper()
	dir := smDir(t)
	firstSeed, first := runSeeds(t, count, len(cfgs), func(w int, seed int64) string {
		return smRun(seed, dir, cfgs[w], false)
	})
	if first == "" {
		return
	}
	traced := smRun(firstSeed, dir, cfgs[0], true)
	if traced == "" {
		traced = "(the traced replay passed: the extra All calls of tracing hid the failure)"
	}
	t.Fatalf("history with seed %d failed (replay: go test -run '^%s$' -sync.seed=%d -sync.histories=1 -v)\n\n%s\n=== TRACED REPLAY (jar contents after each operation) ===\n%s",
		firstSeed, t.Name(), firstSeed, first, traced)
}

// runSeeds plays count histories, from the -sync.seed flag's seed or one
// from the time, on workers goroutines (run gets its worker's number), and
// stops at the first failure: it returns its seed and report, or "".
func runSeeds(t *testing.T, count, workers int, run func(w int, seed int64) string) (int64, string) {
	t.Helper()
	base := *smSeedFlag
	if base == 0 {
		base = time.Now().UnixNano() % 1e12
	}
	t.Logf("seed %d, %d histories (replay one: -sync.seed=SEED -sync.histories=1)", base, count)
	var next atomic.Int64
	var failed atomic.Bool
	var mu sync.Mutex
	var firstSeed int64
	var first string
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !failed.Load() {
				i := next.Add(1) - 1
				if i >= int64(count) {
					return
				}
				seed := base + i
				if rep := run(w, seed); rep != "" {
					mu.Lock()
					if !failed.Load() {
						first, firstSeed = rep, seed
						failed.Store(true)
					}
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	return firstSeed, first
}

// smLocalConfigs returns the configurations of workers whose jars live in
// this process.
func smLocalConfigs(ties bool) []smConfig {
	cfgs := make([]smConfig, smWorkers())
	for i := range cfgs {
		cfgs[i] = smConfig{ties: ties, newJars: smLocalJars}
	}
	return cfgs
}

// TestSyncModel checks the file model against a reference model: for each
// cookie identity the newest change, set or deletion, wins in every jar and
// in the file, whatever order the jars save and load in, and whatever
// their limits made them forget.
func TestSyncModel(t *testing.T) {
	smRunMany(t, smHistoryCount(2000, 5000), smLocalConfigs(false))
}

// TestSyncModelTies runs histories in which several operations share one
// instant. Which of two changes made at the same instant wins is not
// specified, but the jars and the file must agree on it after a sync.
func TestSyncModelTies(t *testing.T) {
	smRunMany(t, smHistoryCount(500, 2000), smLocalConfigs(true))
}

// smCookieNames lists a jar's cookies as "name=value".
func smCookieNames(cookies []Cookie) []string {
	out := make([]string, len(cookies))
	for i, c := range cookies {
		out[i] = c.Name + "=" + c.Value
	}
	return out
}

// TestSyncCausalityWithSkewedClocks: a change made after seeing another
// wins over it, whatever the wall clocks of the two jars say.
func TestSyncCausalityWithSkewedClocks(t *testing.T) {
	type pair struct {
		clockA, clockB *smClock
		a, b           *Jar
		file           string
	}
	setup := func(t *testing.T) pair {
		p := pair{
			clockA: &smClock{t: smStart.Add(5 * time.Hour)},
			clockB: &smClock{t: smStart}, // five hours behind A
			file:   filepath.Join(t.TempDir(), "cookies.json"),
		}
		p.a = NewJar(WithClock(p.clockA.now), WithLimits(0, 0))
		p.b = NewJar(WithClock(p.clockB.now), WithLimits(0, 0))
		return p
	}
	tick := func(p pair) {
		p.clockA.set(p.clockA.now().Add(time.Minute))
		p.clockB.set(p.clockB.now().Add(time.Minute))
	}
	fileCookies := func(t *testing.T, p pair) []string {
		t.Helper()
		j := NewJar(WithClock(p.clockA.now), WithLimits(0, 0))
		require.NoError(t, j.Load(p.file))
		return smCookieNames(j.All())
	}
	sid := func(value string) Cookie {
		return Cookie{Name: "sid", Value: value, Domain: "a.test", Path: "/", HostOnly: true}
	}

	t.Run("delete after seeing a set made later by the wall clock", func(t *testing.T) {
		p := setup(t)
		require.NoError(t, p.a.Set(sid("a1")))
		require.NoError(t, p.a.Save(p.file))
		tick(p)
		require.NoError(t, p.b.Load(p.file))
		require.Equal(t, []string{"sid=a1"}, smCookieNames(p.b.All()), "B loaded A's cookie")
		tick(p)
		assert.True(t, p.b.Delete("a.test", "/", "sid"), "B deletes sid at a wall time before A set it")
		require.NoError(t, p.b.Save(p.file))
		tick(p)
		require.NoError(t, p.a.Load(p.file))
		assert.Empty(t, smCookieNames(p.a.All()), "A: B's deletion came after B saw A's set")
		assert.Empty(t, smCookieNames(p.b.All()), "B")
		assert.Empty(t, fileCookies(t, p), "file")

		// And it stays so through further saves and loads in either order.
		tick(p)
		require.NoError(t, p.a.Save(p.file))
		require.NoError(t, p.b.Save(p.file))
		require.NoError(t, p.b.Load(p.file))
		require.NoError(t, p.a.Load(p.file))
		assert.Empty(t, smCookieNames(p.a.All()), "A after more syncs")
		assert.Empty(t, smCookieNames(p.b.All()), "B after more syncs")
		assert.Empty(t, fileCookies(t, p), "file after more syncs")
	})

	t.Run("set after seeing a deletion made later by the wall clock", func(t *testing.T) {
		p := setup(t)
		require.NoError(t, p.a.Set(sid("a1")))
		require.NoError(t, p.a.Save(p.file))
		tick(p)
		assert.True(t, p.a.Delete("a.test", "/", "sid"))
		require.NoError(t, p.a.Save(p.file))
		tick(p)
		require.NoError(t, p.b.Load(p.file))
		assert.Empty(t, smCookieNames(p.b.All()), "B loaded A's deletion")
		tick(p)
		require.NoError(t, p.b.Set(sid("b2")), "B sets sid again at a wall time before A deleted it")
		require.NoError(t, p.b.Save(p.file))
		tick(p)
		require.NoError(t, p.a.Load(p.file))
		assert.Equal(t, []string{"sid=b2"}, smCookieNames(p.a.All()), "A: B's set came after B saw A's deletion")
		assert.Equal(t, []string{"sid=b2"}, smCookieNames(p.b.All()), "B")
		assert.Equal(t, []string{"sid=b2"}, fileCookies(t, p), "file")

		tick(p)
		require.NoError(t, p.a.Save(p.file))
		require.NoError(t, p.b.Save(p.file))
		require.NoError(t, p.b.Load(p.file))
		require.NoError(t, p.a.Load(p.file))
		assert.Equal(t, []string{"sid=b2"}, smCookieNames(p.a.All()), "A after more syncs")
		assert.Equal(t, []string{"sid=b2"}, smCookieNames(p.b.All()), "B after more syncs")
		assert.Equal(t, []string{"sid=b2"}, fileCookies(t, p), "file after more syncs")
	})
}
