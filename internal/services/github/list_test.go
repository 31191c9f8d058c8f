package github_test

import (
	"fmt"
	"regexp"
	"strconv"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/querycheck"
	"github.com/hashicorp/terraform-plugin-testing/querycheck/queryfilter"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
	"github.com/nhi-ops/terraform-provider-nhi/internal/testenv/githubfake"
)

// terraform query lists the organization's deploy keys (of one repository
// with repository): the governed one, with include_resource as a Read after
// an import gives it, and those added by hand, undeclared.
func TestAccDeployKeyList_query(t *testing.T) {
	ns := acctest.Namespace(t)
	s := fake(t)
	s.AddRepository(org, "other")
	byHand := s.AddDeployKey(org, "app", githubfake.FakeDeployKey{Title: "laptop", Key: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"})
	elsewhere := s.AddDeployKey(org, "other", githubfake.FakeDeployKey{Title: "mirror", Key: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBnbCW7ybBE3IUaBcgWt0AvCJDaGHkaG0gJ2pZZYAxiK", ReadOnly: true})
	cfg := keyConfig(t, s, "", ns, "")
	list := func(name, filters string, include bool) string {
		return fmt.Sprintf(`
list "nhi_github_deploy_key" %q {
  provider         = nhi
  include_resource = %t
  config {
    %s
  }
}
`, name, include, filters)
	}
	key := func(repo, id string) map[string]knownvalue.Check {
		return map[string]knownvalue.Check{"repository": knownvalue.StringExact(repo), "key_id": knownvalue.StringExact(id)}
	}
	hand := strconv.FormatInt(byHand, 10)
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_14_0)},
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		// The keys this test added by hand stay: only the governed one
		// must be gone.
		CheckDestroy: checkGone(t, s, ns, byHand),
		Steps: []resource.TestStep{
			{Config: cfg},
			{
				Query: true,
				Config: list("all", "", false) + list("app", `repository = "app"`, false) +
					list("undeclared", `repository = "acme/app"`+"\n    declared = false", false) + list("declared", "declared = true", true),
				QueryResultChecks: []querycheck.QueryResultCheck{
					querycheck.ExpectLength("nhi_github_deploy_key.all", 3),
					querycheck.ExpectIdentity("nhi_github_deploy_key.all", key("acme/other", strconv.FormatInt(elsewhere, 10))),
					querycheck.ExpectLength("nhi_github_deploy_key.app", 2),
					querycheck.ExpectIdentity("nhi_github_deploy_key.app", key("acme/app", hand)),
					querycheck.ExpectNoIdentity("nhi_github_deploy_key.app", key("acme/other", strconv.FormatInt(elsewhere, 10))),
					querycheck.ExpectLength("nhi_github_deploy_key.undeclared", 1),
					querycheck.ExpectIdentity("nhi_github_deploy_key.undeclared", key("acme/app", hand)),
					querycheck.ExpectResourceDisplayName("nhi_github_deploy_key.undeclared", queryfilter.ByResourceIdentity(key("acme/app", hand)), knownvalue.StringRegexp(regexp.MustCompile(`undeclared`))),
					// The governed key, as a Read after an import gives it.
					querycheck.ExpectLength("nhi_github_deploy_key.declared", 1),
					querycheck.ExpectResourceKnownValues("nhi_github_deploy_key.declared", queryfilter.ByResourceIdentity(map[string]knownvalue.Check{
						"repository": knownvalue.StringExact("acme/app"), "key_id": knownvalue.NotNull(),
					}), []querycheck.KnownValueCheck{
						{Path: tfjsonpath.New("title"), KnownValue: knownvalue.StringExact("ci")},
						{Path: tfjsonpath.New("read_only"), KnownValue: knownvalue.Bool(true)},
						{Path: tfjsonpath.New("scopes"), KnownValue: knownvalue.SetExact([]knownvalue.Check{knownvalue.StringExact("deploy_key:read@acme/app")})},
						{Path: tfjsonpath.New("fingerprint"), KnownValue: knownvalue.StringRegexp(regexp.MustCompile(`^SHA256:`))},
					}),
				},
			},
		},
	})
}
