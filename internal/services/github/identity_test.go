package github_test

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
)

// A deploy key's identity (Terraform 1.12+) is its repository as
// <owner>/<repo> (also when the configuration gives a bare name) and its key
// ID; import by identity reads it back as import by ID does.
func TestAccDeployKey_identity(t *testing.T) {
	ns := acctest.Namespace(t)
	s := fake(t)
	cfg := regexp.MustCompile(`repository = "acme/app"`).ReplaceAllString(keyConfig(t, s, "", ns, ""), `repository = "app"`)
	var keyID string
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_12_0)},
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		CheckDestroy:             checkGone(t, s, ns),
		Steps: []resource.TestStep{
			{
				Config: cfg,
				Check:  delivered(t, s, ns, true, &keyID),
				ConfigStateChecks: []statecheck.StateCheck{statecheck.ExpectIdentity(keyAddr, map[string]knownvalue.Check{
					"repository": knownvalue.StringExact("acme/app"),
					"key_id":     knownvalue.StringRegexp(regexp.MustCompile(`^[1-9][0-9]*$`)),
				})},
			},
			{
				// An in-place update: the governance and the Secret are
				// configuration only (the key is kept: its Secret holds it).
				ResourceName: keyAddr, ImportState: true, ImportStateKind: resource.ImportBlockWithResourceIdentity, ExpectNonEmptyPlan: true,
				ImportPlanChecks: resource.ImportPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(keyAddr, tfjsonpath.New("id"), knownvalue.StringFunc(func(v string) error {
						if v != "acme/app/"+keyID {
							return fmt.Errorf("import by identity planned id %q, want acme/app/%s", v, keyID)
						}
						return nil
					})),
				}},
			},
		},
	})
}
