package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// A server whose Link header keeps naming fresh pages, or points to
// another scheme on the API's host, does not keep a listing (and the
// credential) going.
func TestListingStopsOnEndlessOrDowngradedLinks(t *testing.T) {
	for _, tc := range []struct {
		name, body, want string
		next             func(r *http.Request, n int32) string
	}{
		{"empty pages naming a next one", "[]", "an empty page that names a next page",
			func(r *http.Request, n int32) string {
				return fmt.Sprintf("http://%s/repos/acme/api/keys?page=%d", r.Host, n+1)
			}},
		{"a next link to another scheme", `[{"id":1,"key":"ssh-ed25519 AAAA","title":"k"}]`, "points to https:// on the API's host",
			func(r *http.Request, n int32) string {
				return fmt.Sprintf("https://%s/repos/acme/api/keys?page=%d", r.Host, n+1)
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var n atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				i := n.Add(1)
				w.Header().Set("Link", fmt.Sprintf(`<%s>; rel="next"`, tc.next(r, i)))
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprint(w, tc.body)
			}))
			defer srv.Close()
			c, err := New(context.Background(), fast(Config{BaseURL: srv.URL + "/", Organization: org, Token: "t"}))
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, err = c.ListDeployKeys(ctx, org, "api")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
			if got := n.Load(); got != 1 {
				t.Errorf("%d pages read, want 1", got)
			}
		})
	}
}

// A 429 still refused after the retries is a rate limit to the caller
// (go-github types only 403s as rate limits).
func TestRefused429IsRateLimited(t *testing.T) {
	s := fake(t)
	s.AddRepository(org, "api")
	c := tokenClient(t, s, Config{MaxRetries: 1})
	s.SecondaryAnswer(http.StatusTooManyRequests, true)
	s.LimitNext(5, true, time.Second)
	_, err := c.RepositoryExists(context.Background(), org, "api")
	if !errors.Is(err, ErrRateLimited) || !strings.Contains(err.Error(), "429") {
		t.Errorf("got %v, want ErrRateLimited naming the 429", err)
	}
	s.LimitNext(0, false, 0)
	s.SecondaryAnswer(http.StatusTooManyRequests, false)
	s.SecondaryEvery(1, 0)
	_, err = c.Scan(context.Background(), []string{LocationWebhook})
	if !errors.Is(err, ErrRateLimited) || errors.Is(err, ErrForbidden) {
		t.Errorf("a listing refused with 429: %v, want ErrRateLimited and no permission hint", err)
	}
}
