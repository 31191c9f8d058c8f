package github

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nhi-ops/terraform-provider-nhi/internal/testenv/githubfake"
)

func TestAppAuthTokenCachedAndRefreshed(t *testing.T) {
	s := fake(t)
	s.AddRepository(org, "api")
	s.SetTokenLifetime(time.Second)
	c, _ := appClient(t, s, Config{}, map[string]string{"metadata": "read"})
	ctx := context.Background()
	exists := func() {
		t.Helper()
		if ok, err := c.RepositoryExists(ctx, org, "api"); err != nil || !ok {
			t.Fatalf("RepositoryExists = %v, %v", ok, err)
		}
	}
	exists()
	exists()
	if n := s.Issued(); n != 1 {
		t.Fatalf("%d installation tokens exchanged for two calls, want 1 (cached)", n)
	}
	// A token is replaced when half of its lifetime (at most 5 minutes
	// before its expiry) is left, so no request goes out with one about
	// to expire.
	time.Sleep(600 * time.Millisecond)
	exists()
	if n := s.Issued(); n != 2 {
		t.Errorf("%d tokens after half the lifetime, want 2 (refreshed before expiry)", n)
	}
	// A token GitHub revoked (401) is exchanged again and the request
	// repeated once.
	s.SetTokenLifetime(time.Hour)
	s.RevokeInstallationTokens()
	exists()
	if n := s.Issued(); n != 3 {
		t.Errorf("%d tokens after a revocation, want 3", n)
	}
	if n := s.Count(githubfake.RouteInstallationAuth); n != 3 {
		t.Errorf("%d exchanges, want 3", n)
	}
}

func TestAppAuthRefreshUsesWallClock(t *testing.T) {
	// The refresh decision uses the token source's own clock: a test
	// clock moved past the expiry forces a new exchange without sleeping.
	s := fake(t)
	s.AddRepository(org, "api")
	c, _ := appClient(t, s, Config{}, nil)
	ctx := context.Background()
	if _, err := c.RepositoryExists(ctx, org, "api"); err != nil {
		t.Fatal(err)
	}
	c.auth.now = func() time.Time { return time.Now().Add(58 * time.Minute) }
	if _, err := c.RepositoryExists(ctx, org, "api"); err != nil {
		t.Fatal(err)
	}
	if n := s.Issued(); n != 2 {
		t.Errorf("%d tokens, want 2: a token 2 minutes from expiry is replaced", n)
	}
}

func TestAppAuthWrongKey(t *testing.T) {
	s := fake(t)
	s.AddRepository(org, "api")
	c, _ := appClient(t, s, Config{}, nil)
	other, _ := appClient(t, s, Config{}, nil) // registers another key for the same App ID
	_ = other
	_, err := c.RepositoryExists(context.Background(), org, "api")
	if err == nil || !strings.Contains(err.Error(), "check app_id, installation_id and that the private key belongs to the App") {
		t.Errorf("got %v, want the exchange's error with what to check", err)
	}
}

func TestLoggerNeverSeesCredentials(t *testing.T) {
	s := fake(t)
	s.AddRepository(org, "api")
	log := &recLogger{}
	c, _ := appClient(t, s, Config{Logger: log}, map[string]string{"contents": "write"})
	tc := tokenClient(t, s, Config{Logger: log})
	s.SecondaryEvery(2, time.Second)
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		c.RepositoryExists(ctx, org, "api")
		tc.RepositoryExists(ctx, org, "api")
	}
	all := log.text()
	if !strings.Contains(all, "retrying request") || !strings.Contains(all, "HTTP answer") {
		t.Fatalf("the logger saw no requests:\n%s", all)
	}
	for _, secret := range []string{s.Token(), "ghs_", "eyJ"} {
		if strings.Contains(all, secret) {
			t.Errorf("the logger saw a credential (%.8s...):\n%s", secret, all)
		}
	}
}

// gate holds requests to the token exchange until released.
type gate struct {
	next    http.RoundTripper
	release chan struct{}
}

func (g *gate) RoundTrip(req *http.Request) (*http.Response, error) {
	if strings.HasSuffix(req.URL.Path, "/access_tokens") {
		select {
		case <-g.release:
		case <-req.Context().Done():
			return nil, req.Context().Err()
		}
	}
	return g.next.RoundTrip(req)
}

// Concurrent first uses of an App client share one token exchange; a
// failed exchange is not repeated by every waiter; a waiter whose context
// ends stops waiting. Run with -race.
func TestAppAuthConcurrentFirstUseOneExchange(t *testing.T) {
	const n = 8
	run := func(t *testing.T, c *Client) []error {
		t.Helper()
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = c.RepositoryExists(context.Background(), org, "api")
			}()
		}
		wg.Wait()
		return errs
	}
	t.Run("success", func(t *testing.T) {
		s := fake(t)
		s.AddRepository(org, "api")
		g := &gate{next: http.DefaultTransport, release: make(chan struct{})}
		c, _ := appClient(t, s, Config{Transport: g}, map[string]string{"metadata": "read"})
		time.AfterFunc(100*time.Millisecond, func() { close(g.release) })
		for i, err := range run(t, c) {
			if err != nil {
				t.Errorf("goroutine %d: %v", i, err)
			}
		}
		if got := s.Issued(); got != 1 {
			t.Errorf("%d installation tokens for %d concurrent first uses, want 1", got, n)
		}
	})
	t.Run("failure", func(t *testing.T) {
		s := fake(t)
		s.AddRepository(org, "api")
		g := &gate{next: http.DefaultTransport, release: make(chan struct{})}
		c, _ := appClient(t, s, Config{Transport: g}, nil)
		appClient(t, s, Config{}, nil) // another key for the same App ID: the exchange fails
		time.AfterFunc(100*time.Millisecond, func() { close(g.release) })
		for i, err := range run(t, c) {
			if err == nil || !strings.Contains(err.Error(), "check app_id, installation_id") {
				t.Errorf("goroutine %d: %v, want the exchange's error", i, err)
			}
		}
		// And the next call soon after gets the remembered failure.
		if _, err := c.RepositoryExists(context.Background(), org, "api"); err == nil {
			t.Error("no error after a failed exchange")
		}
		if got := s.Count(githubfake.RouteInstallationAuth); got != 1 {
			t.Errorf("%d exchanges for %d concurrent first uses and one more call, all failing, want 1 (shared, and the failure remembered)", got, n)
		}
	})
	t.Run("a waiter's context", func(t *testing.T) {
		s := fake(t)
		s.AddRepository(org, "api")
		g := &gate{next: http.DefaultTransport, release: make(chan struct{})}
		defer close(g.release)
		c, _ := appClient(t, s, Config{Transport: g}, nil)
		go c.RepositoryExists(context.Background(), org, "api") // holds the exchange
		time.Sleep(20 * time.Millisecond)
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := c.RepositoryExists(ctx, org, "api")
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("got %v, want the waiter's deadline", err)
		}
		if took := time.Since(start); took > time.Second {
			t.Errorf("the waiter waited %s for another caller's exchange, past its own 50ms deadline", took)
		}
	})
}
