package aws_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
)

const adminAccess = "arn:aws:iam::aws:policy/AdministratorAccess"

// policy.forbidden_scopes forbids IAM policy ARNs, which contain "/": by
// the exact ARN, and by a glob whose "*" crosses "/". The plan fails on the
// scopes attribute of the resource, naming the scope and the pattern.
func TestAccIAMUser_forbiddenPolicyScope(t *testing.T) {
	name := acctest.RandName("svc")
	exp := acctest.Date(acctest.Days(30))
	forbid := func(patterns ...string) string {
		return "  policy {\n    forbidden_scopes = [\"" + strings.Join(patterns, `", "`) + "\"]\n  }"
	}
	wrapped := func(s string) *regexp.Regexp { return regexp.MustCompile(strings.ReplaceAll(s, " ", `\s+`)) }
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.AWS(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      userConfig(t, forbid("policy:"+adminAccess), name, exp, "", "policy:"+readOnly, "policy:"+adminAccess),
				PlanOnly:    true,
				ExpectError: wrapped(`(?s)Error: Forbidden scope.*with nhi_aws_iam_user.test,.*scopes = \[.*scope "policy:arn:aws:iam::aws:policy/AdministratorAccess" is forbidden by the provider's policy.forbidden_scopes \(it matches "policy:arn:aws:iam::aws:policy/AdministratorAccess"\). Remove it from scopes`),
			},
			{
				// "*" crosses "/" in the ARN's path.
				Config:      roleConfig(t, forbid("policy:arn:aws*:iam::aws:policy/*"), name, "repo:acme/x:*"),
				PlanOnly:    true,
				ExpectError: wrapped(`(?s)Error: Forbidden scope.*with nhi_aws_iam_role.test,.*scopes = \[.*scope "policy:arn:aws:iam::aws:policy/ReadOnlyAccess" is forbidden by the provider's policy.forbidden_scopes \(it matches "policy:arn:aws\*:iam::aws:policy/\*"\)`),
			},
		},
	})
}
