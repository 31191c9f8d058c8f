package github_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
)

// Two nhi_github_deploy_key resources of one repository naming one Secret
// would overwrite each other's private key on every apply: the plan of
// the second refuses it on kubernetes_secret, naming the key the Secret
// holds. (A rotation of one resource into its own Secret is
// TestAccDeployKey_rotation; a leftover of a deleted key,
// TestAccDeployKey_secretTypeSSHAuth.)
func TestAccDeployKey_sharedSecretRefused(t *testing.T) {
	ns := acctest.Namespace(t)
	s := fake(t)
	cfg := keyConfig(t, s, "", ns, "")
	other := cfg + fmt.Sprintf(`
resource "nhi_github_deploy_key" "other" {
  repository = "acme/app"
  title      = "mirror"
  owner      = "team:platform"
  purpose    = "Mirrors the app repository"
  expires_at = %q
  kubernetes_secret = {
    namespace = %q
    name      = %q
  }
}
`, acctest.Date(acctest.Days(80)), ns, secretName)
	var first string
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		CheckDestroy:             checkGone(t, s, ns),
		Steps: []resource.TestStep{
			{Config: cfg, Check: delivered(t, s, ns, true, &first)},
			{
				Config:   other,
				PlanOnly: true,
				ExpectError: regexp.MustCompile(`(?s)The Secret holds another deploy key.*with nhi_github_deploy_key\.other.*` +
					words("kubernetes_secret "+ns+"/"+secretName+" already holds deploy key acme/app/") + `\d+\s+` +
					words(`(title "ci") of repository acme/app, which another nhi_github_deploy_key delivered there.`) + `.*` + words("a Secret of its own")),
			},
			// Nothing was written: the first key is still the Secret's.
			{Config: cfg, Check: delivered(t, s, ns, true, nil)},
		},
	})
}

// words matches text whatever the line wrapping of Terraform's output.
func words(text string) string {
	f := strings.Fields(text)
	for i := range f {
		f[i] = regexp.QuoteMeta(f[i])
	}
	return strings.Join(f, `\s+`)
}
