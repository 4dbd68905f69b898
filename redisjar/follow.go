package redisjar

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/httpsession/httpsession"
	"github.com/redis/go-redis/v9"
)

const (
	followCount = 1000 // stream entries per blocking read
	loadBatch   = 1000 // cookie keys per pipeline when reloading
	// refreshTimeout bounds a lookup's read, for clients made with
	// ContextTimeoutEnabled; others wait at most their ReadTimeout.
	refreshTimeout = time.Second
)

// follow is the follower goroutine: it blocks on the stream and applies
// what other workers change, until the store stops.
func (s *Store) follow() {
	b := backoff{min: s.cfg.minBackoff, max: s.cfg.maxBackoff}
	for s.ctx.Err() == nil {
		if s.reloadWanted.Load() {
			if err := s.reload(s.ctx); err != nil {
				if s.ctx.Err() != nil || !s.retry(&b, "reload", err) {
					return
				}
				continue
			}
			s.ok()
		}
		msgs, err := s.read(s.ctx, s.cfg.block, followCount)
		if err != nil {
			if s.ctx.Err() != nil || !s.retry(&b, "follow changes", err) {
				return
			}
			continue
		}
		s.ok()
		b.reset()
		s.apply(msgs)
	}
}

// retry reports a failure and waits before the next attempt; it reports
// whether the store is still live.
func (s *Store) retry(b *backoff, op string, err error) bool {
	s.fail(op, err)
	return sleep(s.ctx, b.next())
}

// refresh brings in what changed elsewhere before the jar picks cookies for
// a request: one non-blocking read of the stream, or nothing while Redis is
// unreachable (the follower finds out when it is back).
func (s *Store) refresh() {
	s.mu.Lock()
	skip := s.stopped || s.down != nil
	s.mu.Unlock()
	if skip {
		return
	}
	ctx, cancel := context.WithTimeout(s.ctx, refreshTimeout)
	defer cancel()
	if !s.reloadWanted.Load() {
		msgs, err := s.read(ctx, -1, 0)
		if err != nil {
			if s.ctx.Err() == nil {
				s.fail("refresh", err)
			}
			return
		}
		s.apply(msgs)
		if !s.reloadWanted.Load() {
			return
		}
	}
	// Entries were missing: this worker fell behind the trimmed stream.
	if err := s.reload(ctx); err != nil && s.ctx.Err() == nil {
		s.fail("reload", err)
	}
}

// read returns the stream entries after the last one applied, waiting up to
// block for some (block < 0: not at all), at most count (0: all).
func (s *Store) read(ctx context.Context, block time.Duration, count int64) ([]redis.XMessage, error) {
	s.fmu.Lock()
	from := s.lastID
	s.fmu.Unlock()
	res, err := s.client.XRead(ctx, &redis.XReadArgs{
		Streams: []string{s.keys.log, from},
		Count:   count,
		Block:   block,
	}).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil || len(res) == 0 {
		return nil, err
	}
	return res[0].Messages, nil
}

// apply applies stream entries in order, skipping those already applied.
// Entries are numbered: at a missing number it stops and
// asks for a reload.
func (s *Store) apply(msgs []redis.XMessage) {
	if len(msgs) == 0 {
		return
	}
	var errs []error
	defer func() {
		// Reported once the lock is released: a handler may use the jar.
		for _, err := range errs {
			s.report(err)
		}
	}()
	s.fmu.Lock()
	defer s.fmu.Unlock()
	var changes []httpsession.Change
	for _, m := range msgs {
		if compareIDs(m.ID, s.lastID) <= 0 {
			continue
		}
		n, err := strconv.ParseInt(field(m.Values, "n"), 10, 64)
		if err != nil || n != s.lastN+1 {
			s.reloadWanted.Store(true)
			break
		}
		s.lastID, s.lastN = m.ID, n
		// This store's own changes are applied too: a change from elsewhere
		// applied to the jar while its own newer deletion was on the way
		// would otherwise stay, since the jar keeps no record of deletions.
		ch, err := decodeRecord(field(m.Values, "upd"), field(m.Values, "del"), field(m.Values, "rec"))
		if err != nil {
			errs = append(errs, fmt.Errorf("redisjar: stream entry %s: %w", m.ID, err))
			continue
		}
		changes = append(changes, ch)
	}
	if err := s.applyChanges(changes); err != nil {
		errs = append(errs, err)
	}
}

// reload applies every cookie and tombstone Redis holds, if a reload is
// wanted, and moves the follower to the end of the stream.
func (s *Store) reload(ctx context.Context) error {
	var problems []error
	defer func() {
		// Reported once the locks are released: a handler may use the jar.
		for _, p := range problems {
			s.report(p)
		}
	}()
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	if !s.reloadWanted.Swap(false) {
		return nil
	}
	var err error
	if problems, err = s.load(ctx); err != nil {
		s.reloadWanted.Store(true)
		return err
	}
	return nil
}

// load does the reload: it returns the records it could not take and the
// error that stopped it.
func (s *Store) load(ctx context.Context) (problems []error, err error) {
	// The stream's end first: changes made while the cookies are read are
	// then read again from the stream, and applying one twice is harmless.
	tail, err := s.client.XRevRangeN(ctx, s.keys.log, "+", "-", 1).Result()
	if err != nil {
		return nil, err
	}
	id, n := "0-0", int64(0)
	if len(tail) > 0 {
		id = tail[0].ID
		n, _ = strconv.ParseInt(field(tail[0].Values, "n"), 10, 64)
	}
	members, err := s.client.ZRange(ctx, s.keys.index, 0, -1).Result()
	if err != nil {
		return nil, err
	}
	var changes []httpsession.Change
	for start := 0; start < len(members); start += loadBatch {
		chunk := members[start:min(start+loadBatch, len(members))]
		cmds := make([]*redis.SliceCmd, len(chunk))
		_, _ = s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, key := range chunk {
				cmds[i] = p.HMGet(ctx, key, "upd", "del", "rec")
			}
			return nil
		})
		for i, cmd := range cmds {
			vals, err := cmd.Result()
			if err != nil {
				if !permanent(err) {
					return problems, err
				}
				problems = append(problems, fmt.Errorf("redisjar: %s: %w: %w", chunk[i], ErrBadRecord, err))
				continue
			}
			upd, ok := vals[0].(string)
			del, _ := vals[1].(string)
			rec, ok2 := vals[2].(string)
			if !ok || !ok2 {
				continue // expired since the index was read
			}
			ch, err := decodeRecord(upd, del, rec)
			if err != nil {
				problems = append(problems, fmt.Errorf("redisjar: %s: %w", chunk[i], err))
				continue
			}
			changes = append(changes, ch)
		}
	}
	s.fmu.Lock()
	err = s.applyChanges(changes)
	if compareIDs(id, s.lastID) > 0 {
		s.lastID, s.lastN = id, n
	}
	s.fmu.Unlock()
	if err != nil {
		problems = append(problems, err)
	}
	return problems, nil
}

func field(values map[string]any, name string) string {
	v, _ := values[name].(string)
	return v
}

// compareIDs orders two stream entry IDs ("milliseconds-sequence").
func compareIDs(a, b string) int {
	am, as := parseID(a)
	bm, bs := parseID(b)
	return cmp.Or(cmp.Compare(am, bm), cmp.Compare(as, bs))
}

func parseID(id string) (ms, seq uint64) {
	m, sq, _ := strings.Cut(id, "-")
	ms, _ = strconv.ParseUint(m, 10, 64)
	seq, _ = strconv.ParseUint(sq, 10, 64)
	return ms, seq
}
