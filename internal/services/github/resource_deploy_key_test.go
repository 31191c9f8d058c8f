package github_test

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
	"github.com/nhi-ops/terraform-provider-nhi/internal/testenv/githubfake"
)

// checkGone checks, after destroy, that the fake holds no key on acme/app
// (but outOfBand) and the Secret is gone.
//
// outOfBand are the IDs of keys the test itself added to acme/app behind
// Terraform's back (AddDeployKey): destroy leaves them, and the check
// asks only that they be all that is left.
func checkGone(t *testing.T, s *githubfake.Server, ns string, outOfBand ...int64) resource.TestCheckFunc {
	return func(*terraform.State) error {
		var left []githubfake.FakeDeployKey
		for _, k := range s.DeployKeys(org, "app") {
			if !slices.Contains(outOfBand, k.ID) {
				left = append(left, k)
			}
		}
		if len(left) != 0 {
			return fmt.Errorf("after destroy the fake holds %+v", left)
		}
		if _, err := acctest.Clientset(t).CoreV1().Secrets(ns).Get(context.Background(), secretName, metav1.GetOptions{}); err == nil {
			return fmt.Errorf("after destroy Secret %s/%s still exists", ns, secretName)
		}
		return nil
	}
}

// Create registers a read-only ed25519 key with the governed title and
// delivers its private key; a second plan is empty; import by
// <owner>/<repo>/<key ID> reads back everything GitHub knows (the rest is
// configuration or lives in the Secret, and cannot be imported).
func TestAccDeployKey_basic(t *testing.T) {
	ns := acctest.Namespace(t)
	s := fake(t)
	cfg := keyConfig(t, s, "", ns, "")
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		CheckDestroy:             checkGone(t, s, ns),
		Steps: []resource.TestStep{
			{
				Config: cfg,
				Check: resource.ComposeTestCheckFunc(delivered(t, s, ns, true, nil),
					resource.TestCheckResourceAttr(keyAddr, "read_only", "true"),
					resource.TestCheckResourceAttr(keyAddr, "status", "active"),
					resource.TestCheckResourceAttr(keyAddr, "scopes.#", "1"),
					resource.TestCheckTypeSetElemAttr(keyAddr, "scopes.*", "deploy_key:read@acme/app"),
					resource.TestMatchResourceAttr(keyAddr, "fingerprint", regexp.MustCompile(`^SHA256:[A-Za-z0-9+/]{43}$`)),
					resource.TestMatchResourceAttr(keyAddr, "created_at", regexp.MustCompile(`^\d{4}-\d\d-\d\dT`)),
					resource.TestMatchResourceAttr(keyAddr, "rotation_due_at", regexp.MustCompile(`^\d{4}-\d\d-\d\dT`)),
				),
			},
			{Config: cfg, PlanOnly: true},
			{
				ResourceName: keyAddr, ImportState: true, ImportStateVerify: true,
				// Configuration only (GitHub records none of it), and the
				// Secret, which an import cannot know.
				ImportStateVerifyIgnore: []string{"owner", "purpose", "expires_at", "kubernetes_secret", "delivered"},
			},
		},
	})
}

// A bare repository name is a repository of the provider's organization;
// writing it the other way later changes nothing.
func TestAccDeployKey_repositoryInOrganization(t *testing.T) {
	ns := acctest.Namespace(t)
	s := fake(t)
	full := keyConfig(t, s, "", ns, "")
	short := regexp.MustCompile(`repository = "acme/app"`).ReplaceAllString(full, `repository = "app"`)
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		CheckDestroy:             checkGone(t, s, ns),
		Steps: []resource.TestStep{
			{Config: short, Check: resource.ComposeTestCheckFunc(delivered(t, s, ns, true, nil), resource.TestCheckResourceAttr(keyAddr, "repository", "app"))},
			{
				Config: full,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionUpdate),
				}},
				Check: delivered(t, s, ns, true, nil),
			},
			// scopes written out, as drift's --generate-imports writes it:
			// the same key.
			{
				Config: replaceOnce(full, `title      = "ci"`, `title      = "ci"`+"\n  scopes     = [\"deploy_key:read@acme/app\"]"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionNoop),
				}},
			},
		},
	})
}

// read_only = false registers a key that may push; a policy that forbids
// write deploy keys refuses it at plan time, on read_only, before anything
// exists. Changing read_only replaces the key.
func TestAccDeployKey_readOnly(t *testing.T) {
	ns := acctest.Namespace(t)
	s := fake(t)
	forbid := "policy {\n    forbidden_scopes = [\"deploy_key:write@*\"]\n  }\n"
	var first, second string
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		CheckDestroy:             checkGone(t, s, ns),
		Steps: []resource.TestStep{
			{
				Config:      keyConfig(t, s, forbid, ns, "read_only = false"),
				ExpectError: regexp.MustCompile(`(?s)Write deploy keys are forbidden by policy.*read_only = false makes this a deploy key that can push to\s+acme/app\s+\(scope\s+"deploy_key:write@acme/app"\).*matches\s+"deploy_key:write@\*".*Set read_only = true`),
			},
			{
				Config: keyConfig(t, s, "", ns, "read_only = false"),
				PreConfig: func() {
					if keys := s.DeployKeys(org, "app"); len(keys) != 0 {
						t.Fatalf("the refused plan registered %+v", keys)
					}
				},
				Check: resource.ComposeTestCheckFunc(delivered(t, s, ns, false, &first),
					resource.TestCheckTypeSetElemAttr(keyAddr, "scopes.*", "deploy_key:write@acme/app")),
			},
			{
				Config: keyConfig(t, s, "", ns, "read_only = true"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionDestroyBeforeCreate),
				}},
				Check: resource.ComposeTestCheckFunc(delivered(t, s, ns, true, &second), func(*terraform.State) error {
					if first == second {
						return fmt.Errorf("the key was not replaced")
					}
					return nil
				}),
			},
		},
	})
}

// Rotation is decided on the provider's clock: with evaluation_time past
// rotate_after the plan replaces the key create-before-destroy, the new key
// is delivered and the old one deleted, leaving the Secret (which holds
// the new key) alone. A Secret deleted out of band replaces the key too.
func TestAccDeployKey_rotation(t *testing.T) {
	ns := acctest.Namespace(t)
	s := fake(t)
	extra := `rotate_after = "30d"` + "\n  lifecycle {\n    create_before_destroy = true\n  }"
	later := fmt.Sprintf("evaluation_time = %q\n", acctest.Date(acctest.Days(31)))
	var first, second string
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		CheckDestroy:             checkGone(t, s, ns),
		Steps: []resource.TestStep{
			{Config: keyConfig(t, s, "", ns, extra), Check: delivered(t, s, ns, true, &first)},
			// Due in 30 days: the plan 25 days later warns and keeps it.
			{Config: keyConfig(t, s, fmt.Sprintf("evaluation_time = %q\n", acctest.Date(acctest.Days(25))), ns, extra), PlanOnly: true},
			{
				Config: keyConfig(t, s, later, ns, extra),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionCreateBeforeDestroy),
				}},
				Check: resource.ComposeTestCheckFunc(delivered(t, s, ns, true, &second), func(*terraform.State) error {
					if second == first {
						return fmt.Errorf("the key was not replaced")
					}
					return nil
				}),
				// The new key was registered at the real time, 31 days before
				// this evaluation time: it is due again at once.
				ExpectNonEmptyPlan: true,
			},
			// Back at the real time the new key is not due.
			{Config: keyConfig(t, s, "", ns, extra), PlanOnly: true},
			// The Secret deleted out of band: the key is replaced, since its
			// private key exists nowhere else.
			{
				PreConfig: func() {
					if err := acctest.Clientset(t).CoreV1().Secrets(ns).Delete(context.Background(), secretName, metav1.DeleteOptions{}); err != nil {
						t.Fatal(err)
					}
				},
				Config: keyConfig(t, s, "", ns, extra),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionCreateBeforeDestroy),
				}},
				Check: resource.ComposeTestCheckFunc(delivered(t, s, ns, true, &first), func(*terraform.State) error {
					if second == first {
						return fmt.Errorf("the key was not replaced")
					}
					return nil
				}),
			},
		},
	})
}

// A key deleted on GitHub out of band is gone from state on refresh, and
// the plan registers a new one (into the same Secret).
func TestAccDeployKey_disappears(t *testing.T) {
	ns := acctest.Namespace(t)
	s := fake(t)
	cfg := keyConfig(t, s, "", ns, "")
	var first, second string
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		CheckDestroy:             checkGone(t, s, ns),
		Steps: []resource.TestStep{
			{
				Config: cfg,
				Check: resource.ComposeTestCheckFunc(delivered(t, s, ns, true, &first), func(*terraform.State) error {
					id, _ := strconv.ParseInt(first, 10, 64)
					return client(t, s).DeleteDeployKey(context.Background(), org, "app", id)
				}),
				ExpectNonEmptyPlan: true,
			},
			{
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionCreate),
				}},
				Check: resource.ComposeTestCheckFunc(delivered(t, s, ns, true, &second), func(*terraform.State) error {
					if second == first {
						return fmt.Errorf("the key was not registered again")
					}
					return nil
				}),
			},
		},
	})
}

// The answer to the key's registration is lost after GitHub registered it:
// the connector's retry finds the key it made, so the repository holds one
// key, the one in state and the Secret.
func TestAccDeployKey_lostCreateAnswer(t *testing.T) {
	ns := acctest.Namespace(t)
	s := fake(t)
	s.DropAnswerAfterWrite(githubfake.RouteCreateKey, 1)
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		CheckDestroy:             checkGone(t, s, ns),
		Steps: []resource.TestStep{{
			Config: keyConfig(t, s, "", ns, ""),
			Check: resource.ComposeTestCheckFunc(delivered(t, s, ns, true, nil), func(*terraform.State) error {
				if n := s.Count(githubfake.RouteCreateKey); n < 2 {
					return fmt.Errorf("the fake saw %d registrations; the lost answer was not retried", n)
				}
				return nil
			}),
		}},
	})
}
