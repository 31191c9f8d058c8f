package saas_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
)

// The documented example plans and applies as it is, as of when it was
// written (evaluation_time: its dates stay in the future for the test).
func TestAccIdentity_example(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "examples", "resources", "nhi_identity", "resource.tf"))
	if err != nil {
		t.Fatal(err)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		Steps: []resource.TestStep{{
			Config: "provider \"nhi\" {\n  evaluation_time = \"2026-12-01\"\n}\n" + string(b),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction("nhi_identity.billing_sync", plancheck.ResourceActionCreate),
				plancheck.ExpectResourceAction("nhi_identity.deploy_bot", plancheck.ResourceActionCreate),
			}},
		}},
	})
}
