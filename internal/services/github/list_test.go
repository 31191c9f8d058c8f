package github_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
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

// A deploy key query reads deploy keys only: a GitHub App that may read
// the repositories' administration (their deploy keys) and nothing else,
// installed on selected repositories, lists the keys of its repositories,
// although it may not list installations, token grants, Actions secrets or
// webhooks, and a full scan would also refuse its partial coverage.
func TestAccDeployKeyList_onlyAdministration(t *testing.T) {
	s := fake(t)
	s.RequirePermissions(true)
	s.AddRepository(org, "other")
	app := s.AddDeployKey(org, "app", githubfake.FakeDeployKey{Title: "laptop", Key: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"})
	s.AddDeployKey(org, "other", githubfake.FakeDeployKey{Title: "mirror", Key: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBnbCW7ybBE3IUaBcgWt0AvCJDaGHkaG0gJ2pZZYAxiK", ReadOnly: true})
	s.AddOrgSecret(org, githubfake.Secret{Name: "NPM_TOKEN"})
	s.AddRepoSecret(org, "app", githubfake.Secret{Name: "DEPLOY"})
	appKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "app.pem")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(appKey)}), 0o600); err != nil {
		t.Fatal(err)
	}
	s.AddApp(78, &appKey.PublicKey)
	inst := s.AddInstallation(org, githubfake.Installation{AppID: 78, AppSlug: "nhi-keys", RepositorySelection: "selected", Repositories: []string{"app"},
		Permissions: map[string]string{"metadata": "read", "administration": "read"}})
	asApp := fmt.Sprintf("github {\n    organization    = %q\n    base_url        = %q\n    app_id          = 78\n    installation_id = %d\n    private_key     = file(%q)\n  }\n", org, s.URL(), inst, keyFile)
	cfg := acctest.ProviderBlock(t, asApp)
	key := map[string]knownvalue.Check{"repository": knownvalue.StringExact("acme/app"), "key_id": knownvalue.StringExact(strconv.FormatInt(app, 10))}
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_14_0)},
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		Steps: []resource.TestStep{
			{Config: cfg},
			{
				Query: true,
				Config: `
list "nhi_github_deploy_key" "all" {
  provider = nhi
  config {}
}
list "nhi_github_deploy_key" "app" {
  provider         = nhi
  include_resource = true
  config {
    repository = "app"
  }
}
`,
				QueryResultChecks: []querycheck.QueryResultCheck{
					querycheck.ExpectLength("nhi_github_deploy_key.all", 1),
					querycheck.ExpectIdentity("nhi_github_deploy_key.all", key),
					querycheck.ExpectLength("nhi_github_deploy_key.app", 1),
					querycheck.ExpectResourceKnownValues("nhi_github_deploy_key.app", queryfilter.ByResourceIdentity(key), []querycheck.KnownValueCheck{
						{Path: tfjsonpath.New("title"), KnownValue: knownvalue.StringExact("laptop")},
					}),
				},
			},
		},
	})
}

// A repository filter of another owner than the provider's organization is
// refused on repository, naming the organization and the fix, rather than
// listing nothing.
func TestAccDeployKeyList_otherOwnerRefused(t *testing.T) {
	s := fake(t)
	s.AddRepository("someone-else", "app")
	s.AddDeployKey("someone-else", "app", githubfake.FakeDeployKey{Title: "laptop", Key: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"})
	cfg := providerConfig(t, s, "")
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_14_0)},
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		Steps: []resource.TestStep{
			{Config: cfg},
			{
				Query: true,
				Config: `
list "nhi_github_deploy_key" "other" {
  provider = nhi
  config {
    repository = "someone-else/app"
  }
}
`,
				ExpectError: regexp.MustCompile(`(?s)Repository of another organization.*reads\s+organization\s+acme\s+only.*"acme/app"`),
			},
		},
	})
}
