package kubernetes

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"
	"k8s.io/apimachinery/pkg/types"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

func TestRetryBackoff(t *testing.T) {
	p := DefaultRetryPolicy
	for _, c := range []struct {
		n          int
		retryAfter time.Duration
		jitter     float64
		want       time.Duration
	}{
		{1, -1, 0, 100 * time.Millisecond}, // half of 200ms
		{1, -1, 0.999999, 200 * time.Millisecond},
		{2, -1, 0, 200 * time.Millisecond},
		{5, -1, 0, 1600 * time.Millisecond},
		{6, -1, 0, 2500 * time.Millisecond}, // 6.4s capped at 5s, halved
		{40, -1, 0, 2500 * time.Millisecond},
		{1, time.Second, 0, time.Second},                          // Retry-After beats the backoff
		{1, time.Second, 0.5, time.Second + 100*time.Millisecond}, // spread by up to one base delay
		{1, time.Hour, 0, 10 * time.Second},                       // capped
		{5, 0, 0, 1600 * time.Millisecond},                        // a backoff longer than Retry-After wins
	} {
		got := p.backoff(c.n, c.retryAfter, c.jitter)
		if c.jitter > 0.99 {
			if got < c.want-time.Millisecond || got > c.want {
				t.Errorf("backoff(%d, %v, %v) = %v, want ≈%v", c.n, c.retryAfter, c.jitter, got, c.want)
			}
			continue
		}
		if got != c.want {
			t.Errorf("backoff(%d, %v, %v) = %v, want %v", c.n, c.retryAfter, c.jitter, got, c.want)
		}
	}
}

func TestRetryDecision(t *testing.T) {
	ctx := context.Background()
	gone, cancel := context.WithCancel(ctx)
	cancel()
	reset := &net.OpError{Op: "read", Net: "tcp", Err: &netSyscallError{syscall.ECONNRESET}}
	status := func(code int) *http.Response { return &http.Response{StatusCode: code} }
	for _, c := range []struct {
		name   string
		ctx    context.Context
		method string
		class  requestClass
		resp   *http.Response
		err    error
		sent   bool
		want   bool
	}{
		{"GET 429", ctx, "GET", idempotent, status(429), nil, true, true},
		{"GET 500", ctx, "GET", idempotent, status(500), nil, true, true},
		{"GET 502", ctx, "GET", idempotent, status(502), nil, true, true},
		{"GET 503", ctx, "GET", idempotent, status(503), nil, true, true},
		{"GET 504", ctx, "GET", idempotent, status(504), nil, true, true},
		{"GET 501 is not transient", ctx, "GET", idempotent, status(501), nil, true, false},
		{"GET 404", ctx, "GET", idempotent, status(404), nil, true, false},
		{"GET 409", ctx, "GET", idempotent, status(409), nil, true, false},
		{"GET reset", ctx, "GET", idempotent, nil, reset, true, true},
		{"GET EOF", ctx, "GET", idempotent, nil, io.EOF, true, true},
		{"GET unexpected EOF", ctx, "GET", idempotent, nil, fmt.Errorf("reading: %w", io.ErrUnexpectedEOF), true, true},
		{"GET timeout", ctx, "GET", idempotent, nil, timeoutErr{}, true, true},
		{"GET TLS failure", ctx, "GET", idempotent, nil, errors.New("x509: certificate signed by unknown authority"), true, false},
		{"GET with the context gone", gone, "GET", idempotent, status(503), nil, true, false},
		{"POST 429", ctx, "POST", unsafe, status(429), nil, true, true},
		{"POST 503", ctx, "POST", unsafe, status(503), nil, true, false},
		{"POST 500", ctx, "POST", unsafe, status(500), nil, true, false},
		{"POST reset after sending", ctx, "POST", unsafe, nil, reset, true, false},
		{"POST reset before sending", ctx, "POST", unsafe, nil, reset, false, true},
		{"POST refused", ctx, "POST", unsafe, nil, &net.OpError{Op: "dial", Err: &netSyscallError{syscall.ECONNREFUSED}}, false, true},
		{"unconditional DELETE 503", ctx, "DELETE", unsafe, status(503), nil, true, false},
		{"conditional DELETE 503", ctx, "DELETE", idempotent, status(503), nil, true, true},
		{"conditional PUT reset", ctx, "PUT", idempotent, nil, reset, true, true},
	} {
		got, why := shouldRetry(c.ctx, c.method, c.class, c.resp, c.err, c.sent)
		if got != c.want {
			t.Errorf("%s: retry = %v (%s), want %v", c.name, got, why, c.want)
		}
	}
}

type netSyscallError struct{ errno syscall.Errno }

func (e *netSyscallError) Error() string { return "read: " + e.errno.Error() }
func (e *netSyscallError) Unwrap() error { return e.errno }

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestClassify(t *testing.T) {
	rv := "42"
	pb := protobuf.NewSerializer(scheme.Scheme, scheme.Scheme)
	encode := func(obj runtime.Object, gv runtime.GroupVersioner) []byte {
		var buf bytes.Buffer
		if err := scheme.Codecs.EncoderForVersion(pb, gv).Encode(obj, &buf); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	jsonOf := func(v any) []byte { b, _ := json.Marshal(v); return b }
	rb := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "b", Namespace: "n", ResourceVersion: rv}}
	rbNoRV := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "b", Namespace: "n"}}
	const (
		js  = "application/json"
		pbt = "application/vnd.kubernetes.protobuf"
	)
	for _, c := range []struct {
		name, method, url, ctype string
		body                     []byte
		want                     requestClass
	}{
		{"GET", "GET", "/api/v1/namespaces/n/serviceaccounts/a", "", nil, idempotent},
		{"LIST", "GET", "/api/v1/serviceaccounts?limit=500", "", nil, idempotent},
		{"WATCH by query", "GET", "/api/v1/serviceaccounts?watch=true", "", nil, passThrough},
		{"WATCH by path", "GET", "/api/v1/watch/serviceaccounts", "", nil, passThrough},
		{"POST", "POST", "/api/v1/namespaces/n/serviceaccounts", js, jsonOf(rbNoRV), unsafe},
		{"PUT with resourceVersion (JSON)", "PUT", "/x", js, jsonOf(rb), idempotent},
		{"PUT without resourceVersion (JSON)", "PUT", "/x", js, jsonOf(rbNoRV), unsafe},
		{"PUT with resourceVersion (protobuf)", "PUT", "/x", pbt, encode(rb, rbacv1.SchemeGroupVersion), idempotent},
		{"PUT without resourceVersion (protobuf)", "PUT", "/x", pbt, encode(rbNoRV, rbacv1.SchemeGroupVersion), unsafe},
		{"DELETE with UID precondition (JSON)", "DELETE", "/x", js, jsonOf(metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: ptr(types.UID("u"))}}), idempotent},
		{"DELETE with resourceVersion precondition (protobuf)", "DELETE", "/x", pbt,
			encode(&metav1.DeleteOptions{Preconditions: &metav1.Preconditions{ResourceVersion: &rv}}, rbacv1.SchemeGroupVersion), idempotent},
		{"DELETE without precondition (protobuf)", "DELETE", "/x", pbt, encode(&metav1.DeleteOptions{}, rbacv1.SchemeGroupVersion), unsafe},
		{"DELETE with an empty precondition", "DELETE", "/x", js, jsonOf(metav1.DeleteOptions{Preconditions: &metav1.Preconditions{ResourceVersion: ptr("")}}), unsafe},
		{"DELETE without body", "DELETE", "/x", "", nil, unsafe},
		{"merge PATCH with resourceVersion", "PATCH", "/x", "application/merge-patch+json", []byte(`{"metadata":{"resourceVersion":"7"},"data":{}}`), idempotent},
		{"merge PATCH without resourceVersion", "PATCH", "/x", "application/merge-patch+json", []byte(`{"metadata":{"annotations":{"a":"b"}}}`), unsafe},
		{"JSON PATCH testing resourceVersion", "PATCH", "/x", "application/json-patch+json", []byte(`[{"op":"test","path":"/metadata/resourceVersion","value":"7"},{"op":"add","path":"/a","value":1}]`), idempotent},
		{"JSON PATCH without test", "PATCH", "/x", "application/json-patch+json", []byte(`[{"op":"add","path":"/metadata/resourceVersion","value":"7"}]`), unsafe},
		{"apply PATCH", "PATCH", "/x", "application/apply-patch+yaml", []byte("metadata:\n  resourceVersion: \"7\"\n"), unsafe},
		{"unreadable body", "PUT", "/x", js, []byte("{"), unsafe},
	} {
		req, _ := http.NewRequest(c.method, "https://h"+c.url, nil)
		if c.ctype != "" {
			req.Header.Set("Content-Type", c.ctype)
		}
		if got := classify(req, c.body); got != c.want {
			t.Errorf("%s: class %d, want %d", c.name, got, c.want)
		}
	}
	up, _ := http.NewRequest("POST", "https://h/api/v1/namespaces/n/pods/p/exec", nil)
	up.Header.Set("Upgrade", "websocket")
	if classify(up, nil) != passThrough {
		t.Error("an upgrade request is not passed through")
	}
}

func ptr[T any](v T) *T { return &v }

// fakeAPI is an API server stand-in whose handler sees each request's
// number (from 1), and a connector wired to it through the retry layer with
// recorded, instant waits.
type fakeAPI struct {
	t      *testing.T
	srv    *httptest.Server
	hits   atomic.Int64
	mu     sync.Mutex
	waits  []time.Duration
	cs     kubernetes.Interface
	client *Client
}

func newFakeAPI(t *testing.T, h func(w http.ResponseWriter, r *http.Request, n int)) *fakeAPI {
	f := &fakeAPI{t: t}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h(w, r, int(f.hits.Add(1)))
	}))
	t.Cleanup(f.srv.Close)
	f.cs = f.clientset(func(ctx context.Context, d time.Duration) error {
		f.mu.Lock()
		f.waits = append(f.waits, d)
		f.mu.Unlock()
		return ctx.Err()
	})
	f.client = NewFromClientset(f.cs, DefaultPrefix)
	return f
}

// clientset builds a clientset as New does, with the given sleep.
func (f *fakeAPI) clientset(sleep func(context.Context, time.Duration) error) kubernetes.Interface {
	cfg := &rest.Config{Host: f.srv.URL, QPS: 1000, Burst: 1000}
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		tr := newRetryTransport(rt, DefaultRetryPolicy)
		tr.sleep = sleep
		tr.jitter = func() float64 { return 0.5 }
		return tr
	})
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		f.t.Fatal(err)
	}
	return cs
}

func (f *fakeAPI) totalWait() (d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, w := range f.waits {
		d += w
	}
	return d
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

var clusterRoleEdit = &rbacv1.ClusterRole{TypeMeta: metav1.TypeMeta{Kind: "ClusterRole", APIVersion: "rbac.authorization.k8s.io/v1"}, ObjectMeta: metav1.ObjectMeta{Name: "edit"}}

// TestRetryAlways503: a bodiless 503 is retried 6 times in all, not 6 × 11
// (client-go adds none), and the connector's error names the method, the
// path, the status and the attempts instead of being empty.
func TestRetryAlways503(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	_, err := f.client.MissingRoles(context.Background(), "flt", []string{"clusterrole:edit@flt"})
	want := "checking the role of scope clusterrole:edit@flt: GET /apis/rbac.authorization.k8s.io/v1/clusterroles/edit: 503 Service Unavailable (empty body) after 6 attempts"
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v\nwant    %s", err, want)
	}
	if !apierrors.IsServiceUnavailable(err) {
		t.Errorf("the error is no longer a 503 StatusError: %#v", err)
	}
	if n := f.hits.Load(); n != 6 {
		t.Errorf("the server saw %d requests, want 6", n)
	}
	if len(f.waits) != 5 || f.waits[0] >= f.waits[4] || f.totalWait() > DefaultRetryPolicy.MaxTotalDelay {
		t.Errorf("waits = %v", f.waits)
	}
}

// TestRetryAlways429: a 429 with Retry-After is retried by this layer only
// (client-go would retry each of its answers 10 more times), and its waits
// honour Retry-After up to the cap, within the total cap.
func TestRetryAlways429(t *testing.T) {
	for _, c := range []struct {
		retryAfter string
		attempts   int
		minWait    time.Duration
	}{{"0", 6, 0}, {"3", 6, 3 * time.Second}, {"3600", 3, 10 * time.Second}} {
		f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
			w.Header().Set("Retry-After", c.retryAfter)
			writeJSON(w, http.StatusTooManyRequests, metav1.Status{TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
				Status: metav1.StatusFailure, Code: 429, Reason: metav1.StatusReasonTooManyRequests, Message: "Too many requests, please try again later."})
		})
		_, err := f.cs.CoreV1().ServiceAccounts("n").Get(context.Background(), "a", metav1.GetOptions{})
		if n := f.hits.Load(); int(n) != c.attempts {
			t.Errorf("Retry-After %s: the server saw %d requests, want %d", c.retryAfter, n, c.attempts)
		}
		for _, w := range f.waits {
			if w < c.minWait || w > 10*time.Second+DefaultRetryPolicy.BaseDelay {
				t.Errorf("Retry-After %s: waits %v", c.retryAfter, f.waits)
			}
		}
		if f.totalWait() > DefaultRetryPolicy.MaxTotalDelay {
			t.Errorf("Retry-After %s: waited %v in all", c.retryAfter, f.totalWait())
		}
		msg := fmt.Sprintf(`GET /api/v1/namespaces/n/serviceaccounts/a: 429 Too Many Requests: "Too many requests, please try again later." after %d attempts`, c.attempts)
		if err == nil || !strings.HasPrefix(err.Error(), msg) || !apierrors.IsTooManyRequests(err) {
			t.Errorf("Retry-After %s: error %v\nwant prefix %s", c.retryAfter, err, msg)
		}
		if c.attempts == 3 && !strings.Contains(err.Error(), "would pass the 30s limit on waiting") {
			t.Errorf("the error does not say it stopped at the limit on waiting: %v", err)
		}
	}
}

// TestRetryWrites: creates retry 429 only; writes with a precondition retry
// 5xx too; writes without one do not.
func TestRetryWrites(t *testing.T) {
	ctx := context.Background()
	rb := &rbacv1.RoleBinding{TypeMeta: metav1.TypeMeta{Kind: "RoleBinding", APIVersion: "rbac.authorization.k8s.io/v1"},
		ObjectMeta: metav1.ObjectMeta{Name: "b", Namespace: "n", ResourceVersion: "5"}}
	failFirst := func(code int) func(w http.ResponseWriter, r *http.Request, n int) {
		return func(w http.ResponseWriter, r *http.Request, n int) {
			_, _ = io.Copy(io.Discard, r.Body)
			if n == 1 {
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(code)
				return
			}
			if r.Method == http.MethodDelete {
				writeJSON(w, 200, metav1.Status{TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}, Status: metav1.StatusSuccess})
				return
			}
			writeJSON(w, 200, rb)
		}
	}
	rv := "5"
	for _, c := range []struct {
		name  string
		code  int
		call  func(cs kubernetes.Interface) error
		tries int64
	}{
		{"create after 429", 429, func(cs kubernetes.Interface) error {
			_, err := cs.RbacV1().RoleBindings("n").Create(ctx, rb, metav1.CreateOptions{})
			return err
		}, 2},
		{"create after 503", 503, func(cs kubernetes.Interface) error {
			_, err := cs.RbacV1().RoleBindings("n").Create(ctx, rb, metav1.CreateOptions{})
			return err
		}, 1},
		{"update with resourceVersion after 503", 503, func(cs kubernetes.Interface) error {
			_, err := cs.RbacV1().RoleBindings("n").Update(ctx, rb, metav1.UpdateOptions{})
			return err
		}, 2},
		{"update without resourceVersion after 503", 503, func(cs kubernetes.Interface) error {
			u := rb.DeepCopy()
			u.ResourceVersion = ""
			_, err := cs.RbacV1().RoleBindings("n").Update(ctx, u, metav1.UpdateOptions{})
			return err
		}, 1},
		{"delete with precondition after 502", 502, func(cs kubernetes.Interface) error {
			return cs.RbacV1().RoleBindings("n").Delete(ctx, "b", metav1.DeleteOptions{Preconditions: &metav1.Preconditions{ResourceVersion: &rv}})
		}, 2},
		{"delete without precondition after 502", 502, func(cs kubernetes.Interface) error {
			return cs.RbacV1().RoleBindings("n").Delete(ctx, "b", metav1.DeleteOptions{})
		}, 1},
		{"merge patch of a Secret with resourceVersion after 500", 500, func(cs kubernetes.Interface) error {
			_, err := cs.CoreV1().Secrets("n").Patch(ctx, "s", "application/merge-patch+json", []byte(`{"metadata":{"resourceVersion":"5"}}`), metav1.PatchOptions{})
			return err
		}, 2},
	} {
		f := newFakeAPI(t, failFirst(c.code))
		err := c.call(f.cs)
		if f.hits.Load() != c.tries {
			t.Errorf("%s: %d requests, want %d (err %v)", c.name, f.hits.Load(), c.tries, err)
		}
		if c.tries == 2 && err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
		if c.tries == 1 {
			if err == nil || !strings.Contains(err.Error(), "after 1 attempt; not retried: a ") {
				t.Errorf("%s: error %v does not say why it was not retried", c.name, err)
			}
			if code := apierrors.ReasonForError(err); code == metav1.StatusReasonUnknown && c.code == 503 {
				t.Errorf("%s: lost the 503 reason: %#v", c.name, err)
			}
		}
	}
}

// resetHandler resets the connection of every request.
func resetHandler(w http.ResponseWriter, r *http.Request, n int) {
	c, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		panic(err)
	}
	_ = c.(*net.TCPConn).SetLinger(0)
	_ = c.Close()
}

// TestRetryResets: GETs are retried after a reset; the final error says so,
// and neither client-go nor anyone reading the chain takes it for a fresh
// reset (which would make client-go retry it 10 more times). A create whose
// connection was reset after it was sent is not retried.
func TestRetryResets(t *testing.T) {
	f := newFakeAPI(t, resetHandler)
	_, err := f.client.Get(context.Background(), nhi.Ref{Location: "n", Name: "a"})
	if err == nil || !strings.Contains(err.Error(), "reading service account n/a: ") ||
		!strings.Contains(err.Error(), "GET /api/v1/namespaces/n/serviceaccounts/a: connection reset after 6 attempts") {
		t.Fatalf("error = %v", err)
	}
	// net/http itself retries an idempotent request once on a reused
	// connection that breaks; more than that would be client-go retrying.
	if n := f.hits.Load(); n < 6 || n > 12 {
		t.Errorf("the server saw %d requests, want 6 to 12", n)
	}
	if utilnet.IsProbableEOF(err) || utilnet.IsConnectionReset(err) || utilnet.IsHTTP2ConnectionLost(err) {
		t.Errorf("client-go would retry the final error once more: %v", err)
	}
	var re *RequestError
	if !errors.As(err, &re) || re.Attempts != 6 {
		t.Errorf("not a *RequestError with 6 attempts: %#v", err)
	}

	f = newFakeAPI(t, resetHandler)
	_, err = f.cs.CoreV1().ServiceAccounts("n").Create(context.Background(), &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "a"}}, metav1.CreateOptions{})
	if n := f.hits.Load(); n != 1 {
		t.Errorf("a reset create was sent %d times, want once", n)
	}
	if err == nil || !strings.Contains(err.Error(), "POST /api/v1/namespaces/n/serviceaccounts: connection reset after 1 attempt; not retried: the request was sent, so the server may have done the work") {
		t.Errorf("error = %v", err)
	}
}

// TestRetryStopsWithTheContext: a wait never outlasts ctx.
func TestRetryStopsWithTheContext(t *testing.T) {
	var f *fakeAPI
	f = newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("Retry-After", "10")
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	cs := f.clientset(sleepCtx) // real waits

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, err := cs.CoreV1().ServiceAccounts("n").Get(ctx, "a", metav1.GetOptions{})
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("canceling the context took %v to stop the retries", took)
	}
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "GET /api/v1/namespaces/n/serviceaccounts/a: 503 Service Unavailable after 1 attempt; stopped: context canceled") {
		t.Errorf("error = %v", err)
	}

	// A deadline shorter than the next wait ends the retries at once.
	ctx, cancel = context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	start = time.Now()
	_, err = cs.CoreV1().ServiceAccounts("n").Get(ctx, "a", metav1.GetOptions{})
	if took := time.Since(start); took > time.Second {
		t.Errorf("took %v; a wait past the deadline should not start", took)
	}
	if err == nil || !strings.Contains(err.Error(), "503 Service Unavailable (empty body) after 1 attempt; stopped: the next wait (10.1s) would pass the deadline") {
		t.Errorf("error = %v", err)
	}
}

// TestRetryRewritesOnlyWhatNeedsIt: a first-attempt 404 keeps the server's
// message; a 5xx whose Status has no message gets one.
func TestRetryRewritesOnlyWhatNeedsIt(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if strings.HasSuffix(r.URL.Path, "/missing") {
			writeJSON(w, 404, metav1.Status{TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}, Status: metav1.StatusFailure,
				Code: 404, Reason: metav1.StatusReasonNotFound, Message: `serviceaccounts "missing" not found`})
			return
		}
		if strings.HasSuffix(r.URL.Path, "/edit") {
			writeJSON(w, 200, clusterRoleEdit)
			return
		}
		writeJSON(w, 500, metav1.Status{TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}, Status: metav1.StatusFailure})
	})
	_, err := f.cs.CoreV1().ServiceAccounts("n").Get(context.Background(), "missing", metav1.GetOptions{})
	if !apierrors.IsNotFound(err) || err.Error() != `serviceaccounts "missing" not found` || f.hits.Load() != 1 {
		t.Errorf("404: %v after %d requests", err, f.hits.Load())
	}
	if _, err := f.cs.RbacV1().ClusterRoles().Get(context.Background(), "edit", metav1.GetOptions{}); err != nil {
		t.Errorf("200: %v", err)
	}
	_, err = f.cs.CoreV1().ServiceAccounts("n").Get(context.Background(), "x", metav1.GetOptions{})
	if err == nil || err.Error() != "GET /api/v1/namespaces/n/serviceaccounts/x: 500 Internal Server Error after 6 attempts" || !apierrors.IsInternalError(err) {
		t.Errorf("500 with an empty Status: %v", err)
	}
}

// TestRetryRecovers: transient failures of reads are invisible to callers.
func TestRetryRecovers(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
		// The reset comes first, on a fresh connection: net/http retries
		// a GET on a reused one by itself.
		switch n {
		case 1:
			resetHandler(w, r, n)
		case 2:
			w.WriteHeader(http.StatusServiceUnavailable)
		case 3:
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
		default:
			writeJSON(w, 200, clusterRoleEdit)
		}
	})
	missing, err := f.client.MissingRoles(context.Background(), "flt", []string{"clusterrole:edit@flt"})
	if err != nil || len(missing) != 0 {
		t.Fatalf("MissingRoles = %v, %v", missing, err)
	}
	if len(f.waits) != 3 || f.waits[2] < time.Second || f.hits.Load() != 4 {
		t.Errorf("waits = %v after %d requests (the third must honour Retry-After: 1)", f.waits, f.hits.Load())
	}
}

func TestRequestErrorHasNoQuery(t *testing.T) {
	f := newFakeAPI(t, resetHandler)
	_, err := f.cs.CoreV1().ServiceAccounts("").List(context.Background(), metav1.ListOptions{LabelSelector: "a=b", Continue: "opaque-token"})
	var re *RequestError
	if !errors.As(err, &re) || strings.Contains(re.Error(), "opaque-token") || re.Path != "/api/v1/serviceaccounts" {
		t.Fatalf("error = %#v", err)
	}
}
