package github

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/nhi-ops/terraform-provider-nhi/internal/testenv/faultproxy"
	"github.com/nhi-ops/terraform-provider-nhi/internal/testenv/githubfake"
)

// Through the project's fault-injecting proxy in front of the fake GitHub:
// a scan under random 429s, 503s, connection resets and lost answers sees
// every deploy key, and a key registration whose answer is lost (or whose
// connection is reset after GitHub made it) leaves exactly one key.
func TestThroughTheFaultProxy(t *testing.T) {
	s := fake(t)
	const n = 60
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("repo-%02d", i)
		s.AddRepository(org, name)
		s.AddDeployKey(org, name, githubfake.FakeDeployKey{Title: "k", Key: pubKey(2000 + i), ReadOnly: true})
	}
	up := s.URL()
	p, err := faultproxy.New(faultproxy.Config{Upstream: up[:len(up)-1], RetryAfter: 1, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	c, err := New(context.Background(), fast(Config{BaseURL: p.URL() + "/", Organization: org, Token: s.Token(), PerPage: 10, MaxRetries: 8}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	if err := p.SetRates(faultproxy.Rates{TooManyRequests: 0.08, Unavailable: 0.06, Reset: 0.04, LostAnswer: 0.04}); err != nil {
		t.Fatal(err)
	}
	ids, err := c.OrganizationDeployKeys(ctx, nil)
	if err != nil {
		t.Fatalf("deploy key listing through faults: %v", err)
	}
	if len(ids) != n {
		t.Errorf("listed %d deploy keys through faults, want %d", len(ids), n)
	}
	if st := p.Stats(); st.ByFault[faultproxy.None] == st.Total {
		t.Fatalf("the proxy injected no fault in %d requests", st.Total)
	}
	if err := p.SetRates(faultproxy.Rates{}); err != nil {
		t.Fatal(err)
	}

	for i, f := range []faultproxy.Fault{faultproxy.LostAnswer, faultproxy.Reset} {
		repo := fmt.Sprintf("repo-%02d", i)
		rule, err := p.AddRule(faultproxy.Rule{Method: http.MethodPost, Fault: f, Times: 1})
		if err != nil {
			t.Fatal(err)
		}
		k, err := c.CreateDeployKey(ctx, org, repo, "ci", pubKey(3000+i), true)
		if err != nil {
			t.Fatalf("create through %s: %v", f, err)
		}
		if got := len(s.DeployKeys(org, repo)); got != 2 {
			t.Errorf("after a create through %s the repository holds %d keys, want 2 (the seeded one and one new)", f, got)
		}
		if rule.Applied() != 1 {
			t.Errorf("the %s rule was applied %d times, want 1", f, rule.Applied())
		}
		if k.ID == 0 || k.PublicKey != pubKey(3000+i) {
			t.Errorf("create through %s returned %+v", f, k)
		}
	}
}
