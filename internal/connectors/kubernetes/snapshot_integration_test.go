package kubernetes_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
	k8s "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/kubernetes"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

type counter struct {
	rt    http.RoundTripper
	n     *atomic.Int64
	lists *atomic.Int64
}

// listed names the collections whose LIST a write must not repeat.
var listed = regexp.MustCompile(`/(serviceaccounts|rolebindings|clusterrolebindings|secrets)$`)

func (c counter) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	if r.Method == http.MethodGet && listed.MatchString(r.URL.Path) {
		c.lists.Add(1)
	}
	return c.rt.RoundTrip(r)
}

var listCounts sync.Map // *atomic.Int64 (requests) -> *atomic.Int64 (lists)

func listsOf(n *atomic.Int64) int64 {
	v, _ := listCounts.Load(n)
	return v.(*atomic.Int64).Load()
}

// snapshotClient is a connector like the provider's (snapshots on) that
// counts its API requests.
func snapshotClient(t *testing.T) (*k8s.Client, *atomic.Int64) {
	cfg, err := k8s.Connection{ConfigPath: acctest.Kubeconfig(t)}.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	n, lists := &atomic.Int64{}, &atomic.Int64{}
	listCounts.Store(n, lists)
	cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper { return counter{rt, n, lists} }
	c, err := k8s.New(cfg, k8s.DefaultPrefix)
	if err != nil {
		t.Fatal(err)
	}
	c.EnableSnapshots()
	return c, n
}

func TestIntegrationSnapshotsBudgetAndConsistency(t *testing.T) {
	ctx := context.Background()
	ns := acctest.Namespace(t)
	admin := acctest.Client(t)
	const n = 30
	for i := 0; i < n; i++ {
		if _, err := admin.Create(ctx, spec(ns, fmt.Sprintf("sa-%02d", i), "clusterrole:view@"+ns)); err != nil {
			t.Fatal(err)
		}
	}

	// One "command": N concurrent reads, as Terraform's refresh does.
	c, requests := snapshotClient(t)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			id, err := c.Get(ctx, nhi.Ref{Location: ns, Name: fmt.Sprintf("sa-%02d", i)})
			if err == nil && strings.Join(id.EffectiveScopes, ",") != "clusterrole:view@"+ns {
				err = fmt.Errorf("sa-%02d: effective scopes %v", i, id.EffectiveScopes)
			}
			errs <- err
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	// Service accounts, ClusterRoleBindings, RoleBindings and token Secrets:
	// one cluster-wide list each, plus a page per 500 objects beyond the
	// first (other tests share this cluster).
	if got := requests.Load(); got > 8 {
		t.Errorf("%d reads cost %d API requests; want at most 8 (one list per kind, and pages)", n, got)
	}
	if _, err := c.Get(ctx, nhi.Ref{Location: ns, Name: "nope"}); !k8s.IsNotFound(err) {
		t.Errorf("a name missing from the snapshot must be not found, got %v", err)
	}

	// The provider's own write is seen at once.
	if _, err := c.Update(ctx, spec(ns, "sa-00", "clusterrole:edit@"+ns)); err != nil {
		t.Fatal(err)
	}
	if id, err := c.Get(ctx, nhi.Ref{Location: ns, Name: "sa-00"}); err != nil || strings.Join(id.EffectiveScopes, ",") != "clusterrole:edit@"+ns {
		t.Fatalf("own write not seen: %v %v", id.EffectiveScopes, err)
	}

	// A change made by someone else before the next command starts is
	// always seen by that command.
	if _, err := admin.Clientset().RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "out-of-band"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "admin"},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: "sa-01", Namespace: ns}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	next, _ := snapshotClient(t)
	id, err := next.Get(ctx, nhi.Ref{Location: ns, Name: "sa-01"})
	if err != nil || strings.Join(id.EffectiveScopes, ",") != "clusterrole:admin@"+ns+",clusterrole:view@"+ns {
		t.Fatalf("the next command must see the out-of-band grant: %v %v", id.EffectiveScopes, err)
	}
}

// Many identities applied in parallel, all named by one foreign binding and
// all sharing one ClusterRole: every one removes itself from the binding,
// with no lost update, and the binding's other subject stays.
func TestIntegrationConcurrentEditsOfSharedBinding(t *testing.T) {
	ctx := context.Background()
	ns := acctest.Namespace(t)
	admin := acctest.Client(t)
	const n = 20
	subjects := []rbacv1.Subject{{Kind: "User", Name: "alice"}}
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("p-%02d", i)
		if _, err := admin.Create(ctx, spec(ns, name, "clusterrole:view@"+ns)); err != nil {
			t.Fatal(err)
		}
		subjects = append(subjects, rbacv1.Subject{Kind: "ServiceAccount", Name: name, Namespace: ns})
	}
	if _, err := admin.Clientset().RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "shared"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "edit"},
		Subjects:   subjects,
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	err := tenAtATime(n, func(i int) error {
		c, _ := snapshotClient(t)
		_, err := c.Update(ctx, spec(ns, fmt.Sprintf("p-%02d", i), "clusterrole:view@"+ns))
		return err
	})
	if err != nil {
		t.Fatalf("a parallel update failed: %v", err)
	}
	rb, err := admin.Clientset().RbacV1().RoleBindings(ns).Get(ctx, "shared", metav1.GetOptions{})
	if err != nil || len(rb.Subjects) != 1 || rb.Subjects[0].Name != "alice" {
		t.Fatalf("every identity must have removed itself and alice must stay: %+v %v", rb.Subjects, err)
	}
	for i := 0; i < n; i++ {
		id, err := admin.Get(ctx, nhi.Ref{Location: ns, Name: fmt.Sprintf("p-%02d", i)})
		if err != nil || strings.Join(id.EffectiveScopes, ",") != "clusterrole:view@"+ns {
			t.Fatalf("p-%02d: %v %v", i, id.EffectiveScopes, err)
		}
	}
}

// One provider process applying many identities in parallel: its binding
// and service account snapshots are written through by every write, so each
// identity costs a constant number of requests (not a cluster-wide list per
// write), concurrent edits of one foreign binding lose nothing, and the
// process reads its own writes back exactly as a fresh process does.
func TestIntegrationParallelWritesShareOneSnapshot(t *testing.T) {
	ctx := context.Background()
	ns := acctest.Namespace(t)
	admin := acctest.Client(t)
	const n = 20
	subjects := []rbacv1.Subject{{Kind: "User", Name: "alice"}}
	for i := 0; i < n; i++ {
		subjects = append(subjects, rbacv1.Subject{Kind: "ServiceAccount", Name: fmt.Sprintf("w-%02d", i), Namespace: ns})
	}
	// A foreign binding that already names the accounts-to-be.
	if _, err := admin.Clientset().RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "shared"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "edit"},
		Subjects:   subjects,
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Create(ctx, spec(ns, "existing", "clusterrole:view@"+ns)); err != nil {
		t.Fatal(err)
	}
	c, requests := snapshotClient(t)
	// Warm the snapshots as a plan's refresh would.
	if _, err := c.Get(ctx, nhi.Ref{Location: ns, Name: "existing"}); err != nil {
		t.Fatal(err)
	}
	warm, warmLists := requests.Load(), listsOf(requests)
	if err := tenAtATime(n, func(i int) error {
		id, err := c.Create(ctx, spec(ns, fmt.Sprintf("w-%02d", i), "clusterrole:view@"+ns))
		if err == nil && strings.Join(id.EffectiveScopes, ",") != "clusterrole:view@"+ns {
			err = fmt.Errorf("w-%02d read back %v", i, id.EffectiveScopes)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// No write lists again. Per identity: the role check, the create, the
	// binding create, and the foreign binding's read and update, repeated
	// when ten writers conflict on it.
	if l := listsOf(requests) - warmLists; l != 0 {
		t.Errorf("creating %d identities listed service accounts, bindings or Secrets %d more times; want none after the first", n, l)
	}
	if per := float64(requests.Load()-warm) / n; per > 15 {
		t.Errorf("creating %d identities in one process cost %.1f requests each; want at most 15", n, per)
	} else {
		t.Logf("creating %d identities in parallel through one process: %.1f requests each", n, per)
	}
	rb, err := admin.Clientset().RbacV1().RoleBindings(ns).Get(ctx, "shared", metav1.GetOptions{})
	if err != nil || len(rb.Subjects) != 1 || rb.Subjects[0].Name != "alice" {
		t.Fatalf("every identity must have left the foreign binding, alice must stay: %+v %v", rb.Subjects, err)
	}
	fresh, _ := snapshotClient(t)
	for i := 0; i < n; i++ {
		ref := nhi.Ref{Location: ns, Name: fmt.Sprintf("w-%02d", i)}
		mine, err1 := c.Get(ctx, ref)
		theirs, err2 := fresh.Get(ctx, ref)
		if err1 != nil || err2 != nil || strings.Join(mine.EffectiveScopes, ",") != strings.Join(theirs.EffectiveScopes, ",") ||
			strings.Join(theirs.EffectiveScopes, ",") != "clusterrole:view@"+ns || mine.Governance.Owner != theirs.Governance.Owner {
			t.Fatalf("%s: the writing process reads %v (%v), a fresh one %v (%v)", ref, mine.EffectiveScopes, err1, theirs.EffectiveScopes, err2)
		}
	}
	// Deleting through the same process: gone for it and for a fresh one.
	for i := 0; i < n; i++ {
		if err := c.Delete(ctx, nhi.Ref{Location: ns, Name: fmt.Sprintf("w-%02d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Get(ctx, nhi.Ref{Location: ns, Name: "w-03"}); !k8s.IsNotFound(err) {
		t.Fatalf("deleted account still read by the writing process: %v", err)
	}
}

// tenAtATime runs f for 0..n-1 with ten at a time, as Terraform's default
// parallelism, and returns the errors joined.
func tenAtATime(n int, f func(i int) error) error {
	sem := make(chan struct{}, 10)
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = f(i)
		}(i)
	}
	wg.Wait()
	return errors.Join(errs...)
}
