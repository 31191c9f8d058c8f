package provider_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
)

// Bad aws {} settings fail with an error that names the setting and the fix.
func TestAccProvider_awsBadInput(t *testing.T) {
	user := func(provider string) string {
		return provider + `
resource "nhi_aws_iam_user" "x" {
  name       = "x"
  owner      = "team:platform"
  purpose    = "provider settings test"
  scopes     = []
  expires_at = "` + acctest.Date(acctest.Days(30)) + `"
}
`
	}
	cases := []struct{ provider, want string }{
		{`provider "nhi" {
  aws { endpoint = "iam.example.com" }
}`, `aws.endpoint "iam.example.com" is not an http(s) URL`},
		{`provider "nhi" {
  aws {
    assume_role { role_arn = "nhi-admin" }
  }
}`, `aws.assume_role.role_arn "nhi-admin" is not a role ARN such as "arn:aws:iam::123456789012:role/nhi-admin"`},
		{`provider "nhi" {
  aws { max_attempts = 0 }
}`, `aws.max_attempts is 0; it must be between 1 and 25`},
	}
	var steps []resource.TestStep
	for _, c := range cases {
		steps = append(steps, resource.TestStep{Config: user(c.provider), PlanOnly: true,
			ExpectError: regexp.MustCompile(strings.ReplaceAll(regexp.QuoteMeta(c.want), " ", `\s+`))})
	}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.AWS(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		Steps:                    steps,
	})
}

// Without valid credentials the first call fails with IAM's reason and what
// to check, and nothing is created.
func TestAccProvider_awsRefusedCredentials(t *testing.T) {
	acctest.AWS(t)
	t.Setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		Steps: []resource.TestStep{{
			Config:      acctest.AWSProviderBlock(t, "") + `data "nhi_identities" "aws" { system = "aws" }`,
			ExpectError: regexp.MustCompile(`(?s)Listing\s+aws\s+identities\s+failed.*access\s+denied.*check\s+the\s+credentials\s+the\s+provider\s+uses`),
		}},
	})
}
