package httpsession

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// RetryPolicy says when and how a Session retries a request. It is plain
// data: copy DefaultRetryPolicy and change what you need.
//
// Only idempotent requests are retried (GET, HEAD, OPTIONS, TRACE, PUT,
// DELETE, or any request with an Idempotency-Key header), and only when
// their body can be sent again. A request is retried when sending it failed
// (connection refused or reset, a timeout of one attempt) or when the
// response status is one of Statuses. The request's context ends the waiting
// at any time.
type RetryPolicy struct {
	// MaxAttempts counts every attempt, the first one included. One or
	// less means no retries.
	MaxAttempts int
	// MinBackoff is the wait before the first retry; each later wait
	// doubles, with random jitter of up to half of it, up to MaxBackoff.
	MinBackoff time.Duration
	// MaxBackoff caps each wait. A response whose Retry-After asks for a
	// longer wait is returned as it is, not retried.
	MaxBackoff time.Duration
	// Statuses are the response codes that are retried.
	Statuses []int
}

// DefaultRetryPolicy returns the policy WithRetry users usually want: up to 4
// attempts, waits from 250ms to 10s, retrying 429 Too Many Requests and
// 503 Service Unavailable, honouring Retry-After.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{
		MaxAttempts: 4,
		MinBackoff:  250 * time.Millisecond,
		MaxBackoff:  10 * time.Second,
		Statuses:    []int{http.StatusTooManyRequests, http.StatusServiceUnavailable},
	}
}

// retryTransport retries requests as its policy says. Each attempt passes
// through the cookie transport again, which sets the Cookie header afresh,
// so a retried request never carries the jar's cookies twice.
type retryTransport struct {
	policy RetryPolicy
	next   http.RoundTripper
	now    func() time.Time
	// final, if set, says an answer is not to be retried whatever its
	// status: a pool's blocked answer, which the caller must see.
	final func(*http.Response) bool
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	for attempt := 1; ; attempt++ {
		r := req
		if attempt > 1 {
			var err error
			if r, err = rewind(req); err != nil {
				return nil, err
			}
		}
		resp, err := t.next.RoundTrip(r)
		if attempt >= t.policy.MaxAttempts || !retryable(req) || !t.shouldRetry(ctx, resp, err) {
			return resp, err
		}
		wait, ok := t.backoff(attempt, resp)
		if !ok {
			return resp, err
		}
		if resp != nil {
			// Read a little of the body so the connection can be reused.
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			_ = resp.Body.Close()
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil, ctx.Err()
		case <-timer.C:
		}
	}
}

// rewind returns a copy of req whose body starts again from the beginning.
func rewind(req *http.Request) (*http.Request, error) {
	r := req.Clone(req.Context())
	if req.Body != nil && req.Body != http.NoBody {
		body, err := req.GetBody()
		if err != nil {
			return nil, err
		}
		r.Body = body
	}
	return r, nil
}

// retryable reports whether req may be sent twice: an idempotent method
// (RFC 9110 §9.2.2) and a body that can be sent again.
func retryable(req *http.Request) bool {
	if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
		return false
	}
	switch req.Method {
	case "", http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace,
		http.MethodPut, http.MethodDelete:
		return true
	}
	return req.Header.Get("Idempotency-Key") != "" || req.Header.Get("X-Idempotency-Key") != ""
}

func (t *retryTransport) shouldRetry(ctx context.Context, resp *http.Response, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	if err != nil {
		// A pool lease that can no longer send stays so: not retried.
		return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) &&
			!errors.Is(err, ErrBlocked) && !errors.Is(err, ErrLeaseEnded) && !errors.Is(err, ErrRetired)
	}
	if t.final != nil && t.final(resp) {
		return false
	}
	return slices.Contains(t.policy.Statuses, resp.StatusCode)
}

// backoff returns the wait before retry number attempt, and false when the
// server asks for a longer wait than the policy allows.
func (t *retryTransport) backoff(attempt int, resp *http.Response) (time.Duration, bool) {
	if resp != nil {
		if d, ok := retryAfter(resp.Header.Get("Retry-After"), t.now()); ok {
			return d, t.policy.MaxBackoff <= 0 || d <= t.policy.MaxBackoff
		}
	}
	d := t.policy.MinBackoff << min(attempt-1, 30)
	if d < 0 { // the shift overflowed
		d = t.policy.MaxBackoff
	}
	if t.policy.MaxBackoff > 0 && d > t.policy.MaxBackoff {
		d = t.policy.MaxBackoff
	}
	if d > 1 {
		d = d/2 + rand.N(d/2)
	}
	return d, true
}

// retryAfter reads a Retry-After header: delay-seconds or an HTTP-date
// (RFC 9110 §10.2.3).
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseUint(v, 10, 32); err == nil {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}
