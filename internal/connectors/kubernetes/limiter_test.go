package kubernetes

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// fakeLimiter is a limiter on a clock the test moves, recording the waits
// it asks for instead of sleeping.
type fakeLimiter struct {
	*adaptiveLimiter
	t     time.Time
	waits []time.Duration
}

func newFakeLimiter() *fakeLimiter {
	f := &fakeLimiter{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	f.adaptiveLimiter = newAdaptiveLimiter(DefaultRateLimit, DefaultRetryPolicy.MaxRetryAfter)
	f.now = func() time.Time { return f.t }
	f.jitter = func() float64 { return 0.5 }
	f.sleep = func(ctx context.Context, d time.Duration) error {
		f.waits = append(f.waits, d)
		return ctx.Err()
	}
	return f
}

func (f *fakeLimiter) waitN(t *testing.T, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		if err := f.wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLimiterStartsHigh(t *testing.T) {
	f := newFakeLimiter()
	f.waitN(t, DefaultRateLimit.Burst)
	if len(f.waits) != 0 {
		t.Fatalf("a burst of %d requests waited %v; want no wait", DefaultRateLimit.Burst, f.waits)
	}
	f.waitN(t, 1)
	if len(f.waits) != 1 || f.waits[0] != time.Millisecond {
		t.Fatalf("the request after the burst waited %v; want 1ms (1,000 requests/s)", f.waits)
	}
}

func TestLimiter429HalvesOncePerWindowAndPauses(t *testing.T) {
	f := newFakeLimiter()
	// Ten 429s of one overload, all saying Retry-After: 2.
	for i := 0; i < 10; i++ {
		f.throttled(2 * time.Second)
	}
	if r := f.current(); r != 500 {
		t.Fatalf("rate after one overload's 429s = %v; want 500 (halved once)", r)
	}
	f.waitN(t, 3)
	// Paused until Retry-After, spread by half of Spread (jitter 0.5), and
	// then in turn at the halved rate (2 ms apart at 500/s): the cut left no
	// tokens saved up, and the pause saves none, so the requests held by
	// the pause do not all go out together when it ends.
	pause := 2*time.Second + DefaultRateLimit.Spread/2
	want := []time.Duration{pause + 2*time.Millisecond, pause + 4*time.Millisecond, pause + 6*time.Millisecond}
	if fmt.Sprint(f.waits) != fmt.Sprint(want) {
		t.Fatalf("requests during the pause waited %v; want %v", f.waits, want)
	}
	f.waits = nil
	f.t = f.t.Add(DefaultRateLimit.CutWindow)
	f.throttled(-1)
	if r := f.current(); r < 250 || r > 271 {
		t.Fatalf("rate after a second overload = %v; want about 250 (halved again, plus a second of recovery)", r)
	}
	// Never below Min, however long the server says 429.
	for i := 0; i < 100; i++ {
		f.t = f.t.Add(DefaultRateLimit.CutWindow)
		f.throttled(-1)
	}
	if r := f.current(); r < DefaultRateLimit.Min || r > DefaultRateLimit.Min+DefaultRateLimit.Recover {
		t.Fatalf("rate after 100 overloads = %v; want about Min (%v)", r, DefaultRateLimit.Min)
	}
	// A Retry-After of an hour is capped by the retry policy's cap.
	f.waits = nil
	f.throttled(time.Hour)
	f.waitN(t, 1)
	if len(f.waits) != 1 || f.waits[0] > DefaultRetryPolicy.MaxRetryAfter+DefaultRateLimit.Spread {
		t.Fatalf("wait after Retry-After: 1h = %v; want at most %v", f.waits, DefaultRetryPolicy.MaxRetryAfter+DefaultRateLimit.Spread)
	}
}

func TestLimiterRecovers(t *testing.T) {
	f := newFakeLimiter()
	for i := 0; i < 20; i++ {
		f.t = f.t.Add(DefaultRateLimit.CutWindow)
		f.throttled(-1)
	}
	low := f.current()
	f.t = f.t.Add(10 * time.Second)
	if r := f.current(); r < low+199 || r > low+201 {
		t.Fatalf("rate 10 s after the last 429 = %v; want %v + 200", r, low)
	}
	f.t = f.t.Add(time.Minute)
	if r := f.current(); r != DefaultRateLimit.Max {
		t.Fatalf("rate a minute later = %v; want Max (%v)", r, DefaultRateLimit.Max)
	}
}

func TestLimiterWaitEndsWithContext(t *testing.T) {
	f := newFakeLimiter()
	f.waitN(t, DefaultRateLimit.Burst)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := f.wait(ctx); err != context.Canceled {
		t.Fatalf("wait with an ended context = %v; want context.Canceled", err)
	}
	// A waiting request whose context ends gives its token back.
	f.sleep = func(context.Context, time.Duration) error { return context.DeadlineExceeded }
	before := f.tokens
	if err := f.wait(context.Background()); err != context.DeadlineExceeded {
		t.Fatalf("wait = %v", err)
	}
	if f.tokens != before {
		t.Fatalf("tokens %v -> %v: the abandoned wait kept its token", before, f.tokens)
	}
}

// Through the retry layer: a 429 is retried as before, and it cuts the rate
// and holds the client's next request until its Retry-After has passed.
func TestRetryTransport429CutsTheRate(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			w.Header().Set("Retry-After", "3")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		writeJSON(w, 200, clusterRoleEdit)
	})
	lim := newFakeLimiter()
	var mu sync.Mutex
	cfg := &rest.Config{Host: f.srv.URL, QPS: -1}
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		tr := newRetryTransport(rt, DefaultRetryPolicy)
		tr.sleep = func(ctx context.Context, d time.Duration) error {
			mu.Lock()
			defer mu.Unlock()
			lim.t = lim.t.Add(d) // the retry's own wait passes on the limiter's clock
			return nil
		}
		tr.jitter = func() float64 { return 0.5 }
		tr.now = func() time.Time { return lim.t }
		tr.limit = lim.adaptiveLimiter
		return tr
	})
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cs.RbacV1().ClusterRoles().Get(context.Background(), "edit", metav1.GetOptions{}); err != nil {
		t.Fatalf("the 429 must be retried: %v", err)
	}
	if f.hits.Load() != 2 {
		t.Fatalf("server saw %d requests; want 2", f.hits.Load())
	}
	if r := lim.current(); r >= DefaultRateLimit.Max {
		t.Fatalf("rate after a 429 = %v; want it cut from %v", r, DefaultRateLimit.Max)
	}
}

// New's client is not held to a fixed client-side limit: 300 requests from
// 30 workers to a server that answers at once are not slowed down. With
// client-go's token bucket at 50 requests/s and bursts of 100 (the
// connector's fixed limit before) they took at least 4 s.
func TestNewDoesNotThrottleAServerThatKeepsUp(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) { writeJSON(w, 200, clusterRoleEdit) })
	c, err := New(&rest.Config{Host: f.srv.URL}, DefaultPrefix)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, 300)
	for w := 0; w < 30; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				if _, err := c.cs.RbacV1().ClusterRoles().Get(context.Background(), "edit", metav1.GetOptions{}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("300 requests took %s; a fixed limit of 50 requests/s takes at least 4 s, none at all well under 2 s", d)
	}
}
