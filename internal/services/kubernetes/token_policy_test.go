package kubernetes_test

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
)

// A long-lived token is held to the provider's policy like every governed
// identity: its owner must match owner_pattern, and an expiry set or changed
// must lie within max_lifetime (the default's 365d, or the configured one).
// A token whose expiry is unchanged keeps planning when the policy tightens.
func TestAccServiceAccountToken_policy(t *testing.T) {
	ns := acctest.Namespace(t)
	name := acctest.RandName("policy")
	sa := declaredSA(ns, name, acctest.Date(acctest.Days(90)))
	tok := func(owner, expires string) string {
		return sa + fmt.Sprintf(`
resource "nhi_kubernetes_service_account_token" "ci" {
  namespace       = nhi_kubernetes_service_account.test.namespace
  service_account = nhi_kubernetes_service_account.test.name
  owner           = %q
  purpose         = "external CI system"
  expires_at      = %q
}
`, owner, expires)
	}
	policy := func(maxLifetime string) string {
		return acctest.ProviderBlock(t, fmt.Sprintf(`policy {
  owner_pattern = "team:[a-z-]+"
  max_lifetime  = %q
}`, maxLifetime))
	}
	in60 := acctest.Date(acctest.Days(60))
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		Steps: []resource.TestStep{
			{Config: policy("180d") + tok("bob", in60), PlanOnly: true,
				ExpectError: wrapped(`(?s)Owner does not match the owner policy.*owner "bob" does not match`)},
			{Config: acctest.ProviderBlock(t, "") + tok("team:platform", acctest.Date(acctest.Days(400))), PlanOnly: true,
				ExpectError: wrapped(`(?s)Lifetime exceeds policy.*policy.max_lifetime of 365d`)},
			{Config: policy("30d") + tok("team:platform", in60), PlanOnly: true,
				ExpectError: wrapped(`(?s)Lifetime exceeds policy.*policy.max_lifetime of 30d`)},
			{Config: policy("180d") + tok("team:platform", in60)},
			{
				// Tightened below the token's expiry, which is unchanged: the
				// policy applies when an expiry is set, so nothing to do.
				Config: policy("30d") + tok("team:platform", in60),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(tokenAddr, plancheck.ResourceActionNoop),
				}},
			},
			{Config: policy("30d") + tok("team:platform", acctest.Date(acctest.Days(61))), PlanOnly: true,
				ExpectError: wrapped(`(?s)Lifetime exceeds policy.*policy.max_lifetime of 30d`)},
			{Config: policy("30d") + tok("team:ops", in60), PlanOnly: true, ExpectNonEmptyPlan: true},
			{Config: policy("30d") + tok("ops", in60), PlanOnly: true,
				ExpectError: wrapped(`(?s)Owner does not match the owner policy.*owner "ops" does not match`)},
		},
	})
}
