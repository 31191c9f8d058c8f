package kubernetes_test

// The provider through a faulty network: Terraform talks to the project's
// real kube-apiserver through the fault proxy (internal/testenv/faultproxy),
// which throttles, fails and resets requests and loses the answer of one
// create after the server did the work. What the cluster holds is checked
// straight against the API server, not through the proxy.

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
	k8s "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/kubernetes"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/testenv/faultproxy"
)

const (
	// flakyCount service accounts, two scopes each.
	flakyCount = 30
	// lostCreate is the service account create whose answer is lost.
	lostCreate = 17
	// requestMultiple bounds the requests of the apply through faults, as a
	// multiple of the same apply's without faults.
	requestMultiple = 2
	// failLimit bounds a plan against an endpoint that always fails.
	failLimit = 60 * time.Second
)

func flakyName(i int) string { return fmt.Sprintf("flaky-%02d", i) }

// flakyConfig declares flakyCount service accounts in ns, each with a
// ClusterRoleBinding (clusterrole:view) and a RoleBinding
// (clusterrole:edit@ns), through the kubeconfig at kubeconfig.
func flakyConfig(kubeconfig, ns string) string {
	return acctest.ProviderBlockAt(kubeconfig, "") + fmt.Sprintf(`
resource "nhi_kubernetes_service_account" "flaky" {
  count      = %d
  namespace  = %q
  name       = format("flaky-%%02d", count.index)
  owner      = "team:platform"
  purpose    = "survives a faulty network"
  scopes     = ["clusterrole:view", "clusterrole:edit@%s"]
  expires_at = %q
}
`, flakyCount, ns, ns, acctest.Date(acctest.Days(90)))
}

// checkFlaky checks, straight against the API server, that ns holds exactly
// the flakyCount governed accounts and that exactly the 2×flakyCount
// provider bindings name them, once each.
func checkFlaky(t *testing.T, ns string) error {
	cs := acctest.Clientset(t)
	ctx := context.Background()
	sas, err := cs.CoreV1().ServiceAccounts(ns).List(ctx, metav1.ListOptions{LabelSelector: k8s.ManagedByLabel + "=" + k8s.ManagedByValue})
	if err != nil {
		return err
	}
	var names []string
	for _, s := range sas.Items {
		if s.Annotations["nhi.dev/owner"] != "team:platform" || s.Annotations["nhi.dev/scopes"] == "" {
			return fmt.Errorf("service account %s/%s lacks its governance markers: %v", ns, s.Name, s.Annotations)
		}
		names = append(names, s.Name)
	}
	sort.Strings(names)
	var want []string
	for i := 0; i < flakyCount; i++ {
		want = append(want, flakyName(i))
	}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		return fmt.Errorf("governed service accounts in %s: %v, want exactly %v", ns, names, want)
	}

	// Every binding that names one of them, provider-made or not.
	type grant struct{ kind, name, owner string }
	grants := map[string][]grant{}
	subjects := 0
	collect := func(kind, name string, meta metav1.ObjectMeta, ss []rbacv1.Subject) error {
		seen := map[string]bool{}
		for _, s := range ss {
			if s.Kind != rbacv1.ServiceAccountKind || s.Namespace != ns {
				continue
			}
			if seen[s.Name] {
				return fmt.Errorf("%s %s names %s twice", kind, name, s.Name)
			}
			seen[s.Name] = true
			subjects++
			grants[s.Name] = append(grants[s.Name], grant{kind, name, meta.Annotations["nhi.dev/service-account"]})
		}
		return nil
	}
	crbs, err := cs.RbacV1().ClusterRoleBindings().List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	for _, b := range crbs.Items {
		if err := collect("ClusterRoleBinding", b.Name, b.ObjectMeta, b.Subjects); err != nil {
			return err
		}
	}
	rbs, err := cs.RbacV1().RoleBindings(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	for _, b := range rbs.Items {
		if err := collect("RoleBinding", b.Name, b.ObjectMeta, b.Subjects); err != nil {
			return err
		}
	}
	for _, n := range want {
		ref := nhi.Ref{Location: ns, Name: n}
		wantGrants := []grant{
			{"ClusterRoleBinding", k8s.BindingName(ref, k8s.Scope{Kind: k8s.ScopeClusterRole, Name: "view"}), ref.String()},
			{"RoleBinding", k8s.BindingName(ref, k8s.Scope{Kind: k8s.ScopeClusterRole, Name: "edit", Namespace: ns}), ref.String()},
		}
		if fmt.Sprint(grants[n]) != fmt.Sprint(wantGrants) {
			return fmt.Errorf("bindings naming %s: %v, want exactly %v", ref, grants[n], wantGrants)
		}
	}
	if subjects != 2*flakyCount {
		return fmt.Errorf("%d binding subjects name the accounts, want %d", subjects, 2*flakyCount)
	}
	return nil
}

// tokensNotInState checks that the create tokens on the accounts (their
// bookkeeping, not governance) are not copied into Terraform's state.
func tokensNotInState(t *testing.T, ns string, st *terraform.State) error {
	key := k8s.Markers{Prefix: k8s.DefaultPrefix}.CreateToken()
	sas, err := acctest.Clientset(t).CoreV1().ServiceAccounts(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		return err
	}
	tokens := map[string]string{}
	for _, s := range sas.Items {
		if v := s.Annotations[key]; v != "" {
			tokens[v] = s.Name
		}
	}
	if len(tokens) != flakyCount {
		return fmt.Errorf("%d accounts carry a create token, want %d", len(tokens), flakyCount)
	}
	for addr, r := range st.RootModule().Resources {
		for k, v := range r.Primary.Attributes {
			if strings.Contains(k, "create-token") || strings.Contains(v, "create-token") || tokens[v] != "" {
				return fmt.Errorf("the state of %s holds a create token in %s", addr, k)
			}
		}
	}
	return nil
}

// checkFlakyGone checks that the accounts and their bindings are gone.
func checkFlakyGone(t *testing.T, ns string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		for i := 0; i < flakyCount; i++ {
			_, err := acctest.Clientset(t).CoreV1().ServiceAccounts(ns).Get(context.Background(), flakyName(i), metav1.GetOptions{})
			if !apierrors.IsNotFound(err) {
				return fmt.Errorf("service account %s/%s remains (%v)", ns, flakyName(i), err)
			}
			if err := noProviderBindings(t, ns, flakyName(i)); err != nil {
				return err
			}
		}
		return nil
	}
}

// cleanFlaky removes what a failed run may leave (the ClusterRoleBindings
// outlive the namespace).
func cleanFlaky(t *testing.T, ns string) {
	t.Cleanup(func() {
		c := acctest.Client(t)
		for i := 0; i < flakyCount; i++ {
			_ = c.Delete(context.Background(), nhi.Ref{Location: ns, Name: flakyName(i)})
		}
	})
}

// TestAccServiceAccount_faultsConverge: 30 governed service accounts with two
// scopes each, applied through 21% random faults (429 with Retry-After 1,
// bodiless 503, resets before forwarding) with the answer of the 17th
// service account create lost after the server made it, converge in one
// apply: the cluster holds exactly the 30 accounts and 60 provider bindings,
// none twice; a re-plan through the faults is empty; the apply costs at most
// requestMultiple times the requests of the same apply without faults,
// measured first in a namespace of its own; a plan against an endpoint that
// always answers 503 fails within failLimit naming the status and the
// attempts; and the destroy, through the faults, removes everything.
func TestAccServiceAccount_faultsConverge(t *testing.T) {
	// The same apply without faults, through a proxy that counts.
	var cleanRequests int
	var cleanTook time.Duration
	{
		ns := acctest.Namespace(t)
		cleanFlaky(t, ns)
		p := acctest.KubeProxy(t, 1)
		kc := acctest.ProxiedKubeconfig(t, p)
		var start time.Time
		resource.Test(t, resource.TestCase{
			PreCheck:                 func() { acctest.PreCheck(t) },
			ProtoV6ProviderFactories: acctest.ProviderFactories,
			CheckDestroy:             checkFlakyGone(t, ns),
			Steps: []resource.TestStep{{
				PreConfig: func() { p.ResetStats(); start = time.Now() },
				Config:    flakyConfig(kc, ns),
				Check: func(*terraform.State) error {
					cleanRequests, cleanTook = p.Stats().Total, time.Since(start)
					if s := p.Stats(); s.Total != s.ByFault[faultproxy.None] {
						return fmt.Errorf("the fault-free run met faults: %v", s.ByFault)
					}
					return checkFlaky(t, ns)
				},
			}},
		})
	}
	if t.Failed() {
		return
	}
	t.Logf("without faults: plan and apply of %d accounts took %d requests in %v", flakyCount, cleanRequests, cleanTook.Round(time.Millisecond))

	ns := acctest.Namespace(t)
	cleanFlaky(t, ns)
	p := acctest.KubeProxy(t, 12)
	kc := acctest.ProxiedKubeconfig(t, p)
	cfg := flakyConfig(kc, ns)
	var lost *faultproxy.Target
	var start time.Time
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		CheckDestroy:             checkFlakyGone(t, ns),
		Steps: []resource.TestStep{
			{
				// One apply through the faults.
				PreConfig: func() {
					var err error
					lost, err = p.AddRule(faultproxy.Rule{Method: http.MethodPost, Path: "/api/v1/namespaces/" + ns + "/serviceaccounts",
						Fault: faultproxy.LostAnswer, Skip: lostCreate - 1, Times: 1})
					if err != nil {
						t.Fatal(err)
					}
					if err := p.SetRates(acctest.MixedFaults); err != nil {
						t.Fatal(err)
					}
					p.ResetStats()
					start = time.Now()
				},
				Config: cfg,
				Check: func(st *terraform.State) error {
					s, took := p.Stats(), time.Since(start)
					t.Logf("through %.0f%% faults and one lost create answer: %d requests (%.2f× the fault-free %d) in %v; faults %v",
						acctest.MixedFaults.Total()*100, s.Total, float64(s.Total)/float64(cleanRequests), cleanRequests, took.Round(time.Millisecond), s.ByFault)
					if lost.Applied() != 1 {
						return fmt.Errorf("the answer of service account create %d was not lost (rule applied %d times): the test proves nothing", lostCreate, lost.Applied())
					}
					made := false
					for _, r := range p.Requests() {
						made = made || (r.Fault == faultproxy.LostAnswer && r.Status == http.StatusCreated)
					}
					if !made {
						return fmt.Errorf("the lost create answer was not a 201: the server did not make the account, so nothing was adopted")
					}
					for _, f := range []faultproxy.Fault{faultproxy.TooManyRequests, faultproxy.Unavailable, faultproxy.Reset} {
						if s.ByFault[f] == 0 {
							return fmt.Errorf("no %s was injected, so the test proves nothing about it: %v", f, s.ByFault)
						}
					}
					if s.Total > requestMultiple*cleanRequests {
						return fmt.Errorf("the apply through faults made %d requests, more than %d× the %d of the fault-free apply", s.Total, requestMultiple, cleanRequests)
					}
					if err := tokensNotInState(t, ns, st); err != nil {
						return err
					}
					return checkFlaky(t, ns)
				},
			},
			{
				// Re-planned through the faults: nothing to do.
				Config:           cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
			{
				// An endpoint that always fails fails the plan, in bounded
				// time, saying what happened.
				PreConfig: func() {
					if err := p.SetRates(faultproxy.Rates{Unavailable: 1}); err != nil {
						t.Fatal(err)
					}
					start = time.Now()
				},
				Config:      cfg,
				PlanOnly:    true,
				ExpectError: wrapped(`GET /api/v1/serviceaccounts: 503 Service Unavailable \(empty body\) after 6 attempts`),
			},
			{
				// The faults again (the destroy runs through them too), and
				// still nothing to do.
				PreConfig: func() {
					took := time.Since(start)
					t.Logf("against an always-failing endpoint the plan failed after %v", took.Round(time.Millisecond))
					if took > failLimit {
						t.Errorf("the plan against an always-failing endpoint took %v, more than %v", took, failLimit)
					}
					if err := p.SetRates(acctest.MixedFaults); err != nil {
						t.Fatal(err)
					}
				},
				Config:           cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
			{
				// Import through the faults reads back exactly what the
				// apply recorded, the account whose create answer was lost
				// included.
				Config:            cfg,
				ResourceName:      "nhi_kubernetes_service_account.flaky[16]",
				ImportState:       true,
				ImportStateId:     ns + "/flaky-16",
				ImportStateVerify: true,
				// An import has no written form of the date to keep: it
				// reads the same instant as RFC 3339 (DESIGN.md, known limits).
				ImportStateVerifyIgnore: []string{"expires_at"},
			},
		},
	})
}
