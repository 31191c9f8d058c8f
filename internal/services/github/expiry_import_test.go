package github_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
	"github.com/nhi-ops/terraform-provider-nhi/internal/testenv/githubfake"
)

// Expiry on the provider's clock, as for the other governed credentials:
// GitHub cannot switch a deploy key off, so on_expiry = "disable" plans an
// in-place update that deletes the key and its Secret and keeps the
// resource (status "disabled"); extending expires_at then registers a new
// key. "block" fails the plan, "warn" warns and keeps the key.
func TestAccDeployKey_expiry(t *testing.T) {
	ns := acctest.Namespace(t)
	s := fake(t)
	expired := fmt.Sprintf("evaluation_time = %q\n", acctest.Date(acctest.Days(81)))
	expiring := fmt.Sprintf("evaluation_time = %q\n", acctest.Date(acctest.Days(60)))
	longer := func(cfg string) string {
		return regexp.MustCompile(`expires_at = "[0-9-]+"`).ReplaceAllString(cfg, fmt.Sprintf(`expires_at = %q`, acctest.Date(acctest.Days(150))))
	}
	var first, second string
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		CheckDestroy:             checkGone(t, s, ns),
		Steps: []resource.TestStep{
			{Config: keyConfig(t, s, "", ns, `on_expiry = "block"`), Check: delivered(t, s, ns, true, &first)},
			// Within warn_before: a warning, the status (refreshed on the
			// provider's clock) says so, the key stays.
			{
				Config: keyConfig(t, s, expiring, ns, `on_expiry = "block"`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionNoop),
				}},
				Check: resource.ComposeTestCheckFunc(delivered(t, s, ns, true, &first), resource.TestCheckResourceAttr(keyAddr, "status", "expiring")),
			},
			{
				Config:      keyConfig(t, s, expired, ns, `on_expiry = "block"`),
				ExpectError: regexp.MustCompile(`(?s)has expired.*on_expiry\s+is\s+"block",\s+so\s+this\s+plan\s+cannot\s+proceed`),
			},
			{
				Config: keyConfig(t, s, expired, ns, `on_expiry = "warn"`),
				Check:  resource.ComposeTestCheckFunc(delivered(t, s, ns, true, &first), resource.TestCheckResourceAttr(keyAddr, "status", "expired")),
			},
			// Disabled: deleted from GitHub with its Secret, kept in state.
			{
				Config: keyConfig(t, s, expired, ns, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionUpdate),
				}},
				Check: resource.ComposeTestCheckFunc(resource.TestCheckResourceAttr(keyAddr, "status", "disabled"),
					resource.TestCheckResourceAttr(keyAddr, "delivered", "false"),
					resource.TestCheckNoResourceAttr(keyAddr, "rotation_due_at"),
					func(*terraform.State) error {
						if keys := s.DeployKeys(org, "app"); len(keys) != 0 {
							return fmt.Errorf("the disabled key is still on GitHub: %+v", keys)
						}
						if _, err := acctest.Clientset(t).CoreV1().Secrets(ns).Get(context.Background(), secretName, metav1.GetOptions{}); err == nil {
							return fmt.Errorf("the disabled key's Secret still exists")
						}
						return nil
					}),
			},
			// Still expired: nothing more to do.
			{Config: keyConfig(t, s, expired, ns, ""), PlanOnly: true},
			// expires_at extended: a new key.
			{
				Config: longer(keyConfig(t, s, expired, ns, "")),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionDestroyBeforeCreate),
				}},
				Check: resource.ComposeTestCheckFunc(delivered(t, s, ns, true, &second), resource.TestCheckResourceAttr(keyAddr, "status", "active"), func(*terraform.State) error {
					if second == first {
						return fmt.Errorf("no new key")
					}
					return nil
				}),
			},
		},
	})
}

// Import by <owner>/<repo>/<key ID> cannot recover the private key: when
// the configuration's Secret holds the key (the provider delivered it
// there), the first plan keeps it (an in-place update recording the Secret
// and the governance) and says why; when it does not, the plan replaces the
// key and says the private key cannot be recovered.
func TestAccDeployKey_importKeepsOrReplaces(t *testing.T) {
	ns := acctest.Namespace(t)
	s := fake(t)
	idFile := filepath.Join(t.TempDir(), "import-id")
	cfg := keyConfig(t, s, "", ns, "")
	forget := providerConfig(t, s, "") + `
removed {
  from = nhi_github_deploy_key.test
  lifecycle {
    destroy = false
  }
}
`
	adopt := cfg + fmt.Sprintf(`
import {
  to = nhi_github_deploy_key.test
  id = trimspace(file(%q))
}
`, idFile)
	record := func(st *terraform.State) error {
		return os.WriteFile(idFile, []byte(st.RootModule().Resources[keyAddr].Primary.ID), 0o600)
	}
	var first, kept, replaced string
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		CheckDestroy:             checkGone(t, s, ns),
		Steps: []resource.TestStep{
			{Config: cfg, Check: resource.ComposeTestCheckFunc(delivered(t, s, ns, true, &first), record)},
			{Config: forget},
			{
				Config: adopt,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionUpdate),
				}},
				Check: resource.ComposeTestCheckFunc(delivered(t, s, ns, true, &kept), func(*terraform.State) error {
					if kept != first {
						return fmt.Errorf("the imported key was replaced")
					}
					return nil
				}),
			},
			{Config: forget},
			{
				PreConfig: func() {
					if err := acctest.Clientset(t).CoreV1().Secrets(ns).Delete(context.Background(), secretName, metav1.DeleteOptions{}); err != nil {
						t.Fatal(err)
					}
				},
				Config: adopt,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionDestroyBeforeCreate),
				}},
				Check: resource.ComposeTestCheckFunc(delivered(t, s, ns, true, &replaced), func(*terraform.State) error {
					if replaced == first {
						return fmt.Errorf("the key was not replaced")
					}
					return nil
				}),
			},
			{
				ResourceName: keyAddr, ImportState: true, ImportStateId: "acme/app", ExpectError: regexp.MustCompile(`(?s)Invalid import ID.*is not of the form <owner>/<repo>/<key ID>,\s+such\s+as\s+acme-corp/payments/123456`),
			},
		},
	})
}

// Adopting a key someone added by hand, with the block drift's
// --generate-imports writes (scopes and read_only as GitHub has them): its
// private key is nowhere this provider can reach, so the plan imports it and
// replaces it with a governed key delivered to the Secret; the hand-made key
// is gone.
func TestAccDeployKey_adoptHandMadeKey(t *testing.T) {
	ns := acctest.Namespace(t)
	s := fake(t)
	byHand := s.AddDeployKey(org, "app", githubfake.FakeDeployKey{
		Title: "release", Key: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl", AddedBy: "bob",
	})
	cfg := providerConfig(t, s, "") + fmt.Sprintf(`
import {
  to = nhi_github_deploy_key.test
  id = "acme/app/%d"
}
resource "nhi_github_deploy_key" "test" {
  repository = "acme/app"
  title      = "release"
  owner      = "team:release"
  purpose    = "Pushes release tags"
  expires_at = %q
  scopes     = ["deploy_key:write@acme/app"]
  read_only  = false
  kubernetes_secret = {
    namespace = %q
    name      = %q
  }
}
`, byHand, acctest.Date(acctest.Days(60)), ns, secretName)
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		CheckDestroy:             checkGone(t, s, ns),
		Steps: []resource.TestStep{{
			Config: cfg,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionDestroyBeforeCreate),
			}},
			Check: func(st *terraform.State) error {
				keys := s.DeployKeys(org, "app")
				if len(keys) != 1 || keys[0].ID == byHand || keys[0].Title != "release [nhi.dev]" || keys[0].ReadOnly {
					return fmt.Errorf("after adoption the fake holds %+v; want one governed write key replacing %d", keys, byHand)
				}
				return nil
			},
		}},
	})
}
