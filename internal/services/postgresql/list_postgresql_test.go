package postgresql_test

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/querycheck"
	"github.com/hashicorp/terraform-plugin-testing/querycheck/queryfilter"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
)

// TestAccPostgresqlRoleList_query lists a declared role and a login role
// made out of band on the shared server (other tests' roles are there too,
// so counts go by owner, and by identity otherwise).
func TestAccPostgresqlRoleList_query(t *testing.T) {
	declared := acctest.PostgresRole(t, acctest.PostgresRandName("listed"))
	legacy := acctest.PostgresRole(t, acctest.PostgresRandName("legacy"))
	acctest.PostgresExec(t, "postgres", fmt.Sprintf("CREATE ROLE %s LOGIN", legacy))
	acctest.PostgresExec(t, "postgres", fmt.Sprintf("GRANT CONNECT ON DATABASE app TO %s", legacy))
	owner := "team:" + acctest.PostgresRandName("owner")
	cfg := acctest.PostgresProviderBlock(t, "") + fmt.Sprintf(`
resource "nhi_postgresql_role" "test" {
  name       = %q
  owner      = %q
  purpose    = "Reads orders"
  scopes     = []
  expires_at = %q
}
`, declared, owner, acctest.Date(acctest.Days(30)))
	list := func(name, filters string, include bool) string {
		return fmt.Sprintf(`
list "nhi_postgresql_role" %q {
  provider         = nhi
  include_resource = %t
  config {
    %s
  }
}
`, name, include, filters)
	}
	name := func(n string) map[string]knownvalue.Check {
		return map[string]knownvalue.Check{"name": knownvalue.StringExact(n)}
	}
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { acctest.PostgresPreCheck(t) },
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_14_0)},
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		Steps: []resource.TestStep{
			{Config: cfg},
			{
				Query:  true,
				Config: list("all", "", false) + list("undeclared", "declared = false", true) + list("declared", "declared = true", false) + list("owner", fmt.Sprintf("owner = %q", owner), false),
				QueryResultChecks: []querycheck.QueryResultCheck{
					querycheck.ExpectLengthAtLeast("nhi_postgresql_role.all", 2),
					querycheck.ExpectIdentity("nhi_postgresql_role.all", name(declared)),
					querycheck.ExpectIdentity("nhi_postgresql_role.all", name(legacy)),
					querycheck.ExpectIdentity("nhi_postgresql_role.undeclared", name(legacy)),
					querycheck.ExpectNoIdentity("nhi_postgresql_role.undeclared", name(declared)),
					querycheck.ExpectResourceDisplayName("nhi_postgresql_role.undeclared", queryfilter.ByResourceIdentity(name(legacy)), knownvalue.StringExact("login role role/"+legacy+" (undeclared)")),
					querycheck.ExpectResourceKnownValues("nhi_postgresql_role.undeclared", queryfilter.ByResourceIdentity(name(legacy)), []querycheck.KnownValueCheck{
						{Path: tfjsonpath.New("owner"), KnownValue: knownvalue.StringExact("FILL-IN: the person or team responsible")},
						{Path: tfjsonpath.New("scopes"), KnownValue: knownvalue.SetExact([]knownvalue.Check{knownvalue.StringExact("database:CONNECT@app")})},
					}),
					querycheck.ExpectIdentity("nhi_postgresql_role.declared", name(declared)),
					querycheck.ExpectNoIdentity("nhi_postgresql_role.declared", name(legacy)),
					querycheck.ExpectLength("nhi_postgresql_role.owner", 1),
					querycheck.ExpectResourceDisplayName("nhi_postgresql_role.owner", queryfilter.ByResourceIdentity(name(declared)), knownvalue.StringExact("login role role/"+declared+" (owner "+owner+")")),
				},
			},
		},
	})
}
