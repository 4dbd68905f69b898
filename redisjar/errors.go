package redisjar

import "errors"

// ErrUnavailable is wrapped by the errors that say Redis could not be
// reached or did not answer. While it holds, the jar works from its local
// copy and changes wait in memory (see the package documentation).
var ErrUnavailable = errors.New("redisjar: Redis unavailable")

// ErrClosed is returned by Flush, and reported once for changes made
// afterwards, when the store has stopped: Close was called or the context
// given to Open or OpenStore was cancelled.
var ErrClosed = errors.New("redisjar: store closed")

// ErrDropped is wrapped by the errors that say changes made in this process
// will never reach Redis: the queue was full, Redis refused them for good
// (say, a key of the wrong type), or the store stopped before Redis
// acknowledged them.
var ErrDropped = errors.New("redisjar: changes not shared")

// ErrBadRecord is wrapped by the errors about records in Redis that cannot
// be read. Records that read but hold a cookie the jar refuses (a domain
// cookie on a public suffix, say) give errors wrapping
// httpsession.ErrInvalidCookie instead.
var ErrBadRecord = errors.New("redisjar: unreadable record")
