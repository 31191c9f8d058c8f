package postgresql_test

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
)

// TestAccPostgresqlRole_identity: a role's identity is its name, and
// import by identity plans no change.
func TestAccPostgresqlRole_identity(t *testing.T) {
	role := acctest.PostgresRole(t, acctest.PostgresRandName("ident"))
	cfg := acctest.PostgresProviderBlock(t, "") + roleHCL(role, acctest.Date(acctest.Days(30))+"T00:00:00Z", "", "database:CONNECT@app")
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { acctest.PostgresPreCheck(t) },
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_12_0)},
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:            cfg,
				ConfigStateChecks: []statecheck.StateCheck{statecheck.ExpectIdentity(roleAddr, map[string]knownvalue.Check{"name": knownvalue.StringExact(role)})},
			},
			{ResourceName: roleAddr, ImportState: true, ImportStateKind: resource.ImportBlockWithResourceIdentity},
		},
	})
}
