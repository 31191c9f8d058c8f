package inventory_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
)

// nhi_identities lists each identity's risky capabilities with the path
// that grants them; a harmless grant (view in one namespace) lists none.
func TestAccIdentities_capabilities(t *testing.T) {
	ns := acctest.Namespace(t)
	cs := acctest.Clientset(t)
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []string{"reader", "viewer"} {
		_, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: n}}, metav1.CreateOptions{})
		must(err)
	}
	_, err := cs.RbacV1().Roles(ns).Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "secret-reader"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list"}}}}, metav1.CreateOptions{})
	must(err)
	bind := func(name, kind, role, sa string) {
		_, err := cs.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: kind, Name: role},
			Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: sa, Namespace: ns}}}, metav1.CreateOptions{})
		must(err)
	}
	// The controller manager creates the namespace's default account.
	waitFor(t, func() bool {
		_, err := cs.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{})
		return err == nil
	})
	bind("reader", "Role", "secret-reader", "reader")
	bind("viewer", "ClusterRole", "view", "viewer")
	cfg := acctest.ProviderBlock(t, "") + fmt.Sprintf(`
data "nhi_identities" "all" {
  namespace = %q
  declared  = false
}
`, ns)
	none := knownvalue.ListExact([]knownvalue.Check{})
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		Steps: []resource.TestStep{{
			Config: cfg,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.nhi_identities.all", tfjsonpath.New("identities"), knownvalue.ListExact([]knownvalue.Check{
					knownvalue.ObjectPartial(map[string]knownvalue.Check{"name": knownvalue.StringExact("default"), "capabilities": none}),
					knownvalue.ObjectPartial(map[string]knownvalue.Check{"name": knownvalue.StringExact("reader"), "capabilities": knownvalue.ListExact([]knownvalue.Check{
						knownvalue.ObjectExact(map[string]knownvalue.Check{
							"id": knownvalue.StringExact("secrets-read"), "title": knownvalue.StringExact("read Secrets"),
							"severity": knownvalue.StringExact("high"), "reach": knownvalue.StringExact("namespace " + ns),
							"path": knownvalue.StringExact("RoleBinding " + ns + "/reader -> Role " + ns + "/secret-reader -> rule get, list on secrets"),
							"why":  knownvalue.StringExact("it reads every Secret in reach (get, list or watch): other identities' tokens, keys and passwords, so it can act as them"),
						}),
					})}),
					knownvalue.ObjectPartial(map[string]knownvalue.Check{"name": knownvalue.StringExact("viewer"), "capabilities": none}),
				})),
			},
		}},
	})
}
