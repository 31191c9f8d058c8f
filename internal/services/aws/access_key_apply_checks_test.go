package aws_test

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
	awsc "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/aws"
)

// unknownAWSKeyConfig is an access key of a user named by a literal, with
// the provider's IAM endpoint known only during apply, so that no user
// check can run at plan time.
func unknownAWSKeyConfig(t *testing.T, user, ns string) string {
	return fmt.Sprintf(`
resource "terraform_data" "endpoint" {
  input = %q
}
provider "nhi" {
  kubernetes {
    config_path = %q
  }
  aws {
    endpoint = terraform_data.endpoint.output
  }
}
resource "nhi_aws_iam_access_key" "test" {
  user              = %q
  kubernetes_secret = { namespace = %q, name = "aws-creds" }
}
`, os.Getenv("AWS_ENDPOINT_URL_IAM"), acctest.Kubeconfig(t), user, ns)
}

func noAccessKeys(t *testing.T, user string) error {
	d, err := acctest.AWSClient(t).GetUser(context.Background(), user)
	if err != nil {
		return err
	}
	for _, c := range d.Credentials {
		if c.Kind == awsc.CredentialAccessKey {
			return fmt.Errorf("IAM user %s holds access key %s, though the create was refused", user, c.ID)
		}
	}
	return nil
}

// With the provider configuration unknown at plan time, the apply still
// refuses a key for a user that nhi_aws_iam_user did not declare, with the
// plan's wording, and creates no key. (Terraform plans each resource again
// during the apply, with the configuration known by then, and Create checks
// once more for a user changed since.)
func TestAccIAMAccessKey_unknownConfigUndeclaredUserRefusedAtApply(t *testing.T) {
	acctest.AWS(t)
	ns := acctest.Namespace(t)
	user := acctest.RandName("legacy")
	if _, err := rawIAM(t).CreateUser(context.Background(), &iam.CreateUserInput{UserName: aws.String(user)}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = acctest.AWSClient(t).DeleteUser(context.Background(), user) })
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		Steps: []resource.TestStep{{
			Config: unknownAWSKeyConfig(t, user, ns),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionCreate),
			}},
			ExpectError: regexp.MustCompile(`IAM\s+user\s+"` + user + `"\s+carries\s+no\s+owner,\s+purpose\s+or\s+expiry`),
		}},
		CheckDestroy: func(*terraform.State) error { return noAccessKeys(t, user) },
	})
	if err := noAccessKeys(t, user); err != nil {
		t.Fatal(err)
	}
}

// With the provider configuration unknown at plan time, a key of a user
// disabled on expiry plans its status unknown and is created Inactive: the
// apply is consistent with the plan, and the key is not usable.
func TestAccIAMAccessKey_unknownConfigDisabledUserKeyInactive(t *testing.T) {
	acctest.AWS(t)
	ns := acctest.Namespace(t)
	user := disabledUser(t, "proves that the key of a disabled user is created inactive")
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		Steps: []resource.TestStep{{
			Config: unknownAWSKeyConfig(t, user, ns),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionCreate),
				plancheck.ExpectUnknownValue(keyAddr, tfjsonpath.New("status")),
			}},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(keyAddr, tfjsonpath.New("status"), knownvalue.StringExact("Inactive")),
			},
			Check: func(s *terraform.State) error {
				id := s.RootModule().Resources[keyAddr].Primary.ID
				k, err := acctest.AWSClient(t).GetAccessKey(context.Background(), user, id)
				if err != nil {
					return err
				}
				if !k.Inactive {
					return fmt.Errorf("access key %s of disabled user %s is active", id, user)
				}
				return nil
			},
		}},
	})
}

// Renaming the key's user replaces both in one apply: the plan does not
// refuse the key because the new user does not exist yet.
func TestAccIAMAccessKey_userRenamedInSameApply(t *testing.T) {
	ns := acctest.Namespace(t)
	first, second := acctest.RandName("ci"), acctest.RandName("ci")
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t); acctest.AWS(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		CheckDestroy: func(s *terraform.State) error {
			if err := checkUserGone(t, first)(s); err != nil {
				return err
			}
			return checkUserGone(t, second)(s)
		},
		Steps: []resource.TestStep{
			{Config: keyConfig(t, "", first, ns, "")},
			{
				Config: keyConfig(t, "", second, ns, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionReplace),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(keyAddr, tfjsonpath.New("user"), knownvalue.StringExact(second)),
				},
			},
		},
	})
}

// A user name that does not exist, for a key that exists, plans a
// replacement (a rename in the same apply must work) rather than an error;
// the plan warns that the apply would delete the key and its Secret.
func TestAccIAMAccessKey_missingUserForExistingKeyPlansReplacement(t *testing.T) {
	ns := acctest.Namespace(t)
	user := acctest.RandName("ci")
	typo := acctest.RandName("typo")
	cfg := keyConfig(t, "", user, ns, "")
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t); acctest.AWS(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		CheckDestroy:             checkUserGone(t, user),
		Steps: []resource.TestStep{
			{Config: cfg},
			{
				Config:             strings.Replace(cfg, "user = nhi_aws_iam_user.u.name", fmt.Sprintf("user = %q", typo), 1),
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPreRefresh: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionDestroyBeforeCreate),
				}},
			},
		},
	})
}

// A key configured status = "Active" for a user disabled on expiry is
// refused at plan time, with Create's wording, instead of a plan Terraform
// rejects as inconsistent with the configuration.
func TestAccIAMAccessKey_disabledUserExplicitActiveRefused(t *testing.T) {
	acctest.AWS(t)
	ns := acctest.Namespace(t)
	user := disabledUser(t, "proves that an Active key of a disabled user is refused at plan time")
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		Steps: []resource.TestStep{{
			Config: acctest.ProviderBlock(t, "aws {}\n") + fmt.Sprintf(`
resource "nhi_aws_iam_access_key" "test" {
  user              = %q
  status            = "Active"
  kubernetes_secret = { namespace = %q, name = "aws-creds" }
}
`, user, ns),
			ExpectError: regexp.MustCompile(`The\s+user\s+is\s+disabled,\s+so\s+the\s+key\s+cannot\s+be\s+created\s+Active[\s\S]*IAM\s+user\s+"` + user + `"\s+was\s+disabled\s+on\s+expiry`),
		}},
		CheckDestroy: func(*terraform.State) error { return noAccessKeys(t, user) },
	})
	if err := noAccessKeys(t, user); err != nil {
		t.Fatal(err)
	}
}
