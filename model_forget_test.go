package httpsession

// The model test with forgetting: jars that remember only a few tombstones,
// and a file edited by hand now and then. A forgotten deletion may let an
// older copy come back, and nothing else may: the newest set of every
// cookie is never lost, a cookie that comes back holds a value it was once
// set to, a hand edit is the newest change, every copy converges, and the
// file never holds more tombstones than the jars remember.

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// smTombLimit is how many tombstones the jars of a forgetting history
// remember: far fewer than the identities of the universe.
const smTombLimit = 4

func smForgetJars(limits [][2]int, _ string, clock *smClock) ([]smJar, error) {
	jars := make([]smJar, len(limits))
	for i, l := range limits {
		j := NewJar(WithClock(clock.now), WithLimits(l[0], l[1]), WithTombstoneLimits(smTombLimit, 0))
		jars[i] = &smLocalJar{j: j, clock: clock}
	}
	return jars, nil
}

// doEdit edits the value of one cookie of the file by hand, as a person
// would, leaving its change time as it was, after every jar has read the
// file; then every jar reads it again. The edit is a change made when the
// file was modified (its modification time is set to the history's clock).
func (h *smHistory) doEdit() {
	if !h.saved {
		return
	}
	for k := range h.jars {
		h.advance()
		h.doLoad(k)
	}
	h.advance()
	j := NewJar(WithLimits(0, 0), WithClock(func() time.Time { return h.now }))
	if err := j.Load(h.file); err != nil {
		h.failf("edit: loading the file: %v", err)
		return
	}
	all := j.All()
	if len(all) == 0 {
		return
	}
	c := all[h.rng.Intn(len(all))]
	data, err := os.ReadFile(h.file)
	if err != nil {
		h.failf("edit: %v", err)
		return
	}
	h.opN++
	old := []byte(`"value":"` + c.Value + `"`)
	if bytes.Count(data, old) != 1 {
		return // the value is not one record's alone
	}
	c.Value = fmt.Sprintf("e%d", h.opN)
	data = bytes.Replace(data, old, []byte(`"value":"`+c.Value+`"`), 1)
	if err := os.WriteFile(h.file, data, 0o600); err != nil {
		h.failf("edit: %v", err)
		return
	}
	if err := os.Chtimes(h.file, h.now, h.now); err != nil {
		h.failf("edit: %v", err)
		return
	}
	h.log = append(h.log, fmt.Sprintf("#%d t=%s the file is edited by hand: %s", h.opN, smRel(h.now), smFmt(&c)))
	h.record(smIDOf(&c), -1, false, c)
	for k := range h.jars {
		h.advance()
		h.doLoad(k)
	}
}

// checkForgetting checks the file and the unlimited jars against the model
// as far as forgetting lets it say.
func (h *smHistory) checkForgetting() {
	data, err := os.ReadFile(h.file)
	if err == nil {
		if n := strings.Count(string(data), `"deleted":"`); n > smTombLimit {
			h.failf("the file holds %d tombstones; the jars remember %d", n, smTombLimit)
		}
	}
	live := h.model.live(h.now)
	check := func(who string, got []Cookie) {
		seen := make(map[smID]bool)
		for _, c := range got {
			id := smIDOf(&c)
			seen[id] = true
			if w, ok := live[id]; ok {
				if smView(&w) != smView(&c) {
					h.failf("%s: wrong %s; model: %s", who, smFmt(&c), h.describe(id))
				}
				continue
			}
			if !h.ever[id][c.Value] {
				h.failf("%s: %s holds a value never set for it; model: %s", who, smFmt(&c), h.describe(id))
			}
		}
		for id := range live {
			if !seen[id] {
				h.failf("%s: missing %s, the newest change; model: %s", who, id, h.describe(id))
			}
		}
	}
	if got, ok := h.freshLoad(); ok {
		check("file (fresh unlimited jar loading it)", got)
	}
	for k := range h.jars {
		if h.limits[k] != [2]int{} {
			continue
		}
		if got, ok := h.all(k); ok {
			check(h.jarName(k), got)
		}
	}
}

// TestSyncModelForgetting runs random histories of jars that remember at
// most four tombstones, with hand edits of the file.
func TestSyncModelForgetting(t *testing.T) {
	cfgs := make([]smConfig, smWorkers())
	for i := range cfgs {
		cfgs[i] = smConfig{forget: true, newJars: smForgetJars}
	}
	smRunMany(t, smHistoryCount(1000, 3000), cfgs)
}
