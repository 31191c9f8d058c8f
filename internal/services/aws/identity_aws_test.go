package aws_test

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
)

// TestAccIAM_identity: a user, a role and an access key record their
// identities (name; user and key ID), and import by identity works: the
// user and role plan no change, the key an in-place update that records
// its kubernetes_secret (as an import by <user>/<key ID> does), never a
// replacement.
func TestAccIAM_identity(t *testing.T) {
	ns := acctest.Namespace(t)
	user, role := acctest.RandName("ident"), acctest.RandName("ident-role")
	expires := acctest.Date(acctest.Days(90)) + "T00:00:00Z"
	cfg := acctest.ProviderBlock(t, "aws {}\n") + fmt.Sprintf(`
resource "nhi_aws_iam_user" "u" {
  name       = %q
  owner      = "team:platform"
  purpose    = "Pushes images"
  scopes     = []
  expires_at = %q
}

resource "nhi_aws_iam_role" "r" {
  name         = %q
  owner        = "team:ci"
  purpose      = "Deploys"
  scopes       = []
  expires_at   = %q
  trust_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Principal = { AWS = "arn:aws:iam::000000000000:root" }, Action = "sts:AssumeRole" }] })
}

resource "nhi_aws_iam_access_key" "test" {
  user = nhi_aws_iam_user.u.name
  kubernetes_secret = {
    namespace = %q
    name      = "aws-creds"
  }
}
`, user, expires, role, expires, ns)
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t); acctest.AWS(t) },
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_12_0)},
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		CheckDestroy:             checkUserGone(t, user),
		Steps: []resource.TestStep{
			{
				Config: cfg,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectIdentity("nhi_aws_iam_user.u", map[string]knownvalue.Check{"name": knownvalue.StringExact(user)}),
					statecheck.ExpectIdentity("nhi_aws_iam_role.r", map[string]knownvalue.Check{"name": knownvalue.StringExact(role)}),
					statecheck.ExpectIdentityValueMatchesState(keyAddr, tfjsonpath.New("user")),
					statecheck.ExpectIdentityValueMatchesStateAtPath(keyAddr, tfjsonpath.New("access_key_id"), tfjsonpath.New("id")),
				},
			},
			{ResourceName: "nhi_aws_iam_user.u", ImportState: true, ImportStateKind: resource.ImportBlockWithResourceIdentity},
			{ResourceName: "nhi_aws_iam_role.r", ImportState: true, ImportStateKind: resource.ImportBlockWithResourceIdentity},
			{
				ResourceName: keyAddr, ImportState: true, ImportStateKind: resource.ImportBlockWithResourceIdentity, ExpectNonEmptyPlan: true,
				ImportPlanChecks: resource.ImportPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionUpdate)}},
			},
		},
	})
}
