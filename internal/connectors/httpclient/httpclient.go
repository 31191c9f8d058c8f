// Package httpclient is the one retrying HTTP client of every HTTP
// connector: an *http.Client whose transport is go-retryablehttp with
// bounded retries, a retry policy that stops when the request's context
// ends and retries a failure only where a retry cannot do the work twice,
// and a backoff that honours Retry-After and X-RateLimit-Reset up to a cap,
// with jitter. It knows no vendor: a connector passes what its system
// answers when it rate-limits beyond 429 (Options.RateLimited), and a
// leveled logger that never sees a credential (Logger).
package httpclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-cleanhttp"
	"github.com/hashicorp/go-retryablehttp"
)

// Defaults of Options.
const (
	DefaultMaxRetries   = 5
	DefaultRetryWaitMin = 500 * time.Millisecond
	// DefaultRetryWaitMax caps every single wait, including one a server
	// asks for with Retry-After or X-RateLimit-Reset: a scan waits at most
	// this long at a time, and never an hour because an answer said so.
	DefaultRetryWaitMax = 30 * time.Second
	// DefaultTimeout bounds one attempt (connect, send, answer headers
	// and body read by the caller).
	DefaultTimeout = 60 * time.Second
)

// peekLimit is how much of an error answer's body RateLimited sees.
const peekLimit = 64 << 10

// Options configures New. The zero value is the defaults.
type Options struct {
	// MaxRetries bounds the retries after the first attempt (0: the
	// default; negative: none).
	MaxRetries int
	// RetryWaitMin is the first backoff step (0: the default).
	RetryWaitMin time.Duration
	// RetryWaitMax caps every wait (0: the default).
	RetryWaitMax time.Duration
	// Timeout bounds one attempt (0: the default; negative: none).
	Timeout time.Duration
	// Transport is the base transport (nil: a pooled cleanhttp transport).
	Transport http.RoundTripper
	// Logger receives debug lines about attempts and retries, with
	// credentials removed; nil logs nothing.
	Logger Logger
	// RateLimited recognises answers of the connector's system that mean
	// "rate limited, try later" beyond 429 (GitHub's secondary limit is a
	// 403). It sees 4xx answers with up to 64 KiB of their body (the body
	// is restored for the caller) and returns whether the answer is a rate
	// limit and the wait it asks for (0: not said, use the backoff). A 429
	// is always a rate limit.
	RateLimited func(resp *http.Response, body []byte) (limited bool, wait time.Duration)
	// Now is the clock for X-RateLimit-Reset (nil: time.Now).
	Now func() time.Time
}

type reqInfoKey struct{}

// reqInfo travels on a request's context from the marker to the retry
// policy and the backoff. retryablehttp drains and closes an answer's body
// before it calls Backoff, so a rate limit that only the body tells
// (GitHub's secondary limit without retry-after) is decided once, in
// checkRetry, and carried to backoff here. One logical request's attempts
// run one after another, so the fields need no lock.
type reqInfo struct {
	idempotent bool
	// decided is set by checkRetry for the latest answer: asked is the
	// wait it asks for, when askedOK.
	decided bool
	asked   time.Duration
	askedOK bool
}

type idempotentKey struct{}

// Idempotent marks the requests made with ctx as safe to repeat although
// their method is POST or PATCH (a create the server refuses the second
// time, such as a key that is already in use, and whose caller recognises
// its own earlier attempt). Without the mark a POST or PATCH is retried only
// when the server refused it for rate (429 or the system's RateLimited),
// which means it was not carried out.
func Idempotent(ctx context.Context) context.Context {
	return context.WithValue(ctx, idempotentKey{}, true)
}

// idempotentMethod reports whether repeating method cannot do the work
// twice (RFC 9110 9.2.2).
func idempotentMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions, "":
		return true
	}
	return false
}

// New builds the client. Its Transport retries; its own Timeout is unset, so
// a caller's context bounds the whole call, and Options.Timeout one attempt.
func New(o Options) *http.Client {
	o = o.withDefaults()
	base := o.Transport
	if base == nil {
		base = cleanhttp.DefaultPooledTransport()
	}
	inner := &http.Client{Transport: base}
	if o.Timeout > 0 {
		inner.Timeout = o.Timeout
	}
	rc := &retryablehttp.Client{
		HTTPClient:   inner,
		RetryWaitMin: o.RetryWaitMin,
		RetryWaitMax: o.RetryWaitMax,
		RetryMax:     o.MaxRetries,
		CheckRetry:   o.checkRetry,
		Backoff:      o.backoff,
		ErrorHandler: errorHandler,
	}
	if o.Logger != nil {
		rc.Logger = safeLogger{o.Logger}
		rc.ResponseLogHook = func(_ retryablehttp.Logger, resp *http.Response) {
			o.Logger.Debug("HTTP answer", "method", resp.Request.Method, "url", RedactURL(resp.Request.URL.String()),
				"status", resp.StatusCode, "headers", SafeHeaders(resp.Header))
		}
	}
	return &http.Client{Transport: &marker{next: &retryablehttp.RoundTripper{Client: rc}}}
}

func (o Options) withDefaults() Options {
	if o.MaxRetries == 0 {
		o.MaxRetries = DefaultMaxRetries
	} else if o.MaxRetries < 0 {
		o.MaxRetries = 0
	}
	if o.RetryWaitMin <= 0 {
		o.RetryWaitMin = DefaultRetryWaitMin
	}
	if o.RetryWaitMax <= 0 {
		o.RetryWaitMax = DefaultRetryWaitMax
	}
	if o.RetryWaitMin > o.RetryWaitMax {
		o.RetryWaitMin = o.RetryWaitMax
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// marker records on the request's context whether it may be repeated, so
// that the retry policy, which sees only the context, the answer and the
// error, knows it also when there is no answer.
type marker struct{ next http.RoundTripper }

func (m *marker) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	idem := idempotentMethod(req.Method) || ctx.Value(idempotentKey{}) != nil
	return m.next.RoundTrip(req.WithContext(context.WithValue(ctx, reqInfoKey{}, &reqInfo{idempotent: idem})))
}

// checkRetry stops when ctx ends; retries rate limits (429, or the
// system's own) for every method, since the server did not carry the
// request out; and retries 5xx answers (but 501) and failures with no
// answer (a broken connection, a timeout) only for requests that may be
// repeated.
func (o Options) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if cerr := ctx.Err(); cerr != nil {
		return false, cerr
	}
	info, _ := ctx.Value(reqInfoKey{}).(*reqInfo)
	if info == nil {
		info = &reqInfo{}
	}
	info.decided, info.asked, info.askedOK = false, 0, false
	if resp != nil && err == nil {
		// The body is still there: decide the rate limit and its wait
		// now, for backoff (which runs after the body is drained).
		limited, asked, ok := o.asked(resp)
		info.decided, info.asked, info.askedOK = true, asked, ok
		if limited {
			return true, nil
		}
	}
	if !info.idempotent {
		return false, nil
	}
	if err != nil {
		// retryablehttp's policy: no retry of redirect loops, bad
		// schemes, bad headers or certificate errors.
		return retryablehttp.DefaultRetryPolicy(ctx, resp, err)
	}
	if resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented {
		return true, nil
	}
	return false, nil
}

// rateLimited reports whether resp is a rate limit and the wait it asks
// for through the system's hook (0: not said).
func (o Options) rateLimited(resp *http.Response) (bool, time.Duration) {
	if resp.StatusCode < 400 || resp.StatusCode >= 500 {
		return false, 0
	}
	var limited bool
	var wait time.Duration
	if o.RateLimited != nil {
		limited, wait = o.RateLimited(resp, peek(resp))
	}
	return limited || resp.StatusCode == http.StatusTooManyRequests, wait
}

// peek reads up to peekLimit bytes of the body and puts them back.
func peek(resp *http.Response) []byte {
	if resp.Body == nil || resp.Body == http.NoBody {
		return nil
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, peekLimit))
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(b), errReader{err}, resp.Body), resp.Body}
	return b
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	return 0, io.EOF
}

// backoff is the wait before attempt n+1 (n from 0). A rate-limited answer
// waits what it asks for (Retry-After, the system's hook, or
// X-RateLimit-Reset when X-RateLimit-Remaining is 0), never longer than
// max, and up to a tenth later so that parallel workers do not retry in
// step; otherwise exponential from min, capped at max, within [3/4, 1] of
// itself.
func (o Options) backoff(min, max time.Duration, n int, resp *http.Response) time.Duration {
	if resp != nil {
		var asked time.Duration
		var ok bool
		if info := requestInfo(resp); info != nil && info.decided {
			asked, ok = info.asked, info.askedOK
		} else {
			// Not seen by checkRetry (a caller of Backoff alone): the
			// headers only, as the body may be gone.
			_, asked, ok = o.asked(resp)
		}
		if ok {
			// Never before the time asked for, a little after it, and
			// never longer than max.
			return capAt(asked+time.Duration(rand.Int64N(int64(asked)/10+int64(min)/2+1)), max)
		}
	}
	d := min
	for i := 0; i < n && d < max; i++ {
		d *= 2
	}
	return jitter(capAt(d, max))
}

// requestInfo is the reqInfo of the request that resp answers, or nil.
func requestInfo(resp *http.Response) *reqInfo {
	if resp.Request == nil {
		return nil
	}
	info, _ := resp.Request.Context().Value(reqInfoKey{}).(*reqInfo)
	return info
}

// asked reports whether resp is a rate limit and the wait it asks for
// (ok false: none said; the exponential backoff applies). It peeks at the
// body, so it must run before retryablehttp drains it.
func (o Options) asked(resp *http.Response) (limited bool, wait time.Duration, ok bool) {
	limited, hookWait := o.rateLimited(resp)
	if d, ok := RetryAfter(resp.Header, o.Now()); ok {
		return limited, d, true
	}
	if hookWait > 0 {
		return limited, hookWait, true
	}
	if d, ok := RateLimitReset(resp.Header, o.Now()); ok && (limited || resp.StatusCode == http.StatusServiceUnavailable) {
		return limited, d, true
	}
	return limited, 0, false
}

func capAt(d, max time.Duration) time.Duration {
	if d > max || d < 0 {
		return max
	}
	return d
}

// jitter returns a duration in [3/4 d, d].
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return d - time.Duration(rand.Int64N(int64(d)/4+1))
}

// RetryAfter reads a Retry-After header (seconds, or an HTTP date).
func RetryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s < 0 {
			return 0, false
		}
		if s > int64(24*time.Hour/time.Second) {
			s = int64(24 * time.Hour / time.Second)
		}
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d, true
		}
		return 0, true
	}
	return 0, false
}

// RateLimitReset reads the wait until X-RateLimit-Reset (epoch seconds)
// when X-RateLimit-Remaining is "0".
func RateLimitReset(h http.Header, now time.Time) (time.Duration, bool) {
	if strings.TrimSpace(h.Get("X-RateLimit-Remaining")) != "0" {
		return 0, false
	}
	s, err := strconv.ParseInt(strings.TrimSpace(h.Get("X-RateLimit-Reset")), 10, 64)
	if err != nil {
		return 0, false
	}
	d := time.Unix(s, 0).Sub(now)
	if d < 0 {
		d = 0
	}
	return d, true
}

// errorHandler runs when retries end without success: the last answer goes
// to the caller as it is (its client decodes the system's error), and a
// failure with no answer says how many attempts were made.
func errorHandler(resp *http.Response, err error, tries int) (*http.Response, error) {
	if resp != nil && err == nil {
		return resp, nil
	}
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err == nil {
		err = errors.New("no answer")
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return nil, err
	}
	return nil, &ExhaustedError{Attempts: tries, Err: err}
}

// ExhaustedError is a request that got no answer in any of its attempts.
type ExhaustedError struct {
	Attempts int
	Err      error
}

func (e *ExhaustedError) Error() string {
	return fmt.Sprintf("no answer in %d attempt(s): %s", e.Attempts, RedactURL(e.Err.Error()))
}

func (e *ExhaustedError) Unwrap() error { return e.Err }
