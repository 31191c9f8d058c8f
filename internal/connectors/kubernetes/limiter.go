package kubernetes

// The connector's client-side rate limit: one that follows the server.
//
// client-go's default limit is fixed (5 requests/s, bursts of 10; the
// connector used 50 and 100). A fixed limit is either too low for a large
// apply (at 50 requests/s it was most of the wall time of applying 500
// identities, with the API server mostly idle) or too high for a server
// that is struggling. The API server says which: its priority and fairness
// answers 429, with Retry-After, when this client's priority level is full.
// So the limit starts high and adapts to those answers:
//
//   - every attempt of every request (watches and streams excepted) takes a
//     token from a bucket of RateLimit.Burst tokens refilled at the current
//     rate, which starts at RateLimit.Max;
//   - a 429 halves the rate (at most once per RateLimit.CutWindow: the
//     many 429s of one overload count once), never below RateLimit.Min, and
//     holds every request of the client until the server's Retry-After
//     (capped by the retry policy's MaxRetryAfter) has passed, each spread
//     by up to RateLimit.Spread so that they do not return at once;
//   - without 429s the rate grows back linearly, by RateLimit.Recover
//     requests/s each second, to Max.
//
// The 429 itself is retried by the retry layer (retry.go) as before, within
// its bounds. Waiting for a token ends with the request's context.

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"
)

// RateLimit bounds the connector's client-side rate (see the top of the
// file).
type RateLimit struct {
	// Max is the rate a client starts at and grows back to (requests/s).
	Max float64
	// Min is the lowest rate 429s cut it to.
	Min float64
	// Burst is the most requests sent at once without waiting.
	Burst int
	// Recover is how fast the rate grows back (requests/s per second).
	Recover float64
	// CutWindow is the least time between two cuts of the rate.
	CutWindow time.Duration
	// Spread jitters the end of a Retry-After pause per request.
	Spread time.Duration
}

// DefaultRateLimit: start at 1,000 requests/s (in practice Terraform's
// parallelism bounds the rate well below it), halve on 429 down to 5
// requests/s (client-go's own default), and grow back by 20 requests/s per
// second.
var DefaultRateLimit = RateLimit{
	Max:       1000,
	Min:       5,
	Burst:     200,
	Recover:   20,
	CutWindow: time.Second,
	Spread:    200 * time.Millisecond,
}

// adaptiveLimiter is the state of one client's limit. Safe for concurrent
// use.
type adaptiveLimiter struct {
	cfg RateLimit
	// maxRetryAfter caps a server's pause (the retry policy's).
	maxRetryAfter time.Duration
	now           func() time.Time
	sleep         func(ctx context.Context, d time.Duration) error
	jitter        func() float64

	mu          sync.Mutex
	rate        float64   // tokens per second
	tokens      float64   // may go negative: reserved by waiting requests
	last        time.Time // when tokens and rate were last brought up to date
	lastCut     time.Time
	pausedUntil time.Time
}

func newAdaptiveLimiter(cfg RateLimit, maxRetryAfter time.Duration) *adaptiveLimiter {
	if cfg.Min <= 0 {
		cfg.Min = 1
	}
	if cfg.Max < cfg.Min {
		cfg.Max = cfg.Min
	}
	if cfg.Burst < 1 {
		cfg.Burst = 1
	}
	return &adaptiveLimiter{
		cfg: cfg, maxRetryAfter: maxRetryAfter,
		now: time.Now, sleep: sleepCtx, jitter: rand.Float64,
		rate: cfg.Max, tokens: float64(cfg.Burst),
	}
}

// advance brings tokens and rate up to now; mu must be held.
func (l *adaptiveLimiter) advance(now time.Time) {
	if l.last.IsZero() {
		l.last = now
		return
	}
	dt := now.Sub(l.last).Seconds()
	if dt <= 0 {
		return
	}
	l.last = now
	if now.Before(l.pausedUntil) {
		// Held for the server's Retry-After: nothing is saved up for
		// the moment the pause ends.
		return
	}
	// Refill at the rate of the interval's start: the conservative choice.
	l.tokens += dt * l.rate
	if b := float64(l.cfg.Burst); l.tokens > b {
		l.tokens = b
	}
	if l.rate < l.cfg.Max {
		l.rate += dt * l.cfg.Recover
		if l.rate > l.cfg.Max {
			l.rate = l.cfg.Max
		}
	}
}

// reserve takes a token and returns how long to wait before sending.
func (l *adaptiveLimiter) reserve() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.advance(now)
	l.tokens--
	var d time.Duration
	if l.tokens < 0 {
		d = time.Duration(-l.tokens / l.rate * float64(time.Second))
	}
	if p := l.pausedUntil.Sub(now); p > 0 {
		// After the pause, in turn at the rate (the debt), not all at once.
		d = p + d + time.Duration(l.jitter()*float64(l.cfg.Spread))
	}
	return d
}

// cancel gives back a token a request reserved and did not use.
func (l *adaptiveLimiter) cancel() {
	l.mu.Lock()
	l.tokens++
	l.mu.Unlock()
}

// wait blocks until the request may be sent, or ctx ends.
func (l *adaptiveLimiter) wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	d := l.reserve()
	if d <= 0 {
		return nil
	}
	if err := l.sleep(ctx, d); err != nil {
		l.cancel()
		return err
	}
	return nil
}

// throttled records a 429 and the server's Retry-After (negative: none).
func (l *adaptiveLimiter) throttled(retryAfter time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.advance(now)
	if l.lastCut.IsZero() || now.Sub(l.lastCut) >= l.cfg.CutWindow {
		l.lastCut = now
		l.rate /= 2
		if l.rate < l.cfg.Min {
			l.rate = l.cfg.Min
		}
		// The tokens saved up at the old rate are not a licence to burst
		// into an overloaded server.
		if l.tokens > 0 {
			l.tokens = 0
		}
	}
	if retryAfter > l.maxRetryAfter {
		retryAfter = l.maxRetryAfter
	}
	if until := now.Add(retryAfter); retryAfter > 0 && until.After(l.pausedUntil) {
		l.pausedUntil = until
	}
}

// current returns the rate now (for tests and errors).
func (l *adaptiveLimiter) current() float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.advance(l.now())
	return l.rate
}
