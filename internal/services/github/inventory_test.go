package github_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
	"github.com/nhi-ops/terraform-provider-nhi/internal/testenv/githubfake"
)

// nhi_identities and nhi_undeclared list GitHub's identities, with system
// "github": a key declared with nhi_github_deploy_key is declared, with the
// resource's id; a deploy key someone added by hand and an App
// installation are undeclared; with system = "github" no Kubernetes
// identity is listed. The provider authenticates as a GitHub App (only an
// App may list the organization's fine-grained tokens).
func TestAccDeployKey_inventory(t *testing.T) {
	ns := acctest.Namespace(t)
	s := fake(t)
	appKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "app.pem")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(appKey)}), 0o600); err != nil {
		t.Fatal(err)
	}
	s.AddApp(77, &appKey.PublicKey)
	inst := s.AddInstallation(org, githubfake.Installation{AppID: 77, AppSlug: "nhi-provider",
		Permissions: map[string]string{"administration": "write", "organization_personal_access_tokens": "read", "secrets": "read", "organization_hooks": "read", "members": "read"}})
	asApp := fmt.Sprintf("github {\n    organization    = %q\n    base_url        = %q\n    app_id          = 77\n    installation_id = %d\n    private_key     = file(%q)\n  }\n", org, s.URL(), inst, keyFile)
	byHand := s.AddDeployKey(org, "app", githubfake.FakeDeployKey{
		Title: "laptop of bob", Key: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl", ReadOnly: false,
		CreatedAt: time.Now().Add(-400 * 24 * time.Hour), AddedBy: "bob",
	})
	s.AddInstallation(org, githubfake.Installation{AppID: 9, AppSlug: "ci-bot", RepositorySelection: "all", Permissions: map[string]string{"contents": "write"}, CreatedAt: time.Now().Add(-time.Hour)})
	data := `
data "nhi_identities" "gh" {
  system     = "github"
  depends_on = [nhi_github_deploy_key.test]
}
data "nhi_undeclared" "gh" {
  system     = "github"
  depends_on = [nhi_github_deploy_key.test]
}
`
	handID := fmt.Sprintf("acme/app/%d", byHand)
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		Steps: []resource.TestStep{{
			Config: strings.Replace(keyConfig(t, s, "", ns, "")+data, githubBlock(s), asApp, 1),
			Check: func(st *terraform.State) error {
				key := st.RootModule().Resources[keyAddr].Primary.ID
				ids := st.RootModule().Resources["data.nhi_identities.gh"].Primary.Attributes
				found := map[string]string{}
				for i := 0; ; i++ {
					id, ok := ids[fmt.Sprintf("identities.%d.id", i)]
					if !ok {
						break
					}
					if sys := ids[fmt.Sprintf("identities.%d.system", i)]; sys != "github" {
						return fmt.Errorf("nhi_identities with system = \"github\" lists %s of system %q", id, sys)
					}
					found[id] = ids[fmt.Sprintf("identities.%d.kind", i)] + " declared=" + ids[fmt.Sprintf("identities.%d.declared", i)]
				}
				if found[key] != "deploy_key declared=true" || found[handID] != "deploy_key declared=false" {
					return fmt.Errorf("nhi_identities lists %v; want %s declared and %s undeclared", found, key, handID)
				}
				installations := 0
				for id, what := range found {
					if strings.HasPrefix(what, "app_installation") && strings.Contains(id, "ci-bot") {
						installations++
					}
				}
				if installations != 1 {
					return fmt.Errorf("nhi_identities lists %d ci-bot App installations, want 1: %v", installations, found)
				}
				un := st.RootModule().Resources["data.nhi_undeclared.gh"].Primary.Attributes
				var undeclared []string
				for i := 0; ; i++ {
					id, ok := un[fmt.Sprintf("ids.%d", i)]
					if !ok {
						break
					}
					undeclared = append(undeclared, id)
				}
				joined := "," + strings.Join(undeclared, ",") + ","
				if !strings.Contains(joined, ","+handID+",") || strings.Contains(joined, ","+key+",") || !strings.Contains(joined, "ci-bot") {
					return fmt.Errorf("nhi_undeclared lists %v; want %s and the ci-bot installation, not %s", undeclared, handID, key)
				}
				return nil
			},
		}},
	})
}
