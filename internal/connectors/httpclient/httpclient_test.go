package httpclient_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nhi-ops/terraform-provider-nhi/internal/connectors/httpclient"
)

// counting serves answer for every request and counts them.
func counting(t *testing.T, answer func(w http.ResponseWriter, r *http.Request, n int)) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		answer(w, r, int(n.Add(1)))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func fast() httpclient.Options {
	return httpclient.Options{MaxRetries: 3, RetryWaitMin: time.Millisecond, RetryWaitMax: 20 * time.Millisecond}
}

func do(t *testing.T, c *http.Client, ctx context.Context, method, url string) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(`{"a":1}`))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if resp != nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	return resp, err
}

func TestRetryCounts(t *testing.T) {
	for _, tc := range []struct {
		name     string
		method   string
		status   int
		mark     bool
		attempts int32
	}{
		{"GET 503 retried to the bound", http.MethodGet, 503, false, 4},
		{"PUT 500 retried", http.MethodPut, 500, false, 4},
		{"DELETE 502 retried", http.MethodDelete, 502, false, 4},
		{"GET 501 not retried", http.MethodGet, 501, false, 1},
		{"GET 404 not retried", http.MethodGet, 404, false, 1},
		{"GET 403 not retried without the hook", http.MethodGet, 403, false, 1},
		{"POST 500 not retried", http.MethodPost, 500, false, 1},
		{"PATCH 503 not retried", http.MethodPatch, 503, false, 1},
		{"POST 500 retried when marked idempotent", http.MethodPost, 500, true, 4},
		{"POST 429 retried (refused, not carried out)", http.MethodPost, 429, false, 4},
		{"GET 429 retried", http.MethodGet, 429, false, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, n := counting(t, func(w http.ResponseWriter, r *http.Request, _ int) {
				if b, _ := io.ReadAll(r.Body); string(b) != `{"a":1}` {
					t.Errorf("attempt got body %q, want the body rewound", b)
				}
				w.WriteHeader(tc.status)
			})
			ctx := context.Background()
			if tc.mark {
				ctx = httpclient.Idempotent(ctx)
			}
			resp, err := do(t, httpclient.New(fast()), ctx, tc.method, srv.URL)
			if err != nil {
				t.Fatalf("error %v, want the last answer", err)
			}
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if got := n.Load(); got != tc.attempts {
				t.Errorf("%d attempts, want %d", got, tc.attempts)
			}
		})
	}
}

func TestRetrySucceedsAfterFailures(t *testing.T) {
	srv, n := counting(t, func(w http.ResponseWriter, _ *http.Request, i int) {
		if i < 3 {
			w.WriteHeader(503)
			return
		}
		fmt.Fprint(w, "ok")
	})
	resp, err := do(t, httpclient.New(fast()), context.Background(), http.MethodGet, srv.URL)
	if err != nil || resp.StatusCode != 200 || n.Load() != 3 {
		t.Fatalf("got %v, %v after %d attempts; want 200 after 3", resp, err, n.Load())
	}
}

// dropping accepts connections and closes them without an answer.
func dropping(t *testing.T) (string, *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var n atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			n.Add(1)
			buf := make([]byte, 4096)
			c.Read(buf)
			c.Close()
		}
	}()
	return "http://" + ln.Addr().String(), &n
}

func TestConnectionErrors(t *testing.T) {
	url, n := dropping(t)
	c := httpclient.New(fast())
	_, err := do(t, c, context.Background(), http.MethodGet, url)
	var ex *httpclient.ExhaustedError
	if !errors.As(err, &ex) || ex.Attempts != 4 {
		t.Fatalf("GET: error %v, want ExhaustedError after 4 attempts", err)
	}
	if got := n.Load(); got != 4 {
		t.Errorf("GET: %d connections, want 4", got)
	}
	n.Store(0)
	if _, err := do(t, c, context.Background(), http.MethodPost, url); err == nil {
		t.Fatal("POST: no error")
	}
	if got := n.Load(); got != 1 {
		t.Errorf("POST with a lost answer: %d connections, want 1 (the server may have done it)", got)
	}
}

func TestRetryAfterIsCapped(t *testing.T) {
	srv, n := counting(t, func(w http.ResponseWriter, _ *http.Request, i int) {
		if i == 1 {
			w.Header().Set("Retry-After", "3600")
			w.WriteHeader(429)
			return
		}
		if i == 2 {
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10))
			w.WriteHeader(429)
			return
		}
		fmt.Fprint(w, "ok")
	})
	o := fast()
	o.RetryWaitMax = 100 * time.Millisecond
	start := time.Now()
	resp, err := do(t, httpclient.New(o), context.Background(), http.MethodGet, srv.URL)
	took := time.Since(start)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("got %v, %v", resp, err)
	}
	if n.Load() != 3 {
		t.Errorf("%d attempts, want 3", n.Load())
	}
	if took > 2*time.Second {
		t.Errorf("took %s: Retry-After 3600 and a reset an hour away were not capped at 100ms", took)
	}
	if took < 150*time.Millisecond {
		t.Errorf("took %s: two capped waits of ~100ms were not honoured", took)
	}
}

func TestRetryAfterHonouredBelowCap(t *testing.T) {
	var first time.Time
	var gap time.Duration
	srv, _ := counting(t, func(w http.ResponseWriter, _ *http.Request, i int) {
		if i == 1 {
			first = time.Now()
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(429)
			return
		}
		gap = time.Since(first)
		fmt.Fprint(w, "ok")
	})
	o := fast()
	o.RetryWaitMax = 5 * time.Second
	if _, err := do(t, httpclient.New(o), context.Background(), http.MethodGet, srv.URL); err != nil {
		t.Fatal(err)
	}
	if gap < time.Second || gap > 2*time.Second {
		t.Errorf("retried after %s, want Retry-After's 1s (plus at most a tenth)", gap)
	}
}

func TestSystemRateLimitHook(t *testing.T) {
	srv, n := counting(t, func(w http.ResponseWriter, _ *http.Request, i int) {
		if i == 1 {
			w.WriteHeader(403)
			fmt.Fprint(w, `{"message":"You have exceeded a secondary rate limit."}`)
			return
		}
		if i == 2 {
			w.WriteHeader(403)
			fmt.Fprint(w, `{"message":"Resource not accessible by integration"}`)
			return
		}
		fmt.Fprint(w, "ok")
	})
	o := fast()
	var seen []string
	var mu sync.Mutex
	o.RateLimited = func(resp *http.Response, body []byte) (bool, time.Duration) {
		mu.Lock()
		seen = append(seen, string(body))
		mu.Unlock()
		return resp.StatusCode == 403 && strings.Contains(string(body), "secondary rate limit"), 0
	}
	req, _ := http.NewRequest(http.MethodPost, srv.URL, nil)
	resp, err := httpclient.New(o).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 403 || !strings.Contains(string(b), "not accessible") {
		t.Errorf("got %d %q, want the second 403 with its body intact for the caller", resp.StatusCode, b)
	}
	if n.Load() != 2 {
		t.Errorf("%d attempts, want 2: the secondary limit retried (even for POST), the plain 403 not", n.Load())
	}
	if len(seen) == 0 || !strings.Contains(seen[0], "secondary") {
		t.Errorf("hook saw %q, want the answer's body", seen)
	}
}

func TestContextCancelStopsWaiting(t *testing.T) {
	srv, n := counting(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(429)
	})
	o := fast()
	o.RetryWaitMax = time.Minute
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := do(t, httpclient.New(o), ctx, http.MethodGet, srv.URL)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("took %s after the cancel at 100ms: the wait of Retry-After 30 did not stop", took)
	}
	if n.Load() != 1 {
		t.Errorf("%d attempts, want 1", n.Load())
	}
}

func TestContextDeadlineNoRetry(t *testing.T) {
	srv, n := counting(t, func(w http.ResponseWriter, _ *http.Request, _ int) { w.WriteHeader(503) })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := do(t, httpclient.New(fast()), ctx, http.MethodGet, srv.URL); !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
	if n.Load() > 1 {
		t.Errorf("%d attempts with a cancelled context", n.Load())
	}
}

type recLogger struct {
	mu    sync.Mutex
	lines []string
}

func (r *recLogger) add(level, msg string, kv []any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, fmt.Sprintf("%s %s %v", level, msg, kv))
}
func (r *recLogger) Error(m string, kv ...any) { r.add("ERROR", m, kv) }
func (r *recLogger) Info(m string, kv ...any)  { r.add("INFO", m, kv) }
func (r *recLogger) Debug(m string, kv ...any) { r.add("DEBUG", m, kv) }
func (r *recLogger) Warn(m string, kv ...any)  { r.add("WARN", m, kv) }

func TestLoggerNeverSeesCredentials(t *testing.T) {
	const token = "ghs_SUPERSECRETtoken123"
	srv, _ := counting(t, func(w http.ResponseWriter, r *http.Request, i int) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			t.Errorf("server did not get the token")
		}
		w.Header().Set("Set-Cookie", "session="+token)
		w.Header().Set("X-Api-Token", token)
		w.Header().Set("X-RateLimit-Remaining", "41")
		if i == 1 {
			w.WriteHeader(502)
			return
		}
		fmt.Fprint(w, "ok")
	})
	log := &recLogger{}
	o := fast()
	o.Logger = log
	c := httpclient.New(o)
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/x?access_token="+token+"&page=2", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Cookie", "s="+token)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// A failing connection logs the error, whose text holds the URL.
	url, _ := dropping(t)
	req, _ = http.NewRequest(http.MethodGet, strings.Replace(url, "http://", "http://user:"+token+"@", 1)+"/?token="+token, nil)
	req.Header.Set("Authorization", "token "+token)
	c.Do(req)

	all := strings.Join(log.lines, "\n")
	if strings.Contains(all, "SUPERSECRET") {
		t.Fatalf("the logger saw the token:\n%s", all)
	}
	for _, want := range []string{"retrying request", "X-Ratelimit-Remaining: 41", "page=2", "[redacted]"} {
		if !strings.Contains(all, want) {
			t.Errorf("log lacks %q:\n%s", want, all)
		}
	}
}

func TestNextLink(t *testing.T) {
	h := http.Header{}
	h.Add("Link", `<https://api.example.com/orgs/o/repos?page=2&per_page=30>; rel="next", <https://api.example.com/orgs/o/repos?page=7&per_page=30>; rel="last"`)
	if got := httpclient.NextLink(h); got != "https://api.example.com/orgs/o/repos?page=2&per_page=30" {
		t.Errorf("NextLink = %q", got)
	}
	if got := httpclient.Link(h, "last"); !strings.Contains(got, "page=7") {
		t.Errorf("Link(last) = %q", got)
	}
	h = http.Header{"Link": {`<https://x/y?a=1,2>; rel="prev first"`}}
	if got := httpclient.NextLink(h); got != "" {
		t.Errorf("NextLink on the last page = %q, want \"\"", got)
	}
	if got := httpclient.Link(h, "first"); got != "https://x/y?a=1,2" {
		t.Errorf("Link(first) with a comma in the URL and two relations = %q", got)
	}
}

func TestBackoffBounds(t *testing.T) {
	// Exponential waits never exceed the cap, even after many attempts.
	srv, n := counting(t, func(w http.ResponseWriter, _ *http.Request, _ int) { w.WriteHeader(503) })
	o := httpclient.Options{MaxRetries: 8, RetryWaitMin: 5 * time.Millisecond, RetryWaitMax: 20 * time.Millisecond}
	start := time.Now()
	do(t, httpclient.New(o), context.Background(), http.MethodGet, srv.URL)
	if took := time.Since(start); took > 8*20*time.Millisecond+time.Second {
		t.Errorf("9 attempts took %s: a wait exceeded the 20ms cap", took)
	}
	if n.Load() != 9 {
		t.Errorf("%d attempts, want 9", n.Load())
	}
}

// A rate limit that only the answer's body tells (GitHub's secondary limit
// without retry-after) waits what the system's hook asks for, capped:
// retryablehttp drains the body before Backoff runs, so the decision made
// in the retry policy must reach the backoff.
func TestBodyOnlyRateLimitWaitsWhatTheHookAsks(t *testing.T) {
	var mu sync.Mutex
	var at []time.Time
	srv, n := counting(t, func(w http.ResponseWriter, _ *http.Request, i int) {
		mu.Lock()
		at = append(at, time.Now())
		mu.Unlock()
		if i == 1 {
			w.WriteHeader(403)
			fmt.Fprint(w, `{"message":"You have exceeded a secondary rate limit."}`)
			return
		}
		fmt.Fprint(w, "ok")
	})
	const capWait = 300 * time.Millisecond
	o := httpclient.Options{MaxRetries: 3, RetryWaitMin: time.Millisecond, RetryWaitMax: capWait}
	var bodies []string
	o.RateLimited = func(resp *http.Response, body []byte) (bool, time.Duration) {
		mu.Lock()
		bodies = append(bodies, string(body))
		mu.Unlock()
		if resp.StatusCode == 403 && strings.Contains(string(body), "secondary rate limit") {
			return true, time.Minute
		}
		return false, 0
	}
	resp, err := do(t, httpclient.New(o), context.Background(), http.MethodGet, srv.URL)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("got %v, %v", resp, err)
	}
	if n.Load() != 2 {
		t.Fatalf("%d attempts, want 2", n.Load())
	}
	mu.Lock()
	defer mu.Unlock()
	if gap := at[1].Sub(at[0]); gap < capWait || gap > capWait+time.Second {
		t.Errorf("retried after %s, want the cap %s (the hook asked for a minute; hook saw bodies %q)", gap, capWait, bodies)
	}
}
