package kubernetes

// The connector's one retry layer: a wrapping http.RoundTripper installed
// with rest.Config.Wrap in New, so every request of the clientset passes
// through it and no call site retries on its own.
//
// Why a transport and not client-go's retry hooks: client-go has no public
// retry policy. Its rest client retries only responses that carry
// Retry-After (429 and 5xx, any method, POST included, up to 10 times per
// request) and GET requests that fail with a connection reset or EOF (with
// an artificial one-second Retry-After); it cannot be told which writes are
// idempotent, and the only knob, Request.MaxRetries, is per request and
// unreachable through the typed clientset. The transport sees every
// attempt's status, headers and body before client-go decodes them, so it
// can decide per method and precondition, back off with jitter, and say
// what happened when it gives up.
//
// So that client-go's own retries do not multiply with these (10 × 6
// attempts), the transport
//   - removes Retry-After from every response it returns, so client-go
//     never retries a response; and
//   - returns its final connection errors as *RequestError, whose message
//     and chain match none of client-go's "retry this GET" tests
//     (connection reset, EOF, closed connection, HTTP/2 connection lost).
//
// Watches, streams and protocol upgrades pass through untouched.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"net"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/client-go/kubernetes/scheme"
)

// RetryPolicy bounds the retries of the connector's requests.
type RetryPolicy struct {
	// MaxAttempts is the most attempts one request gets, the first included.
	MaxAttempts int
	// BaseDelay is the wait before the second attempt; it doubles each
	// time, up to MaxDelay. Each wait is jittered to between half and all
	// of it.
	BaseDelay, MaxDelay time.Duration
	// MaxRetryAfter caps a server's Retry-After. A wait honours
	// Retry-After (up to this cap) when it is longer than the backoff.
	MaxRetryAfter time.Duration
	// MaxTotalDelay caps the sum of the waits of one request: a request
	// whose next wait would pass it fails instead.
	MaxTotalDelay time.Duration
}

// DefaultRetryPolicy is the connector's policy: 6 attempts, waits of about
// 0.2, 0.4, 0.8, 1.6 and 3.2 s (jittered, each at least the server's
// Retry-After up to 10 s), at most 30 s of waiting in all.
var DefaultRetryPolicy = RetryPolicy{
	MaxAttempts:   6,
	BaseDelay:     200 * time.Millisecond,
	MaxDelay:      5 * time.Second,
	MaxRetryAfter: 10 * time.Second,
	MaxTotalDelay: 30 * time.Second,
}

// backoff is the wait before attempt n+1 (n ≥ 1, the attempts made so far).
// jitter is a uniform draw in [0,1); retryAfter < 0 means the answer had no
// usable Retry-After.
func (p RetryPolicy) backoff(n int, retryAfter time.Duration, jitter float64) time.Duration {
	d := p.MaxDelay
	if n <= 30 {
		if e := p.BaseDelay << (n - 1); e > 0 && e < d {
			d = e
		}
	}
	d = d/2 + time.Duration(jitter*float64(d/2))
	if retryAfter >= 0 {
		if retryAfter > p.MaxRetryAfter {
			retryAfter = p.MaxRetryAfter
		}
		// At least what the server asked for, spread by up to one base
		// delay so that many clients told the same do not return at once.
		if ra := retryAfter + time.Duration(jitter*float64(p.BaseDelay)); ra > d {
			d = ra
		}
	}
	return d
}

// requestClass says which failures a request may be retried after.
type requestClass int

const (
	// passThrough: watches, streams, upgrades; never retried, never
	// rewritten.
	passThrough requestClass = iota
	// idempotent: GET/HEAD/OPTIONS, and PUT, PATCH and DELETE with a
	// resourceVersion or UID precondition, which the API server refuses to
	// apply twice. Retried on 429, 5xx, broken connections and timeouts.
	idempotent
	// unsafe: POST and unconditional writes. Retried only when the server
	// certainly did not do the work: on 429, and on connection errors from
	// before the request was sent.
	unsafe
)

// classify decides a request's class. body is the request body (nil when
// there is none).
//
// How the transport knows a write is conditional: it reads the request
// body, which client-go has already encoded (JSON, or Kubernetes protobuf
// for built-in types), and looks for metadata.resourceVersion (PUT, merge
// and strategic merge PATCH), a JSON-patch "test" of /metadata/resourceVersion,
// or DeleteOptions.preconditions (uid or resourceVersion). The precondition
// itself is what makes a repeat safe (the API server answers 409 or 404 to
// the second one instead of doing the work again), so reading it from the
// request cannot disagree with what the server enforces, and no call site
// has to remember to mark its requests. A body it cannot read counts as
// unconditional.
func classify(req *http.Request, body []byte) requestClass {
	if isStream(req) {
		return passThrough
	}
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return idempotent
	case http.MethodPut, http.MethodPatch, http.MethodDelete:
		if hasPrecondition(req.Header.Get("Content-Type"), body) {
			return idempotent
		}
	}
	return unsafe
}

// isStream reports watches, followed logs and protocol upgrades (exec,
// attach, port-forward).
func isStream(req *http.Request) bool {
	if req.Header.Get("Upgrade") != "" || strings.Contains(strings.ToLower(req.Header.Get("Connection")), "upgrade") {
		return true
	}
	q := req.URL.Query()
	for _, k := range []string{"watch", "follow"} {
		if v := q.Get(k); v == "true" || v == "1" {
			return true
		}
	}
	return strings.Contains(req.URL.Path, "/watch/")
}

// hasPrecondition reports whether a write body carries a resourceVersion or
// UID precondition.
func hasPrecondition(contentType string, body []byte) bool {
	if len(body) == 0 {
		return false
	}
	media, _, _ := mime.ParseMediaType(contentType)
	switch media {
	case "application/json", "application/merge-patch+json", "application/strategic-merge-patch+json":
		var doc struct {
			Metadata *struct {
				ResourceVersion string `json:"resourceVersion"`
			} `json:"metadata"`
			Preconditions *metav1.Preconditions `json:"preconditions"`
		}
		if json.Unmarshal(body, &doc) != nil {
			return false
		}
		if doc.Preconditions != nil && (nonEmpty(doc.Preconditions.UID) || nonEmpty(doc.Preconditions.ResourceVersion)) {
			return true
		}
		return doc.Metadata != nil && doc.Metadata.ResourceVersion != ""
	case "application/json-patch+json":
		var ops []struct {
			Op    string          `json:"op"`
			Path  string          `json:"path"`
			Value json.RawMessage `json:"value"`
		}
		if json.Unmarshal(body, &ops) != nil {
			return false
		}
		for _, op := range ops {
			if op.Op == "test" && op.Path == "/metadata/resourceVersion" && len(op.Value) > 2 {
				return true
			}
		}
		return false
	case "application/vnd.kubernetes.protobuf":
		obj, _, err := scheme.Codecs.UniversalDeserializer().Decode(body, nil, nil)
		if err != nil {
			return false
		}
		if do, ok := obj.(*metav1.DeleteOptions); ok {
			return do.Preconditions != nil && (nonEmpty(do.Preconditions.UID) || nonEmpty(do.Preconditions.ResourceVersion))
		}
		m, err := meta.Accessor(obj)
		return err == nil && m.GetResourceVersion() != ""
	}
	return false
}

func nonEmpty[T ~string](p *T) bool { return p != nil && *p != "" }

// retryTransport is the retry layer (see the top of this file).
type retryTransport struct {
	next   http.RoundTripper
	policy RetryPolicy
	// sleep waits d or until ctx ends (then it returns ctx's error).
	sleep func(ctx context.Context, d time.Duration) error
	// jitter returns a uniform draw in [0,1).
	jitter func() float64
	// now is the clock Retry-After dates are read against.
	now func() time.Time
	// limit, when set, is the client-side rate limit every attempt waits
	// for and every 429 adjusts (limiter.go).
	limit *adaptiveLimiter
}

// newRetryTransport wraps next with the policy, real sleeps and jitter.
func newRetryTransport(next http.RoundTripper, p RetryPolicy) *retryTransport {
	return &retryTransport{next: next, policy: p, sleep: sleepCtx, jitter: rand.Float64, now: time.Now}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// RoundTrip implements http.RoundTripper.
func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if isStream(req) {
		return t.next.RoundTrip(req)
	}
	ctx := req.Context()
	body, err := requestBody(req)
	if err != nil {
		return nil, err
	}
	class := classify(req, body)
	var waited time.Duration
	for attempt := 1; ; attempt++ {
		// WroteHeaders runs on the transport's writing goroutine.
		var sent atomic.Bool
		trace := &httptrace.ClientTrace{WroteHeaders: func() { sent.Store(true) }}
		r := req.Clone(httptrace.WithClientTrace(ctx, trace))
		if body != nil {
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
			r.ContentLength = int64(len(body))
		}
		if t.limit != nil {
			if lerr := t.limit.wait(ctx); lerr != nil {
				if attempt == 1 {
					return nil, fmt.Errorf("%s %s: waiting for the client-side rate limit: %w", req.Method, req.URL.Path, lerr)
				}
				return nil, &RequestError{Method: req.Method, Path: req.URL.Path, Attempts: attempt - 1, What: "waiting for the client-side rate limit", Why: "stopped: " + lerr.Error(), Err: lerr}
			}
		}
		resp, err := t.next.RoundTrip(r)
		if t.limit != nil && err == nil && resp.StatusCode == http.StatusTooManyRequests {
			t.limit.throttled(t.retryAfter(resp))
		}

		retry, why := shouldRetry(ctx, req.Method, class, resp, err, sent.Load())
		if !retry {
			return t.finish(req, resp, err, attempt, why)
		}
		if attempt >= t.policy.MaxAttempts {
			return t.finish(req, resp, err, attempt, "")
		}
		d := t.policy.backoff(attempt, t.retryAfter(resp), t.jitter())
		if waited+d > t.policy.MaxTotalDelay {
			return t.finish(req, resp, err, attempt,
				fmt.Sprintf("stopped: the next wait (%s) would pass the %s limit on waiting", d.Round(time.Millisecond), t.policy.MaxTotalDelay))
		}
		if dl, ok := ctx.Deadline(); ok && t.now().Add(d).After(dl) {
			return t.finish(req, resp, err, attempt,
				fmt.Sprintf("stopped: the next wait (%s) would pass the deadline", d.Round(time.Millisecond)))
		}
		last := describe(resp, err)
		discard(resp)
		if serr := t.sleep(ctx, d); serr != nil {
			return nil, &RequestError{Method: req.Method, Path: req.URL.Path, Attempts: attempt, What: last, Why: "stopped: " + serr.Error(), Err: serr}
		}
		waited += d
	}
}

// requestBody reads the request body once, so that it can be sent again.
func requestBody(req *http.Request) ([]byte, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, nil
	}
	var rc io.ReadCloser
	if req.GetBody != nil {
		b, err := req.GetBody()
		_ = req.Body.Close()
		if err != nil {
			return nil, err
		}
		rc = b
	} else {
		rc = req.Body
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("%s %s: reading the request body: %w", req.Method, req.URL.Path, err)
	}
	return b, nil
}

// shouldRetry decides on one attempt's outcome; when not retrying a
// retriable kind of failure, why says so for the error.
func shouldRetry(ctx context.Context, method string, class requestClass, resp *http.Response, err error, sent bool) (bool, string) {
	if ctx.Err() != nil {
		return false, ""
	}
	if err != nil {
		if !isConnectionError(err) {
			return false, ""
		}
		if class == idempotent || !sent {
			return true, ""
		}
		return false, "not retried: the request was sent, so the server may have done the work"
	}
	switch code := resp.StatusCode; {
	case code == http.StatusTooManyRequests:
		return true, ""
	case code >= 500 && code != http.StatusNotImplemented && code != http.StatusHTTPVersionNotSupported:
		if class == idempotent {
			return true, ""
		}
		return false, "not retried: a " + method + " without a precondition is retried only on 429"
	}
	return false, ""
}

// isConnectionError reports failures of the connection rather than of the
// request: resets, EOF, broken pipes, refused connections, HTTP/2
// connection loss and timeouts.
func isConnectionError(err error) bool {
	var ne net.Error
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNABORTED),
		errors.Is(err, net.ErrClosed),
		utilnet.IsProbableEOF(err), utilnet.IsHTTP2ConnectionLost(err),
		errors.As(err, &ne) && ne.Timeout():
		return true
	}
	return strings.Contains(err.Error(), "server closed idle connection")
}

// retryAfter reads the answer's Retry-After (seconds or an HTTP date), or
// returns -1.
func (t *retryTransport) retryAfter(resp *http.Response) time.Duration {
	if resp == nil {
		return -1
	}
	v := strings.TrimSpace(resp.Header.Get("Retry-After"))
	if v == "" {
		return -1
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if at, err := http.ParseTime(v); err == nil {
		if d := at.Sub(t.now()); d > 0 {
			return d
		}
		return 0
	}
	return -1
}

// discard drains and closes a response that is being retried, so its
// connection can be reused.
func discard(resp *http.Response) {
	if resp == nil {
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
}

// finish returns the last attempt's outcome to client-go.
func (t *retryTransport) finish(req *http.Request, resp *http.Response, err error, attempts int, why string) (*http.Response, error) {
	if err != nil {
		if ctxErr := req.Context().Err(); ctxErr != nil {
			if attempts == 1 {
				return nil, err // canceled before anything was retried: as it is
			}
			return nil, &RequestError{Method: req.Method, Path: req.URL.Path, Attempts: attempts, What: describe(nil, err), Why: "stopped: " + ctxErr.Error(), Err: ctxErr}
		}
		if !isConnectionError(err) {
			return nil, err // TLS, DNS and other failures no retry could mend: as they are
		}
		return nil, &RequestError{Method: req.Method, Path: req.URL.Path, Attempts: attempts, What: describe(nil, err), Why: why}
	}
	resp.Header.Del("Retry-After")
	return rewriteStatus(req, resp, attempts, why), nil
}

// RequestError is the error of a request whose connection failed on its
// last attempt.
type RequestError struct {
	Method, Path string // the path has no query
	Attempts     int
	What         string // "connection reset", "503 Service Unavailable (empty body)", ...
	Why          string // why it stopped early, if it did
	Err          error  // the context's error when the context ended; nil otherwise
}

func (e *RequestError) Error() string {
	s := fmt.Sprintf("%s %s: %s after %s", e.Method, e.Path, e.What, attemptsText(e.Attempts))
	if e.Why != "" {
		s += "; " + e.Why
	}
	return s
}

// Unwrap returns the context's error only: the connection error stays out of
// the chain so client-go does not retry it once more.
func (e *RequestError) Unwrap() error { return e.Err }

func attemptsText(n int) string {
	if n == 1 {
		return "1 attempt"
	}
	return strconv.Itoa(n) + " attempts"
}

// describe names an outcome in words that client-go's retry tests do not
// match (see the top of the file).
func describe(resp *http.Response, err error) string {
	if err == nil {
		if resp == nil {
			return "no answer"
		}
		return resp.Status
	}
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNRESET) || strings.Contains(err.Error(), "connection reset"):
		return "connection reset"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.EPIPE) || strings.Contains(err.Error(), "broken pipe"):
		return "connection broken while sending"
	case utilnet.IsHTTP2ConnectionLost(err) || strings.Contains(err.Error(), "GOAWAY"):
		return "HTTP/2 connection lost"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.As(err, &ne) && ne.Timeout():
		return "timed out"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), utilnet.IsProbableEOF(err),
		strings.Contains(err.Error(), "server closed idle connection"):
		return "connection closed without an answer"
	}
	return "connection failed"
}

// maxStatusBody bounds how much of an error answer is read to rewrite it.
const maxStatusBody = 1 << 20

// rewriteStatus makes the body of a failed answer a Status whose message
// names the method, the path, the HTTP status (saying so when the body was
// empty), the number of attempts and why it stopped, followed by the
// server's own message. client-go turns that Status into the
// *apierrors.StatusError callers get, so apierrors.IsNotFound and friends
// keep working (the reason and code are the server's, or derived from the
// status code). It rewrites 429 and 5xx answers, answers after more than one
// attempt, and error answers with nothing to say; any other answer is
// returned as it is.
func rewriteStatus(req *http.Request, resp *http.Response, attempts int, why string) *http.Response {
	code := resp.StatusCode
	if code < 400 {
		return resp
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxStatusBody+1))
	_ = resp.Body.Close()
	if err != nil || len(raw) > maxStatusBody {
		// Unreadable or huge: hand back what was read and say nothing.
		resp.Body = io.NopCloser(bytes.NewReader(raw))
		return resp
	}
	status, serverMsg := parseStatus(resp.Header.Get("Content-Type"), raw)
	if attempts == 1 && code != http.StatusTooManyRequests && code < 500 && serverMsg != "" {
		resp.Body = io.NopCloser(bytes.NewReader(raw))
		return resp
	}
	what := resp.Status
	if what == "" || !strings.HasPrefix(what, strconv.Itoa(code)) {
		what = fmt.Sprintf("%d %s", code, http.StatusText(code))
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		what += " (empty body)"
	} else if serverMsg != "" {
		what += ": " + strconv.Quote(serverMsg)
	}
	msg := fmt.Sprintf("%s %s: %s after %s", req.Method, req.URL.Path, what, attemptsText(attempts))
	if why != "" {
		msg += "; " + why
	}
	if status == nil {
		status = &apierrors.NewGenericServerResponse(code, req.Method, schema.GroupResource{}, "", "", 0, false).ErrStatus
		status.Details = nil
	}
	status.TypeMeta = metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}
	status.Status = metav1.StatusFailure
	status.Code = int32(code)
	status.Message = msg
	out, err := json.Marshal(status)
	if err != nil {
		resp.Body = io.NopCloser(bytes.NewReader(raw))
		return resp
	}
	resp.Header.Set("Content-Type", "application/json")
	resp.Header.Del("Content-Encoding")
	resp.Header.Set("Content-Length", strconv.Itoa(len(out)))
	resp.ContentLength = int64(len(out))
	resp.Body = io.NopCloser(bytes.NewReader(out))
	return resp
}

// parseStatus reads a Status (JSON or protobuf) or a text message from an
// error answer.
func parseStatus(contentType string, body []byte) (*metav1.Status, string) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, ""
	}
	media, _, _ := mime.ParseMediaType(contentType)
	switch {
	case media == "application/json" || media == "application/vnd.kubernetes.protobuf":
		obj, _, err := scheme.Codecs.UniversalDeserializer().Decode(body, &schema.GroupVersionKind{Version: "v1", Kind: "Status"}, nil)
		if st, ok := obj.(*metav1.Status); ok && err == nil {
			return st, st.Message
		}
	case media == "" || strings.HasPrefix(media, "text/"):
		s := strings.TrimSpace(string(body))
		if len(s) > 512 {
			s = s[:512] + "…"
		}
		return nil, s
	}
	return nil, ""
}
