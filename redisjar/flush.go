package redisjar

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/httpsession/httpsession"
	"github.com/redis/go-redis/v9"
)

// changed takes in changes made in the jar: it queues them for the flusher
// and, while Redis answers, waits a little for their acknowledgement.
func (s *Store) changed(changes []httpsession.Change) {
	s.mu.Lock()
	if s.stopped {
		first := !s.closedReported
		s.closedReported = true
		s.mu.Unlock()
		if first {
			s.report(fmt.Errorf("redisjar: %w: changes made since stay in this jar", ErrClosed))
		}
		return
	}
	full := 0
	for i := range changes {
		s.seq++
		if !s.queue.put(s.keys.of(&changes[i]), changes[i], s.seq, s.cfg.maxPending) {
			full++
		}
	}
	var dropErr error
	if full > 0 {
		dropErr = fmt.Errorf("redisjar: %w: %d changes stay in this jar: %d cookies are already waiting for Redis", ErrDropped, full, s.queue.len())
		s.noteDropLocked(uint64(full), dropErr)
	}
	target := s.seq
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
	if dropErr != nil {
		s.report(dropErr)
	}
	if s.cfg.ackWait > 0 {
		s.waitAck(target)
	}
}

// waitAck waits until the changes numbered up to target are acknowledged,
// for at most the configured time, and not at all while Redis is down.
func (s *Store) waitAck(target uint64) {
	timer := time.NewTimer(s.cfg.ackWait)
	defer timer.Stop()
	for {
		s.mu.Lock()
		if s.ackedLocked(target) || s.stopped || s.down != nil {
			s.mu.Unlock()
			return
		}
		ch := s.progress
		s.mu.Unlock()
		select {
		case <-ch:
		case <-timer.C:
			return
		}
	}
}

// noteDropLocked records changes that will never reach Redis, for Flush to
// report. The caller holds s.mu.
func (s *Store) noteDropLocked(n uint64, err error) {
	s.drops += n
	s.dropErr = err
}

// flush is the flusher goroutine: it sends queued changes to Redis in
// order, oldest first, until the store stops, retrying with backoff.
func (s *Store) flush() {
	defer s.stop()
	b := backoff{min: s.cfg.minBackoff, max: s.cfg.maxBackoff}
	for {
		s.mu.Lock()
		batch := s.queue.take(batchSize)
		s.inflight = batch
		s.mu.Unlock()
		if len(batch) == 0 {
			select {
			case <-s.ctx.Done():
				return
			case <-s.wake:
				continue
			}
		}
		kept, failed, err := s.send(s.ctx, batch)
		// The jar takes the versions that won in Redis before the changes
		// count as acknowledged.
		if err := s.applyChanges(kept); err != nil {
			s.report(err)
		}
		s.mu.Lock()
		s.inflight = nil
		s.queue.requeue(failed)
		s.broadcastLocked()
		s.mu.Unlock()
		if err != nil {
			if s.ctx.Err() != nil {
				return
			}
			s.fail("store changes", err)
			if !sleep(s.ctx, b.next()) {
				return
			}
			continue
		}
		s.ok()
		b.reset()
	}
}

// stop marks the store stopped and reports changes left unacknowledged.
func (s *Store) stop() {
	s.mu.Lock()
	s.stopped = true
	n := s.pendingLocked()
	s.broadcastLocked()
	s.mu.Unlock()
	if n > 0 {
		s.report(fmt.Errorf("redisjar: stopped: %w: %d changes had not been acknowledged by Redis", ErrDropped, n))
	}
}

// send runs the script for each change of the batch, in one pipeline. It
// returns the versions Redis kept instead of the ones sent, the changes to
// send again, and the error that made them fail. Changes Redis refuses for
// good are reported and dropped.
func (s *Store) send(ctx context.Context, batch []*pending) (kept []httpsession.Change, failed []*pending, err error) {
	args := make([][]any, len(batch))
	for i, p := range batch {
		rec, encErr := encodeRecord(&p.change)
		if encErr != nil {
			s.drop(encErr)
			continue
		}
		del := "0"
		if p.change.Deleted {
			del = "1"
		}
		args[i] = []any{
			formatUpdated(p.change.Updated), del, rec, expiryMillis(&p.change),
			s.cfg.tombstoneTTL.Milliseconds(), s.cfg.maxLen, s.writer,
		}
	}
	cmds := s.run(ctx, batch, args)
	for _, cmd := range cmds {
		if cmd != nil && redis.HasErrorPrefix(cmd.Err(), "NOSCRIPT") {
			// Redis restarted or flushed its script cache.
			if err := s.script.Load(ctx, s.client).Err(); err != nil {
				return nil, batch, err
			}
			cmds = s.run(ctx, batch, args)
			break
		}
	}
	for i, cmd := range cmds {
		if cmd == nil {
			continue
		}
		reply, cmdErr := cmd.StringSlice()
		switch {
		case cmdErr == nil && len(reply) == 4:
			if reply[0] != "kept" {
				continue
			}
			ch, decErr := decodeRecord(reply[1], reply[2], reply[3])
			if decErr != nil {
				s.report(fmt.Errorf("redisjar: %s: %w", batch[i].key, decErr))
				continue
			}
			kept = append(kept, ch)
		case cmdErr == nil:
			s.drop(fmt.Errorf("redisjar: %s: unexpected reply %q", batch[i].key, reply))
		case permanent(cmdErr):
			s.drop(fmt.Errorf("redisjar: %s: %w", batch[i].key, cmdErr))
		default:
			failed = append(failed, batch[i])
			if err == nil {
				err = cmdErr
			}
		}
	}
	return kept, failed, err
}

// run sends one pipeline of script calls; changes without arguments are
// skipped and get a nil command.
func (s *Store) run(ctx context.Context, batch []*pending, args [][]any) []*redis.Cmd {
	cmds := make([]*redis.Cmd, len(batch))
	_, _ = s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, pc := range batch {
			if args[i] != nil {
				keys := []string{pc.key, s.keys.index, s.keys.log, s.keys.seq}
				cmds[i] = s.script.EvalSha(ctx, p, keys, args[i]...)
			}
		}
		return nil
	})
	return cmds
}

// drop reports a change that will never reach Redis.
func (s *Store) drop(cause error) {
	err := fmt.Errorf("%w: %w", ErrDropped, cause)
	s.mu.Lock()
	s.noteDropLocked(1, err)
	s.mu.Unlock()
	s.report(err)
}

// permanent reports whether Redis refused a command in a way that trying
// again will not change (a key of the wrong type, a script error), as
// opposed to a connection error or a passing state of the server.
func permanent(err error) bool {
	var rerr redis.Error
	if !errors.As(err, &rerr) {
		return false
	}
	for _, p := range []string{"NOSCRIPT", "LOADING", "BUSY", "READONLY", "MASTERDOWN", "CLUSTERDOWN", "TRYAGAIN", "OOM", "NOREPLICAS", "MOVED", "ASK", "max number of clients"} {
		if redis.HasErrorPrefix(err, p) {
			return false
		}
	}
	return true
}

// applyChanges hands changes from Redis to the jar, which checks them, and
// returns the refusals.
func (s *Store) applyChanges(changes []httpsession.Change) error {
	if len(changes) == 0 {
		return nil
	}
	if err := s.jar.Apply(changes); err != nil {
		return fmt.Errorf("redisjar: cookies in Redis refused: %w", err)
	}
	return nil
}

// backoff gives the waits between attempts: doubling from min up to max,
// each drawn between half and all of it.
type backoff struct {
	min, max, cur time.Duration
}

func (b *backoff) next() time.Duration {
	if b.cur == 0 {
		b.cur = b.min
	} else {
		b.cur = min(2*b.cur, b.max)
	}
	return b.cur/2 + rand.N(b.cur/2+1)
}

func (b *backoff) reset() { b.cur = 0 }

// sleep waits for d and reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
