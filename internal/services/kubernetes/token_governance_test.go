package kubernetes_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
	k8s "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/kubernetes"
)

// A long-lived token Secret carrying only the managed-by label (which anyone
// can set) is a legacy token like any other: it shows in legacy_tokens and
// the apply deletes it unless allow_legacy_tokens.
func TestAccServiceAccount_bareLabelTokenIsLegacy(t *testing.T) {
	ns := acctest.Namespace(t)
	name := acctest.RandName("label")
	cs := acctest.Clientset(t)
	const secret = "only-the-label"
	sa := declaredSA(ns, name, acctest.Date(acctest.Days(90)))
	allowed := allowingLegacyTokens(sa)
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		Steps: []resource.TestStep{
			{Config: acctest.ProviderBlock(t, "") + allowed},
			{
				PreConfig: func() {
					createTokenSecret(t, cs, ns, secret, name, map[string]string{k8s.ManagedByLabel: k8s.ManagedByValue}, nil)
				},
				Config: acctest.ProviderBlock(t, "") + allowed,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("nhi_kubernetes_service_account.test", tfjsonpath.New("legacy_tokens"),
						knownvalue.SetExact([]knownvalue.Check{knownvalue.StringExact(secret)})),
				},
			},
			{
				Config: acctest.ProviderBlock(t, "") + sa,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("nhi_kubernetes_service_account.test", plancheck.ResourceActionUpdate),
				}},
				Check: func(*terraform.State) error {
					if _, err := cs.CoreV1().Secrets(ns).Get(context.Background(), secret, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
						return fmt.Errorf("the bare-labelled token Secret must be deleted (%v)", err)
					}
					return nil
				},
			},
		},
	})
}

// The token resource writes every governance marker, rotation due
// included, so its Secret is governed and not a legacy token.
func TestAccServiceAccountToken_writesFullMarkers(t *testing.T) {
	ns := acctest.Namespace(t)
	name := acctest.RandName("markers")
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: acctest.ProviderBlock(t, "") + tokenConfig(ns, name, ""),
				Check: func(s *terraform.State) error {
					attrs := s.RootModule().Resources[tokenAddr].Primary.Attributes
					sec, err := acctest.Clientset(t).CoreV1().Secrets(ns).Get(context.Background(), attrs["name"], metav1.GetOptions{})
					if err != nil {
						return err
					}
					if got := sec.Annotations["nhi.dev/rotation-due-at"]; got == "" || got != attrs["rotation_due_at"] {
						return fmt.Errorf("rotation-due-at marker %q, want rotation_due_at %q", got, attrs["rotation_due_at"])
					}
					return nil
				},
			},
			{
				// Read back, the rotation period shortened: the plan updates
				// the marker in place.
				Config: acctest.ProviderBlock(t, "") + replaceOnce(tokenConfig(ns, name, ""), `rotate_after    = "30d"`, `rotate_after    = "20d"`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(tokenAddr, plancheck.ResourceActionUpdate),
				}},
				Check: func(s *terraform.State) error {
					attrs := s.RootModule().Resources[tokenAddr].Primary.Attributes
					sec, err := acctest.Clientset(t).CoreV1().Secrets(ns).Get(context.Background(), attrs["name"], metav1.GetOptions{})
					if err != nil {
						return err
					}
					created, _ := time.Parse(time.RFC3339, attrs["created_at"])
					if want := created.Add(20 * 24 * time.Hour).Format(time.RFC3339); sec.Annotations["nhi.dev/rotation-due-at"] != want {
						return fmt.Errorf("rotation-due-at = %q, want %q", sec.Annotations["nhi.dev/rotation-due-at"], want)
					}
					return nil
				},
			},
		},
	})
}

// An expired service account is disabled stamped with the provider's
// evaluation time, the instant that decided the disable, not the wall clock.
func TestAccServiceAccount_disabledAtIsEvaluationTime(t *testing.T) {
	ns := acctest.Namespace(t)
	name := acctest.RandName("stamp")
	sa := declaredSA(ns, name, acctest.Date(acctest.Days(40)))
	at := acctest.Date(acctest.Days(45)) + "T12:34:56Z"
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		Steps: []resource.TestStep{
			{Config: acctest.ProviderBlock(t, "") + sa},
			{
				Config: acctest.ProviderBlock(t, fmt.Sprintf("evaluation_time = %q", at)) + sa,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("nhi_kubernetes_service_account.test", tfjsonpath.New("status"), knownvalue.StringExact("disabled")),
				},
				Check: func(*terraform.State) error {
					got, err := acctest.Clientset(t).CoreV1().ServiceAccounts(ns).Get(context.Background(), name, metav1.GetOptions{})
					if err != nil {
						return err
					}
					if got.Annotations["nhi.dev/disabled-at"] != at {
						return fmt.Errorf("disabled-at = %q, want the evaluation time %s", got.Annotations["nhi.dev/disabled-at"], at)
					}
					return nil
				},
			},
		},
	})
}

// replaceOnce replaces old in s, failing loudly (in the returned config)
// when it is not there.
func replaceOnce(s, old, new string) string {
	if !strings.Contains(s, old) {
		return s + "\n# replaceOnce: " + old + " not found\n" + "this is not HCL"
	}
	return strings.Replace(s, old, new, 1)
}

// A token Secret written by an earlier version of nhi_kubernetes_service_account_token
// (managed-by label, owner and purpose, but no rotation-due marker) is not a
// leftover: applying its service account with allow_legacy_tokens = false
// keeps it, so upgrading deletes no token a workload reads.
func TestAccServiceAccount_earlierTokenSecretIsKept(t *testing.T) {
	ns := acctest.Namespace(t)
	name := acctest.RandName("upgrade")
	cs := acctest.Clientset(t)
	const secret = "written-by-an-earlier-version"
	sa := declaredSA(ns, name, acctest.Date(acctest.Days(90)))
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		Steps: []resource.TestStep{
			{Config: acctest.ProviderBlock(t, "") + sa},
			{
				PreConfig: func() {
					createTokenSecret(t, cs, ns, secret, name, map[string]string{k8s.ManagedByLabel: k8s.ManagedByValue},
						map[string]string{"nhi.dev/owner": "team:platform", "nhi.dev/purpose": "external CI"})
				},
				Config: acctest.ProviderBlock(t, "") + sa,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("nhi_kubernetes_service_account.test", tfjsonpath.New("legacy_tokens"), knownvalue.SetSizeExact(0)),
				},
				Check: func(*terraform.State) error {
					_, err := cs.CoreV1().Secrets(ns).Get(context.Background(), secret, metav1.GetOptions{})
					return err
				},
			},
		},
	})
}
