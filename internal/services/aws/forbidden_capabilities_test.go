package aws_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
)

// warnings records the plan-time warnings the provider returns.
type warnings struct {
	mu   sync.Mutex
	seen []string
}

type warningServer struct {
	tfprotov6.ProviderServer
	w *warnings
}

func (s warningServer) PlanResourceChange(ctx context.Context, req *tfprotov6.PlanResourceChangeRequest) (*tfprotov6.PlanResourceChangeResponse, error) {
	resp, err := s.ProviderServer.PlanResourceChange(ctx, req)
	if resp != nil {
		s.w.mu.Lock()
		defer s.w.mu.Unlock()
		for _, d := range resp.Diagnostics {
			if d.Severity == tfprotov6.DiagnosticSeverityWarning {
				attr := ""
				if d.Attribute != nil {
					attr = d.Attribute.String()
				}
				s.w.seen = append(s.w.seen, req.TypeName+" "+attr+": "+d.Summary+": "+d.Detail)
			}
		}
	}
	return resp, err
}

func (w *warnings) factories() map[string]func() (tfprotov6.ProviderServer, error) {
	return map[string]func() (tfprotov6.ProviderServer, error){
		"nhi": func() (tfprotov6.ProviderServer, error) {
			s, err := acctest.ProviderFactories["nhi"]()
			return warningServer{s, w}, err
		},
	}
}

// distinct returns the distinct warnings recorded since the last call.
func (w *warnings) distinct() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	seen := map[string]bool{}
	var out []string
	for _, s := range w.seen {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	w.seen = nil
	return out
}

// policy.forbidden_capabilities makes a declared scope of an IAM user that
// grants one of the listed capabilities a plan error on scopes, naming the
// policy, statement, action and resource, whether the plan adds the scope
// or it is already applied; a risky capability the policy does not list
// only warns, once, when its scope is added (here iam:PassRole with
// lambda:CreateFunction in an inline policy, and the AWS managed
// AmazonS3FullAccess, read from IAM); a harmless inline policy gives
// nothing; an ID outside the catalogs is a configuration error.
func TestAccIAMUser_forbiddenCapabilities(t *testing.T) {
	name := acctest.RandName("forbid")
	exp := acctest.Date(acctest.Days(60))
	s3Full := "arn:aws:iam::aws:policy/AmazonS3FullAccess"
	inline := func(names ...string) string {
		docs := map[string]string{
			"reader": `{ Effect = "Allow", Action = ["s3:GetObject"], Resource = "arn:aws:s3:::artifacts/*" }`,
			"pass":   `{ Sid = "Deploy", Effect = "Allow", Action = ["iam:PassRole", "lambda:CreateFunction"], Resource = "*" }`,
			"keys":   `{ Effect = "Allow", Action = "iam:CreateAccessKey", Resource = "arn:aws:iam::*:user/*" }`,
		}
		var b strings.Builder
		b.WriteString("inline_policies = {\n")
		for _, n := range names {
			fmt.Fprintf(&b, "    %s = jsonencode({ Version = \"2012-10-17\", Statement = [%s] })\n", n, docs[n])
		}
		b.WriteString("  }")
		return b.String()
	}
	forbid := func(ids ...string) string {
		return fmt.Sprintf("  policy {\n    forbidden_capabilities = [\"%s\"]\n  }", strings.Join(ids, `", "`))
	}
	a := func(providerExtra string) string {
		return userConfig(t, providerExtra, name, exp, inline("reader", "pass"), "inline:reader", "inline:pass", "policy:"+s3Full)
	}
	b := func(providerExtra string) string {
		return userConfig(t, providerExtra, name, exp, inline("reader", "pass", "keys"), "inline:reader", "inline:pass", "policy:"+s3Full, "inline:keys")
	}
	rec := &warnings{}
	expect := func(want ...string) resource.TestCheckFunc {
		return func(*terraform.State) error {
			if got := rec.distinct(); strings.Join(got, "\n") != strings.Join(want, "\n") {
				return fmt.Errorf("warnings:\n got %q\nwant %q", got, want)
			}
			return nil
		}
	}
	// Terraform wraps long diagnostics: match words across any whitespace.
	words := func(s string) string { return strings.Join(strings.Fields(regexp.QuoteMeta(s)), `\s+`) }
	summaryThen := func(summary, detail string) *regexp.Regexp {
		return regexp.MustCompile(`(?s)Error: ` + regexp.QuoteMeta(summary) + `\n.*` + words(detail))
	}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.AWS(t) },
		ProtoV6ProviderFactories: rec.factories(),
		CheckDestroy:             checkUserGone(t, name),
		Steps: []resource.TestStep{
			{Config: a(forbid("iam-access-key-create", "no-such-thing")), PlanOnly: true,
				ExpectError: summaryThen("Unknown capability", `policy.forbidden_capabilities[1] "no-such-thing" is not a risky-capability ID; use one of`)},
			// Risky but not forbidden: one warning per scope, and the apply goes on.
			{Config: a(forbid("iam-access-key-create")), Check: expect(
				fmt.Sprintf(`nhi_aws_iam_user AttributeName("scopes"): Scope grants a risky capability: scopes contains "inline:pass", which lets IAM user %s `+
					`run compute as a role it passes (iam:PassRole with a compute create) in the account (statement "Deploy" -> iam:PassRole on *; and lambda:CreateFunction on *, critical): `+
					`it starts code of its choosing (a Lambda function, an EC2 instance, an ECS task, a Glue endpoint, a CloudFormation stack) that runs as a role it may pass, with that role's permissions. `+
					`If the identity does not need this, grant a narrower policy instead; the drift reporter reports it as NHI008.`, name),
				fmt.Sprintf(`nhi_aws_iam_user AttributeName("scopes"): Scope grants a risky capability: scopes contains "policy:%s", which lets IAM user %s `+
					`use every S3 action on every bucket (s3:*) in the account (statement #1 -> "s3:*" on *, high): it reads, changes and deletes every object and bucket in reach, bucket policies included. `+
					`If the identity does not need this, grant a narrower policy instead; the drift reporter reports it as NHI008.`, s3Full, name),
			)},
			// Adding a scope that grants a forbidden capability fails the plan.
			{Config: b(forbid("iam-access-key-create")), ExpectError: summaryThen("Scope grants a forbidden capability", fmt.Sprintf(
				`scopes contains "inline:keys", which lets IAM user %s create access keys for other IAM users in the account ("iam-access-key-create", through statement #1 -> iam:CreateAccessKey on arn:aws:iam::*:user/*); `+
					`the provider's policy.forbidden_capabilities forbids "iam-access-key-create".`, name))},
			// A scope already applied fails every plan once its capability is forbidden.
			{Config: a(forbid("iam-pass-role-compute", "s3-full-access")), PlanOnly: true, ExpectError: summaryThen("Scope grants a forbidden capability", fmt.Sprintf(
				`scopes contains "policy:%s", which lets IAM user %s use every S3 action on every bucket (s3:*) in the account ("s3-full-access", through statement #1 -> "s3:*" on *); `+
					`the provider's policy.forbidden_capabilities forbids "s3-full-access".`, s3Full, name))},
			// Unchanged scopes granting nothing forbidden: no error, no warning again.
			{Config: a(forbid("iam-access-key-create")), PlanOnly: true, Check: expect()},
		},
	})
}

// A role's plan warns when an inline policy's document changes to grant a
// risky capability, though the scope itself is unchanged; a grant on the
// role itself (its own trust policy) is not one, also before the role
// exists and its ARN is known.
func TestAccIAMRole_riskyCapabilityWarnings(t *testing.T) {
	name := acctest.RandName("trust")
	config := func(resource string) string {
		return acctest.AWSProviderBlock(t, "") + fmt.Sprintf(`
resource "nhi_aws_iam_role" "test" {
  name         = %q
  owner        = "team:ci"
  purpose      = "Rotates its own trust"
  scopes       = ["inline:trust"]
  expires_at   = %q
  trust_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Principal = { AWS = "arn:aws:iam::000000000000:root" }, Action = "sts:AssumeRole" }] })
  inline_policies = {
    trust = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "iam:UpdateAssumeRolePolicy", Resource = %q }] })
  }
}
`, name, acctest.Date(acctest.Days(60)), resource)
	}
	rec := &warnings{}
	expect := func(want ...string) resource.TestCheckFunc {
		return func(*terraform.State) error {
			if got := rec.distinct(); strings.Join(got, "\n") != strings.Join(want, "\n") {
				return fmt.Errorf("warnings:\n got %q\nwant %q", got, want)
			}
			return nil
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.AWS(t) },
		ProtoV6ProviderFactories: rec.factories(),
		Steps: []resource.TestStep{
			{Config: config("arn:aws:iam::000000000000:role/" + name), Check: expect()},
			{Config: config("arn:aws:iam::*:role/*"), Check: expect(fmt.Sprintf(
				`nhi_aws_iam_role AttributeName("scopes"): Scope grants a risky capability: scopes contains "inline:trust", which lets IAM role %s `+
					`rewrite the trust policies of roles in the account (statement #1 -> iam:UpdateAssumeRolePolicy on arn:aws:iam::*:role/*, critical): `+
					`it rewrites a role's trust policy so that it, or any principal of any account, may assume the role and act with its permissions. `+
					`If the identity does not need this, grant a narrower policy instead; the drift reporter reports it as NHI008.`, name))},
		},
	})
}
