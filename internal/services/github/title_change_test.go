package github_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
)

// A title change replaces the key into the same Secret, with and without
// create_before_destroy: the apply plans a create_before_destroy
// replacement again while the old key still exists, without the prior
// state, and must not take the old key for another resource's
// (TestAccDeployKey_sharedSecretRefused).
func TestAccDeployKey_titleChangeKeepsTheSecret(t *testing.T) {
	ns := acctest.Namespace(t)
	s := fake(t)
	cbd := "lifecycle {\n    create_before_destroy = true\n  }"
	titled := func(title, extra string) string {
		return strings.Replace(keyConfig(t, s, "", ns, extra), `title      = "ci"`, fmt.Sprintf(`title      = %q`, title), 1)
	}
	holds := func(title string) resource.TestCheckFunc {
		return func(st *terraform.State) error {
			keys := s.DeployKeys(org, "app")
			if len(keys) != 1 || keys[0].Title != title+" [nhi.dev]" {
				return fmt.Errorf("the fake holds %+v, want one key titled %q", keys, title)
			}
			sec, err := acctest.Clientset(t).CoreV1().Secrets(ns).Get(context.Background(), secretName, metav1.GetOptions{})
			if err != nil {
				return err
			}
			if id := sec.Annotations["nhi.dev/credential-id"]; id != fmt.Sprintf("acme/app/%d", keys[0].ID) {
				return fmt.Errorf("the Secret holds %s, want key %d", id, keys[0].ID)
			}
			return nil
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		CheckDestroy:             checkGone(t, s, ns),
		Steps: []resource.TestStep{
			{Config: titled("ci", cbd), Check: delivered(t, s, ns, true, nil)},
			{
				Config: titled("ci-v2", cbd),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionCreateBeforeDestroy),
				}},
				Check: holds("ci-v2"),
			},
			{
				Config: titled("ci-v3", ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionDestroyBeforeCreate),
				}},
				Check: holds("ci-v3"),
			},
		},
	})
}
