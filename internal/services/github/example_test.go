package github_test

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
	"github.com/nhi-ops/terraform-provider-nhi/internal/testenv/githubfake"
)

// The documented example applies as it is (its repositories on the fake,
// its Secrets' namespaces swapped for the test's), as of when it was
// written (evaluation_time keeps its dates in the future).
func TestAccDeployKey_example(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "examples", "resources", "nhi_github_deploy_key", "resource.tf"))
	if err != nil {
		t.Fatal(err)
	}
	ns := acctest.Namespace(t)
	s := githubfake.New()
	t.Cleanup(s.Close)
	s.AddRepository("acme-corp", "payments-config")
	s.AddRepository("acme-corp", "payments")
	example := regexp.MustCompile(`namespace = "(argocd|release)"`).ReplaceAllString(string(b), `namespace = "`+ns+`"`)
	provider := acctest.ProviderBlock(t, "evaluation_time = \"2026-12-01\"\n  github {\n    organization = \"acme-corp\"\n    base_url = \""+s.URL()+"\"\n    token = \""+s.Token()+"\"\n  }\n")
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		Steps: []resource.TestStep{{
			Config: provider + example,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction("nhi_github_deploy_key.argocd_payments", plancheck.ResourceActionCreate),
				plancheck.ExpectResourceAction("nhi_github_deploy_key.release_bot", plancheck.ResourceActionCreate),
			}},
			Check: resource.ComposeTestCheckFunc(
				resource.TestCheckResourceAttr("nhi_github_deploy_key.argocd_payments", "delivered", "true"),
				resource.TestCheckResourceAttr("nhi_github_deploy_key.release_bot", "read_only", "false"),
			),
		}},
	})
}
