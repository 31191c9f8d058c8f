package kubernetes_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
)

// policy.forbidden_capabilities makes a declared scope that grants one of
// the listed capabilities a plan error on scopes, naming the rule, whether
// the plan adds the scope or it is already applied; a risky capability the
// policy does not list still only warns, once, when its scope is added; an
// ID outside the catalog is a configuration error.
func TestAccServiceAccount_forbiddenCapabilities(t *testing.T) {
	ns := acctest.Namespace(t)
	name := acctest.RandName("forbid")
	cs := acctest.Clientset(t)
	for n, r := range map[string]rbacv1.PolicyRule{
		"secret-reader": {APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get"}},
		"exec":          {APIGroups: []string{""}, Resources: []string{"pods/exec"}, Verbs: []string{"create"}},
		"config-reader": {APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get", "list"}},
	} {
		if _, err := cs.RbacV1().Roles(ns).Create(context.Background(), &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: n}, Rules: []rbacv1.PolicyRule{r}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	forbid := func(ids ...string) string {
		return fmt.Sprintf("policy {\n  forbidden_capabilities = [\"%s\"]\n}\n", strings.Join(ids, `", "`))
	}
	rec := &warningRecorder{}
	a := sa{ns: ns, name: name, expires: acctest.Date(acctest.Days(60)), scopes: []string{"role:config-reader", "role:exec"}}
	b := a
	b.scopes = append(append([]string{}, a.scopes...), "role:secret-reader")
	expect := func(want ...string) resource.TestCheckFunc {
		return func(*terraform.State) error {
			if got := rec.distinct(); strings.Join(got, "\n") != strings.Join(want, "\n") {
				return fmt.Errorf("warnings:\n got %q\nwant %q", got, want)
			}
			return nil
		}
	}
	// Terraform wraps long diagnostics: match words across any whitespace.
	words := func(s string) *regexp.Regexp {
		return regexp.MustCompile(`(?s)` + strings.Join(strings.Fields(regexp.QuoteMeta(s)), `\s+`))
	}
	summaryThen := func(summary, detail string) *regexp.Regexp {
		return regexp.MustCompile(`(?s)Error: ` + regexp.QuoteMeta(summary) + `\n.*` + words(detail).String()[4:])
	}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: rec.factories(),
		CheckDestroy:             checkDestroyed(t, ns, name),
		Steps: []resource.TestStep{
			{Config: config(t, forbid("secrets-read", "no-such-thing"), a), PlanOnly: true,
				ExpectError: summaryThen("Unknown capability", `policy.forbidden_capabilities[1] "no-such-thing" is not a risky-capability ID; use one of Kubernetes: csr-approve, impersonate,`)},
			// exec is risky but not forbidden: a warning, and the apply goes on.
			{Config: config(t, forbid("secrets-read"), a), Check: expect(fmt.Sprintf(
				`nhi_kubernetes_service_account AttributeName("scopes"): Scope grants a risky capability: scopes contains "role:exec", which lets service account %s/%s `+
					`run commands in containers (pods/exec) in namespace %s (Role %s/exec -> rule create on pods/exec, high): it runs commands inside any Pod in reach, `+
					`with that Pod's service account token and mounted Secrets. If the workload does not need this, grant a narrower role instead; the drift reporter reports it as NHI008.`,
				ns, name, ns, ns))},
			// Adding a scope that grants a forbidden capability fails the plan.
			{Config: config(t, forbid("secrets-read"), b), ExpectError: summaryThen("Scope grants a forbidden capability", fmt.Sprintf(
				`scopes contains "role:secret-reader", which lets service account %s/%s read Secrets in namespace %s ("secrets-read", through Role %s/secret-reader -> rule get on secrets); `+
					`the provider's policy.forbidden_capabilities forbids "secrets-read". Remove the scope and grant a narrower role or policy without these grants instead.`, ns, name, ns, ns))},
			// A scope already applied fails every plan once its capability is forbidden.
			{Config: config(t, forbid("pods-exec"), a), PlanOnly: true, ExpectError: summaryThen("Scope grants a forbidden capability", fmt.Sprintf(
				`scopes contains "role:exec", which lets service account %s/%s run commands in containers (pods/exec) in namespace %s ("pods-exec", through Role %s/exec -> rule create on pods/exec); `+
					`the provider's policy.forbidden_capabilities forbids "pods-exec".`, ns, name, ns, ns))},
			// Unchanged scopes granting nothing forbidden: no error, no warning again.
			{Config: config(t, forbid("secrets-read"), a), PlanOnly: true, Check: expect()},
		},
	})
}
