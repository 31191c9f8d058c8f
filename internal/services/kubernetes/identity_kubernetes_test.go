package kubernetes_test

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
)

// TestAccServiceAccount_identity: the service account and its token record
// their identities (namespace and name) in step with their ids, and import
// by identity (an import block's `identity`) plans no change; a malformed
// identity is refused on the attribute, saying how to import.
func TestAccServiceAccount_identity(t *testing.T) {
	ns := acctest.Namespace(t)
	name := acctest.RandName("ident")
	cfg := acctest.ProviderBlock(t, "") + declaredSA(ns, name, acctest.Date(acctest.Days(90))+"T00:00:00Z") + `
resource "nhi_kubernetes_service_account_token" "ci" {
  namespace       = nhi_kubernetes_service_account.test.namespace
  service_account = nhi_kubernetes_service_account.test.name
  owner           = "team:platform"
  purpose         = "external CI system"
}
`
	const saAddr = "nhi_kubernetes_service_account.test"
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_12_0)},
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: cfg,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectIdentity(saAddr, map[string]knownvalue.Check{"namespace": knownvalue.StringExact(ns), "name": knownvalue.StringExact(name)}),
					statecheck.ExpectIdentityValueMatchesState(tokenAddr, tfjsonpath.New("namespace")),
					statecheck.ExpectIdentityValueMatchesState(tokenAddr, tfjsonpath.New("name")),
				},
			},
			{ResourceName: saAddr, ImportState: true, ImportStateKind: resource.ImportBlockWithResourceIdentity},
			{ResourceName: tokenAddr, ImportState: true, ImportStateKind: resource.ImportBlockWithResourceIdentity},
			// The import by ID that 1.11 uses gives the same identity.
			{
				ResourceName: saAddr, ImportState: true, ImportStateVerify: true,
				ImportStateIdFunc: func(*terraform.State) (string, error) { return ns + "/" + name, nil },
			},
			{
				Config: cfg + fmt.Sprintf(`
import {
  to = nhi_kubernetes_service_account.bad
  identity = {
    namespace = %q
    name      = "Not_A_Name"
  }
}
resource "nhi_kubernetes_service_account" "bad" {
  namespace  = %q
  name       = "not-a-name"
  owner      = "team:platform"
  purpose    = "credential tests"
  scopes     = []
  expires_at = %q
}
`, ns, ns, acctest.Date(acctest.Days(90))),
				ExpectError: regexp.MustCompile(`(?s)Invalid import identity.*identity\.name.*Not_A_Name.*import \{`),
			},
		},
	})
}
