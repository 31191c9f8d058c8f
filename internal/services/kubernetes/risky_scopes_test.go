package kubernetes_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
)

// A plan that adds a scope whose role grants a risky capability warns on
// scopes, once per such scope, naming the rule; harmless scopes (view in
// one namespace, reading ConfigMaps) and scopes already applied do not.
func TestAccServiceAccount_riskyScopeWarning(t *testing.T) {
	ns := acctest.Namespace(t)
	name := acctest.RandName("risky")
	cs := acctest.Clientset(t)
	for n, r := range map[string]rbacv1.PolicyRule{
		"secret-reader": {APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list"}},
		"exec":          {APIGroups: []string{""}, Resources: []string{"pods/exec"}, Verbs: []string{"create"}},
		"config-reader": {APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get", "list", "watch"}},
	} {
		if _, err := cs.RbacV1().Roles(ns).Create(context.Background(), &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: n}, Rules: []rbacv1.PolicyRule{r}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	rec := &warningRecorder{}
	a := sa{ns: ns, name: name, expires: acctest.Date(acctest.Days(60)), scopes: []string{"clusterrole:view@" + ns, "role:config-reader", "role:secret-reader"}}
	b := a
	b.scopes = append(append([]string{}, a.scopes...), "role:exec")
	warning := func(scope, what string) string {
		return fmt.Sprintf(`nhi_kubernetes_service_account AttributeName("scopes"): Scope grants a risky capability: scopes contains %q, which lets service account %s/%s %s. `+
			`If the workload does not need this, grant a narrower role instead; the drift reporter reports it as NHI008.`, scope, ns, name, what)
	}
	expect := func(want ...string) resource.TestCheckFunc {
		return func(*terraform.State) error {
			if got := rec.distinct(); strings.Join(got, "\n") != strings.Join(want, "\n") {
				return fmt.Errorf("warnings:\n got %q\nwant %q", got, want)
			}
			return nil
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: rec.factories(),
		CheckDestroy:             checkDestroyed(t, ns, name),
		Steps: []resource.TestStep{
			{Config: config(t, "", a), Check: expect(warning("role:secret-reader",
				"read Secrets in namespace "+ns+" (Role "+ns+"/secret-reader -> rule get, list on secrets, high): it reads every Secret in reach (get, list or watch): other identities' tokens, keys and passwords, so it can act as them"))},
			{Config: config(t, "", a), PlanOnly: true, Check: expect()},
			{Config: config(t, "", b), Check: expect(warning("role:exec",
				"run commands in containers (pods/exec) in namespace "+ns+" (Role "+ns+"/exec -> rule create on pods/exec, high): it runs commands inside any Pod in reach, with that Pod's service account token and mounted Secrets"))},
		},
	})
}
