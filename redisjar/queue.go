package redisjar

import (
	"container/list"
	"math"

	"github.com/httpsession/httpsession"
)

// pending is a change waiting for Redis: the newest change to one cookie.
type pending struct {
	key    string
	change httpsession.Change
	// floor is the number of the oldest change it stands for: once it is
	// acknowledged, so are all the changes to this cookie since floor.
	floor uint64
}

// queue holds the changes waiting for Redis, at most one per cookie (newest
// wins, so an older change to the same cookie need not be sent), ordered by
// floor: the front is the oldest change not yet acknowledged. It is not
// safe for concurrent use.
type queue struct {
	order list.List // of *pending
	byKey map[string]*list.Element
}

// put queues a change numbered seq and reports whether there was room: a
// change to a cookie already queued replaces the queued one in its place;
// another needs room under limit (no limit when limit <= 0).
func (q *queue) put(key string, ch httpsession.Change, seq uint64, limit int) bool {
	if q.byKey == nil {
		q.byKey = make(map[string]*list.Element)
	}
	if e, ok := q.byKey[key]; ok {
		e.Value.(*pending).change = ch
		return true
	}
	if limit > 0 && q.order.Len() >= limit {
		return false
	}
	q.byKey[key] = q.order.PushBack(&pending{key: key, change: ch, floor: seq})
	return true
}

// take removes up to n changes from the front.
func (q *queue) take(n int) []*pending {
	var out []*pending
	for len(out) < n {
		e := q.order.Front()
		if e == nil {
			break
		}
		p := q.order.Remove(e).(*pending)
		delete(q.byKey, p.key)
		out = append(out, p)
	}
	return out
}

// requeue puts changes that could not be sent back at the front, in their
// order. Where a newer change to the same cookie was queued meanwhile, that
// one stands for both and moves to the front.
func (q *queue) requeue(failed []*pending) {
	if q.byKey == nil {
		q.byKey = make(map[string]*list.Element)
	}
	for i := len(failed) - 1; i >= 0; i-- {
		p := failed[i]
		if e, ok := q.byKey[p.key]; ok {
			newer := e.Value.(*pending)
			newer.floor = min(newer.floor, p.floor)
			q.order.MoveToFront(e)
			continue
		}
		q.byKey[p.key] = q.order.PushFront(p)
	}
}

// floor returns the number of the oldest queued change, or the largest
// number when the queue is empty.
func (q *queue) floor() uint64 {
	if e := q.order.Front(); e != nil {
		return e.Value.(*pending).floor
	}
	return math.MaxUint64
}

func (q *queue) len() int { return q.order.Len() }
