package github_test

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
)

// A first plan whose github block holds a value Terraform learns only
// during apply (a token from another resource) plans the key with unknown
// computed values and never reaches GitHub with the ambient GITHUB_TOKEN
// (here a token the fake refuses); the apply registers the key with the
// configured token.
func TestAccDeployKey_unknownGitHubConfig(t *testing.T) {
	t.Setenv("GITHUB_TOKEN", "ghp_notthetokenofthisprovider0000000000")
	ns := acctest.Namespace(t)
	s := fake(t)
	cfg := keyConfig(t, s, "", ns, "")
	unknown := fmt.Sprintf(`
resource "terraform_data" "token" {
  input = %q
}
`, s.Token())
	cfg = unknown + replaceOnce(cfg, fmt.Sprintf("token        = %q", s.Token()), "token        = terraform_data.token.output")
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		CheckDestroy:             checkGone(t, s, ns),
		Steps: []resource.TestStep{{
			Config: cfg,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionCreate),
				plancheck.ExpectUnknownValue(keyAddr, tfjsonpath.New("key_id")),
				plancheck.ExpectUnknownValue(keyAddr, tfjsonpath.New("scopes")),
			}},
			Check: delivered(t, s, ns, true, nil),
		}},
	})
}
