package kubernetes_test

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
	k8s "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/kubernetes"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/testenv/faultproxy"
)

// requestLog counts a connector's API requests by method and resource
// ("POST serviceaccounts", "GET clusterroles", "LIST roles").
type requestLog struct {
	mu sync.Mutex
	n  map[string]int
}

func (l *requestLog) wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
		// .../<resource> is a collection, .../<resource>/<name> an object.
		verb, res := r.Method, ""
		for i := len(parts) - 1; i >= 0; i-- {
			if known[parts[i]] {
				res = parts[i]
				if verb == http.MethodGet && i == len(parts)-1 {
					verb = "LIST"
				}
				break
			}
		}
		l.mu.Lock()
		l.n[verb+" "+res]++
		l.mu.Unlock()
		return rt.RoundTrip(r)
	})
}

var known = map[string]bool{"serviceaccounts": true, "secrets": true, "rolebindings": true, "clusterrolebindings": true, "roles": true, "clusterroles": true, "namespaces": true}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func (l *requestLog) snapshot() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]int{}
	for k, v := range l.n {
		out[k] = v
	}
	return out
}

func (l *requestLog) String() string {
	m := l.snapshot()
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%d ", k, m[k])
	}
	return strings.TrimSpace(b.String())
}

// loggedClient is a connector like the provider's (snapshots on) whose
// requests are logged by kind.
func loggedClient(t *testing.T) (*k8s.Client, *requestLog) {
	t.Helper()
	cfg, err := k8s.Connection{ConfigPath: acctest.Kubeconfig(t)}.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	log := &requestLog{n: map[string]int{}}
	cfg.WrapTransport = log.wrap
	c, err := k8s.New(cfg, k8s.DefaultPrefix)
	if err != nil {
		t.Fatal(err)
	}
	c.EnableSnapshots()
	return c, log
}

// Role checks come from the command's role snapshot: checking the scopes of
// many identities costs the role lists once, not a GET per scope per
// identity. A role made after the snapshot was taken is still found (a
// miss is asked for), and a missing one is still missing.
func TestIntegrationRoleChecksFromSnapshot(t *testing.T) {
	ctx := context.Background()
	ns := acctest.Namespace(t)
	admin := acctest.Clientset(t)
	if _, err := admin.RbacV1().Roles(ns).Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "reader"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	c, log := loggedClient(t)
	const n = 50
	scopes := []string{"clusterrole:view@" + ns, "clusterrole:edit", "role:reader"}
	for i := 0; i < n; i++ {
		missing, err := c.MissingRoles(ctx, ns, scopes)
		if err != nil || len(missing) != 0 {
			t.Fatalf("MissingRoles = %v, %v", missing, err)
		}
	}
	got := log.snapshot()
	if gets := got["GET clusterroles"] + got["GET roles"]; gets != 0 {
		t.Errorf("checking %d identities' roles sent %d GETs (%s); want none: the roles come from the command's snapshot", n, gets, log)
	}
	// One list of each (a page per 500 objects: other tests share the cluster).
	if lists := got["LIST clusterroles"] + got["LIST roles"]; lists < 2 || lists > 6 {
		t.Errorf("role lists = %d (%s); want one of ClusterRoles and one of Roles, and pages", lists, log)
	}

	// Made after the snapshot: found by asking.
	if _, err := admin.RbacV1().Roles(ns).Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "late"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if missing, err := c.MissingRoles(ctx, ns, []string{"role:late", "role:ghost", "clusterrole:no-such-role"}); err != nil ||
		strings.Join(missing, ",") != "role:ghost,clusterrole:no-such-role" {
		t.Fatalf("MissingRoles = %v, %v; want the role made after the snapshot found and the two missing ones missing", missing, err)
	}
}

// An apply of N identities costs, per identity, the writes it needs (the
// service account's create and one create per grant) and, per command, a
// bounded number of reads: the role checks and the read-back after the
// create come from the command's snapshots.
func TestIntegrationCreateCostsItsWritesAndAConstant(t *testing.T) {
	ctx := context.Background()
	ns := acctest.Namespace(t)
	c, log := loggedClient(t)
	const n = 30
	if err := tenAtATime(n, func(i int) error {
		s := spec(ns, fmt.Sprintf("b-%02d", i), "clusterrole:view@"+ns, "clusterrole:edit@"+ns)
		// The plan's check and the apply's re-plan check, as the resource
		// makes them, then the create (which checks again).
		for j := 0; j < 2; j++ {
			if missing, err := c.MissingRoles(ctx, ns, s.Governance.Scopes); err != nil || len(missing) != 0 {
				return fmt.Errorf("MissingRoles = %v, %v", missing, err)
			}
		}
		id, err := c.Create(ctx, s)
		if err == nil && strings.Join(id.EffectiveScopes, ",") != "clusterrole:edit@"+ns+",clusterrole:view@"+ns {
			err = fmt.Errorf("b-%02d read back %v", i, id.EffectiveScopes)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	got := log.snapshot()
	if p := got["POST serviceaccounts"]; p != n {
		t.Errorf("service account creates = %d, want %d (%s)", p, n, log)
	}
	if p := got["POST rolebindings"]; p != 2*n {
		t.Errorf("binding creates = %d, want %d (%s)", p, 2*n, log)
	}
	total := 0
	for _, v := range got {
		total += v
	}
	// The lists of service accounts, bindings, token Secrets and roles, with
	// a page per 500 objects of a shared cluster.
	if other := total - 3*n; other > 16 {
		t.Errorf("creating %d identities cost %d requests besides their %d writes (%s); want at most 16 in all", n, other, 3*n, log)
	} else {
		t.Logf("creating %d identities: %d writes and %d other requests (%s)", n, 3*n, other, log)
	}
}

// An update edits the command's snapshot of the account, which the refresh
// read already: it costs the PUT, not a GET and a PUT. When the account
// changed after the snapshot was taken, the server's 409 makes it edit a
// fresh read, and the update still lands.
func TestIntegrationUpdateWritesFromTheSnapshot(t *testing.T) {
	ctx := context.Background()
	ns := acctest.Namespace(t)
	admin := acctest.Client(t)
	const n = 10
	for i := 0; i < n; i++ {
		if _, err := admin.Create(ctx, spec(ns, fmt.Sprintf("u-%02d", i), "clusterrole:view@"+ns)); err != nil {
			t.Fatal(err)
		}
	}
	c, log := loggedClient(t)
	// The refresh of a plan or apply.
	for i := 0; i < n; i++ {
		if _, err := c.Get(ctx, nhi.Ref{Location: ns, Name: fmt.Sprintf("u-%02d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	// Someone changes u-00 after the snapshot was taken.
	cur, err := admin.Clientset().CoreV1().ServiceAccounts(ns).Get(ctx, "u-00", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cur.Annotations["someone"] = "else"
	if _, err := admin.Clientset().CoreV1().ServiceAccounts(ns).Update(ctx, cur, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	before := log.snapshot()
	for i := 0; i < n; i++ {
		s := spec(ns, fmt.Sprintf("u-%02d", i), "clusterrole:view@"+ns)
		s.Governance.Owner = "team:new"
		id, err := c.Update(ctx, s)
		if err != nil || id.Governance.Owner != "team:new" {
			t.Fatalf("u-%02d: owner %q, %v", i, id.Governance.Owner, err)
		}
	}
	after := log.snapshot()
	if puts := after["PUT serviceaccounts"] - before["PUT serviceaccounts"]; puts != n+1 {
		t.Errorf("updates = %d PUTs; want %d (one each, and the 409 of the account changed after the snapshot) (%s)", puts, n+1, log)
	}
	if gets := after["GET serviceaccounts"] - before["GET serviceaccounts"]; gets != 1 {
		t.Errorf("updating %d identities read service accounts %d times; want 1 (the fresh read after the 409) (%s)", n, gets, log)
	}
	got, err := admin.Clientset().CoreV1().ServiceAccounts(ns).Get(ctx, "u-00", metav1.GetOptions{})
	if err != nil || got.Annotations["nhi.dev/owner"] != "team:new" {
		t.Fatalf("u-00 after the update: %v %v", got.Annotations, err)
	}
}

// Delivery targets' namespaces come from one list per command: checking the
// targets of N credentials costs the list and a GET of each target Secret,
// not a GET of its namespace each. A namespace made after the list is still
// found, and a missing one is still refused.
func TestIntegrationDeliveryNamespaceChecksFromSnapshot(t *testing.T) {
	ctx := context.Background()
	ns := acctest.Namespace(t)
	c, log := loggedClient(t)
	const n = 20
	for i := 0; i < n; i++ {
		if err := c.CheckDeliveryTarget(ctx, nhi.Ref{Location: ns, Name: fmt.Sprintf("creds-%02d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	got := log.snapshot()
	if g := got["GET namespaces"]; g != 0 {
		t.Errorf("checking %d delivery targets read their namespace %d times (%s); want none: one list per command", n, g, log)
	}
	if l := got["LIST namespaces"]; l < 1 || l > 3 {
		t.Errorf("namespace lists = %d (%s); want one, and pages", l, log)
	}
	late := acctest.Namespace(t)
	if err := c.CheckDeliveryTarget(ctx, nhi.Ref{Location: late, Name: "creds"}); err != nil {
		t.Fatalf("a namespace made after the list must be found: %v", err)
	}
	err := c.CheckDeliveryTarget(ctx, nhi.Ref{Location: "no-such-namespace-h20", Name: "creds"})
	if err == nil || !strings.Contains(err.Error(), `namespace "no-such-namespace-h20" does not exist`) {
		t.Fatalf("a missing namespace must be refused, got %v", err)
	}
}

// A 429 from the API server holds the whole client, not only the request
// that got it: through the fault proxy, the first request gets 429 with
// Retry-After: 2, and ten other requests the same client starts after that
// answer wait for the pause to pass instead of pressing on (before the
// adaptive limit they were answered within milliseconds).
func TestIntegrationA429HoldsTheWholeClient(t *testing.T) {
	ctx := context.Background()
	cfg := acctest.RESTConfig(t)
	pcfg, err := faultproxy.ForKubernetes(cfg)
	if err != nil {
		t.Fatal(err)
	}
	pcfg.RetryAfter = 2
	p, err := faultproxy.New(pcfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	target, err := p.AddRule(faultproxy.Rule{Method: http.MethodGet, Path: "/apis/rbac.authorization.k8s.io/v1/clusterroles/view", Fault: faultproxy.TooManyRequests, Times: 1})
	if err != nil {
		t.Fatal(err)
	}
	c, err := k8s.New(p.RESTConfig(cfg), k8s.DefaultPrefix) // no snapshots: a GET per check
	if err != nil {
		t.Fatal(err)
	}
	first := make(chan error, 1)
	go func() {
		_, err := c.MissingRoles(ctx, "default", []string{"clusterrole:view"})
		first <- err
	}()
	for deadline := time.Now().Add(30 * time.Second); target.Applied() == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the proxy never answered 429")
		}
	}
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if missing, err := c.MissingRoles(ctx, "default", []string{"clusterrole:edit"}); err != nil || len(missing) != 0 {
				errs <- fmt.Errorf("MissingRoles = %v, %v", missing, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if d := time.Since(start); d < time.Second {
		t.Errorf("ten requests started after the server's 429 (Retry-After: 2) were answered after %s; want them held for the pause", d)
	}
	if err := <-first; err != nil {
		t.Fatalf("the throttled request must succeed on its retry: %v", err)
	}
}
