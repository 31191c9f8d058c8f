package inventory_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
)

// seed creates, in a fresh namespace: an undeclared "runner" with a legacy
// token Secret, an undeclared "ci-bot-1" (to be ignored by pattern), and a
// grant to the namespace's default service account in a second namespace.
func seed(t *testing.T) (ns, ns2 string) {
	ns, ns2 = acctest.Namespace(t), acctest.Namespace(t)
	cs := acctest.Clientset(t)
	ctx := context.Background()
	for _, n := range []string{"runner", "ci-bot-1"} {
		if _, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: n}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cs.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "runner-token", Annotations: map[string]string{corev1.ServiceAccountNameKey: "runner"}},
		Type:       corev1.SecretTypeServiceAccountToken,
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.RbacV1().RoleBindings(ns2).Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "default-can-view"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: "default", Namespace: ns2}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// The controller manager creates each namespace's default account.
	waitFor(t, func() bool {
		_, e1 := cs.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{})
		_, e2 := cs.CoreV1().ServiceAccounts(ns2).Get(ctx, "default", metav1.GetOptions{})
		return e1 == nil && e2 == nil
	})
	return ns, ns2
}

func declared(ns string) string {
	return fmt.Sprintf(`
resource "nhi_kubernetes_service_account" "declared" {
  namespace  = %q
  name       = "deployer"
  owner      = "team:payments"
  purpose    = "deploys payments"
  scopes     = ["clusterrole:view"]
  expires_at = %q
}
`, ns, acctest.Date(acctest.Days(90)))
}

func TestAccUndeclared_defaultsAndIgnore(t *testing.T) {
	ns, ns2 := seed(t)
	cfg := acctest.ProviderBlock(t, "") + declared(ns) + fmt.Sprintf(`
data "nhi_undeclared" "test" {
  namespaces = [%[1]q, %[2]q, "kube-system"]
  ignore     = ["*/ci-bot-*"]
  depends_on = [nhi_kubernetes_service_account.declared]
}

data "nhi_undeclared" "system" {
  namespaces     = ["kube-system", %[1]q]
  include_system = true
  depends_on     = [nhi_kubernetes_service_account.declared]
}
`, ns, ns2)
	ds := "data.nhi_undeclared.test"
	// Results are sorted by id; the random namespace names decide the order.
	runnerFirst := ns+"/runner" < ns2+"/default"
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		Steps: []resource.TestStep{{
			Config: cfg,
			ConfigStateChecks: []statecheck.StateCheck{
				// Reported: the undeclared runner, and the default account
				// that was granted something. Not: the declared deployer, the
				// ignored bot, the idle default account, kube-system.
				statecheck.ExpectKnownValue(ds, tfjsonpath.New("ids"), knownvalue.ListExact(ordered(runnerFirst, knownvalue.StringExact(ns+"/runner"), knownvalue.StringExact(ns2+"/default")))),
				statecheck.ExpectKnownValue(ds, tfjsonpath.New("excluded"), knownvalue.SetPartial([]knownvalue.Check{
					knownvalue.ObjectExact(map[string]knownvalue.Check{
						"id": knownvalue.StringExact(ns + "/ci-bot-1"), "reason": knownvalue.StringExact("ignore_pattern"), "pattern": knownvalue.StringExact("*/ci-bot-*"),
					}),
					knownvalue.ObjectExact(map[string]knownvalue.Check{
						"id": knownvalue.StringExact(ns + "/default"), "reason": knownvalue.StringExact("default_service_account"), "pattern": knownvalue.Null(),
					}),
					knownvalue.ObjectPartial(map[string]knownvalue.Check{"reason": knownvalue.StringExact("system_namespace")}),
				})),
				statecheck.ExpectKnownValue(ds, tfjsonpath.New("identities"), knownvalue.ListPartial(map[int]knownvalue.Check{
					idx(runnerFirst, 0): knownvalue.ObjectPartial(map[string]knownvalue.Check{
						"name": knownvalue.StringExact("runner"), "declared": knownvalue.Bool(false), "status": knownvalue.Null(),
						"credentials": knownvalue.ListExact([]knownvalue.Check{knownvalue.ObjectPartial(map[string]knownvalue.Check{
							"id": knownvalue.StringExact(ns + "/runner-token"), "kind": knownvalue.StringExact("legacy_service_account_token"),
						})}),
					}),
					idx(runnerFirst, 1): knownvalue.ObjectPartial(map[string]knownvalue.Check{
						"name": knownvalue.StringExact("default"), "effective_scopes": knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("clusterrole:view@" + ns2)}),
					}),
				})),
				// include_system reports the cluster's own accounts and idle defaults.
				statecheck.ExpectKnownValue("data.nhi_undeclared.system", tfjsonpath.New("ids"), knownvalue.SetPartial([]knownvalue.Check{
					knownvalue.StringExact("kube-system/default"), knownvalue.StringExact(ns + "/default"), knownvalue.StringExact(ns + "/ci-bot-1"),
				})),
				statecheck.ExpectKnownValue("data.nhi_undeclared.system", tfjsonpath.New("excluded"), knownvalue.ListSizeExact(0)),
			},
		}},
	})
}

func TestAccIdentities_filters(t *testing.T) {
	ns, _ := seed(t)
	cfg := acctest.ProviderBlock(t, "") + declared(ns) + fmt.Sprintf(`
data "nhi_identities" "all" {
  namespace  = %[1]q
  depends_on = [nhi_kubernetes_service_account.declared]
}
data "nhi_identities" "declared" {
  namespace  = %[1]q
  declared   = true
  depends_on = [nhi_kubernetes_service_account.declared]
}
data "nhi_identities" "by_owner" {
  owner      = "team:payments"
  namespace  = %[1]q
  depends_on = [nhi_kubernetes_service_account.declared]
}
data "nhi_identities" "undeclared" {
  namespace  = %[1]q
  declared   = false
  depends_on = [nhi_kubernetes_service_account.declared]
}
`, ns)
	names := func(n ...string) knownvalue.Check {
		c := make([]knownvalue.Check, len(n))
		for i, s := range n {
			c[i] = knownvalue.ObjectPartial(map[string]knownvalue.Check{"name": knownvalue.StringExact(s)})
		}
		return knownvalue.ListExact(c)
	}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		Steps: []resource.TestStep{{
			Config: cfg,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.nhi_identities.all", tfjsonpath.New("identities"), names("ci-bot-1", "default", "deployer", "runner")),
				statecheck.ExpectKnownValue("data.nhi_identities.undeclared", tfjsonpath.New("identities"), names("ci-bot-1", "default", "runner")),
				statecheck.ExpectKnownValue("data.nhi_identities.by_owner", tfjsonpath.New("identities"), names("deployer")),
				statecheck.ExpectKnownValue("data.nhi_identities.declared", tfjsonpath.New("identities"), knownvalue.ListExact([]knownvalue.Check{
					knownvalue.ObjectExact(map[string]knownvalue.Check{
						"id": knownvalue.StringExact(ns + "/deployer"), "system": knownvalue.StringExact("kubernetes"),
						"kind": knownvalue.StringExact("service_account"), "uid": knownvalue.NotNull(),
						"namespace": knownvalue.StringExact(ns), "name": knownvalue.StringExact("deployer"),
						"declared": knownvalue.Bool(true), "owner": knownvalue.StringExact("team:payments"),
						"purpose": knownvalue.StringExact("deploys payments"), "expires_at": knownvalue.StringExact(acctest.Date(acctest.Days(90)) + "T00:00:00Z"),
						"status": knownvalue.StringExact("active"), "scopes": knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("clusterrole:view")}),
						"effective_scopes": knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("clusterrole:view")}),
						"labels":           knownvalue.MapExact(map[string]knownvalue.Check{}), "created_at": knownvalue.NotNull(),
						"credentials": knownvalue.ListExact([]knownvalue.Check{}), "capabilities": knownvalue.ListExact([]knownvalue.Check{}),
					}),
				})),
			},
		}},
	})
}

func ordered(aFirst bool, a, b knownvalue.Check) []knownvalue.Check {
	if aFirst {
		return []knownvalue.Check{a, b}
	}
	return []knownvalue.Check{b, a}
}

// idx is the position of the i-th of two items given which comes first.
func idx(aFirst bool, i int) int {
	if aFirst {
		return i
	}
	return 1 - i
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting for the controller manager")
		}
		time.Sleep(200 * time.Millisecond)
	}
}
