package aws_test

// A create whose read-back fails, against versitygw behind an IAM fake of
// this test's own (internal/testenv/iamfake), which answers NoSuchEntity to
// the read-back for longer than the provider waits for IAM's eventual
// consistency.

import (
	"context"
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
	awsc "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/aws"
)

// fakeIAMOnly skips under NHI_AWS_LIVE=1: the test injects failures through
// a fake in front of the test IAM server, which real AWS does not have.
func fakeIAMOnly(t *testing.T) {
	t.Helper()
	if acctest.Live() {
		t.Skip("injects IAM failures through the test server's fake; not run against real AWS")
	}
}

// The user and role exist with their grants, so they are recorded in state
// (with a warning) instead of orphaned: the plan after the apply is empty,
// and a later apply does not fail on "already exists".
func TestAccIAMUser_readBackFailureIsRecorded(t *testing.T) {
	fakeIAMOnly(t)
	c, fake := acctest.OwnFakeIAM(t, 0)
	user, role := acctest.RandName("svc"), acctest.RandName("ci")
	cfg := fmt.Sprintf(`
provider "nhi" {
  aws {
    endpoint = %q
  }
}
`, c.Endpoint()) + userAndRoleHCL(user, role)
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.AWS(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		CheckDestroy: func(*terraform.State) error {
			if _, err := c.GetUser(context.Background(), user); !awsc.IsNotFound(err) {
				return fmt.Errorf("IAM user %s still exists (%v)", user, err)
			}
			if _, err := c.GetRole(context.Background(), role); !awsc.IsNotFound(err) {
				return fmt.Errorf("IAM role %s still exists (%v)", role, err)
			}
			return nil
		},
		Steps: []resource.TestStep{{
			PreConfig: func() {
				fake.FailAction("GetUser", 404, 404, 404, 404, 404)
				fake.FailAction("GetRole", 404, 404, 404, 404, 404)
			},
			Config: cfg,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(userAddr, tfjsonpath.New("arn"), knownvalue.StringRegexp(regexp.MustCompile(`^arn:aws:iam::\d{12}:user/`+user+`$`))),
				statecheck.ExpectKnownValue(userAddr, tfjsonpath.New("unique_id"), knownvalue.StringRegexp(regexp.MustCompile(`^AIDA`))),
				statecheck.ExpectKnownValue(userAddr, tfjsonpath.New("effective_scopes"), scopeSet("inline:artifacts", "policy:"+readOnly)),
				statecheck.ExpectKnownValue(userAddr, tfjsonpath.New("status"), knownvalue.StringExact("active")),
				statecheck.ExpectKnownValue(roleAddr, tfjsonpath.New("arn"), knownvalue.StringRegexp(regexp.MustCompile(`^arn:aws:iam::\d{12}:role/`+role+`$`))),
				statecheck.ExpectKnownValue(roleAddr, tfjsonpath.New("effective_scopes"), scopeSet("policy:"+readOnly)),
			},
			Check: func(*terraform.State) error {
				if n := fake.Count("GetUser"); n < 5 {
					return fmt.Errorf("GetUser arrived %d times; the read-back failure was not exercised", n)
				}
				return nil
			},
		}},
	})
}
