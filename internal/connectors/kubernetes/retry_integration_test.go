package kubernetes_test

// The retry layer against the project's real kube-apiserver, reached
// through the fault-injecting proxy (internal/testenv/faultproxy). These
// tests fail, never skip, when the cluster is absent.

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
	k8s "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/kubernetes"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/testenv/faultproxy"
)

// faultyCluster starts a fault proxy in front of the test cluster and
// returns it with a REST configuration that goes through it.
func faultyCluster(t *testing.T, seed uint64) (*faultproxy.Proxy, *rest.Config) {
	t.Helper()
	p := acctest.KubeProxy(t, seed)
	return p, p.RESTConfig(acctest.RESTConfig(t))
}

// readResult is what the read workload saw.
type readResult struct {
	Got     []nhi.Identity
	Listed  []nhi.Identity
	Missing []string
}

// readAll reads like a plan does: every service account by name, the
// namespace page by page, and the roles of the scopes.
func readAll(ctx context.Context, c *k8s.Client, ns string, names, scopes []string) (readResult, error) {
	var r readResult
	for _, n := range names {
		id, err := c.Get(ctx, nhi.Ref{Location: ns, Name: n})
		if err != nil {
			return r, err
		}
		r.Got = append(r.Got, id)
	}
	opts := nhi.ListOptions{Locations: []string{ns}, PageSize: 2}
	for {
		page, err := c.List(ctx, opts)
		if err != nil {
			return r, err
		}
		r.Listed = append(r.Listed, page.Identities...)
		if page.NextPageToken == "" {
			break
		}
		opts.PageToken = page.NextPageToken
	}
	missing, err := c.MissingRoles(ctx, ns, scopes)
	r.Missing = missing
	return r, err
}

// TestIntegrationReadsSurviveFaults: through 25% mixed faults (429 with
// Retry-After 1, bodiless 503, resets before forwarding, answers lost after
// the server did the work), Get, List and MissingRoles give exactly what
// they give without faults, at no more than twice the requests.
func TestIntegrationReadsSurviveFaults(t *testing.T) {
	ctx := context.Background()
	p, cfg := faultyCluster(t, 12)
	direct := acctest.Client(t)
	ns := acctest.Namespace(t)
	var names []string
	for i := 0; i < 5; i++ {
		n := fmt.Sprintf("flaky-%02d", i)
		names = append(names, n)
		if _, err := direct.Create(ctx, spec(ns, n, "clusterrole:view@"+ns, "clusterrole:edit@"+ns)); err != nil {
			t.Fatal(err)
		}
	}
	scopes := []string{"clusterrole:view@" + ns, "clusterrole:edit@" + ns, "clusterrole:nhi-no-such-role", "role:missing@" + ns}

	clean, err := k8s.New(cfg, k8s.DefaultPrefix)
	if err != nil {
		t.Fatal(err)
	}
	want, err := readAll(ctx, clean, ns, names, scopes)
	if err != nil {
		t.Fatalf("without faults: %v", err)
	}
	if len(want.Got) != 5 || len(want.Listed) != 6 || len(want.Missing) != 2 { // 5 + the namespace's default account
		t.Fatalf("without faults: got %d, listed %d, missing %v", len(want.Got), len(want.Listed), want.Missing)
	}
	cleanRequests := p.Stats().Total

	rates := faultproxy.Rates{TooManyRequests: 0.07, Unavailable: 0.06, Reset: 0.06, LostAnswer: 0.06}
	if err := p.SetRates(rates); err != nil {
		t.Fatal(err)
	}
	p.ResetStats()
	const runs, multiple = 3, 2
	for run := 1; run <= runs; run++ {
		c, err := k8s.New(cfg, k8s.DefaultPrefix)
		if err != nil {
			t.Fatal(err)
		}
		got, err := readAll(ctx, c, ns, names, scopes)
		if err != nil {
			t.Fatalf("run %d through %.0f%% faults: %v", run, rates.Total()*100, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("run %d through faults read\n%+v\nwithout faults\n%+v", run, got, want)
		}
	}
	s := p.Stats()
	faults := s.Total - s.ByFault[faultproxy.None]
	t.Logf("fault-free run: %d requests; %d runs through faults: %d requests (%.2f× per run), %d faults %v",
		cleanRequests, runs, s.Total, float64(s.Total)/float64(runs*cleanRequests), faults, s.ByFault)
	if s.Total > multiple*runs*cleanRequests {
		t.Errorf("%d runs through faults made %d requests, more than %d× the %d of a fault-free run", runs, s.Total, multiple, cleanRequests)
	}
	for _, f := range faultproxy.Faults {
		if s.ByFault[f] == 0 {
			t.Errorf("no %s fault was injected, so the test proves nothing about it: %v", f, s.ByFault)
		}
	}
}

// TestIntegrationAlwaysFailingEndpoint: an endpoint that always answers a
// bodiless 503 fails the read within a bounded time, with an error that
// names the method, the path, the status and the attempts.
func TestIntegrationAlwaysFailingEndpoint(t *testing.T) {
	ctx := context.Background()
	p, cfg := faultyCluster(t, 1)
	ns := acctest.Namespace(t)
	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "edit", Namespace: ns}}
	if _, err := acctest.Clientset(t).RbacV1().Roles(ns).Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	path := "/apis/rbac.authorization.k8s.io/v1/namespaces/" + ns + "/roles/edit"
	always, err := p.AddRule(faultproxy.Rule{Method: "GET", Path: path, Fault: faultproxy.Unavailable})
	if err != nil {
		t.Fatal(err)
	}
	c, err := k8s.New(cfg, k8s.DefaultPrefix)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = c.MissingRoles(ctx, ns, []string{"role:edit"})
	took := time.Since(start)
	want := "checking the role of scope role:edit: GET " + path + ": 503 Service Unavailable (empty body) after 6 attempts"
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v\nwant    %s", err, want)
	}
	// Five waits of at most 0.2, 0.4, 0.8, 1.6 and 3.2 s.
	if limit := 10 * time.Second; took > limit {
		t.Errorf("failing took %v, more than %v", took, limit)
	}
	if n := always.Applied(); n != 6 {
		t.Errorf("the endpoint was asked %d times, want 6", n)
	}
	t.Logf("failed after %v: %v", took.Round(time.Millisecond), err)

	// The same read through the same proxy works once the endpoint does.
	always.Remove()
	if missing, err := c.MissingRoles(ctx, ns, []string{"role:edit"}); err != nil || len(missing) != 0 {
		t.Fatalf("after the endpoint recovered: %v, %v", missing, err)
	}
}
