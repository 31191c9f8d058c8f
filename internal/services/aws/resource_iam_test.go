package aws_test

// Acceptance tests against versitygw, a real IAM Query API server, behind
// the project's managed-policy FAKE (internal/testenv/iamfake): versitygw
// has no managed policies, so attach/detach/list of managed policies are
// answered by the fake; users, tags, inline policies, keys and roles by
// versitygw.

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
	awsc "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/aws"
	"github.com/nhi-ops/terraform-provider-nhi/internal/testenv"
)

const userAddr = "nhi_aws_iam_user.test"
const roleAddr = "nhi_aws_iam_role.test"

const readOnly = "arn:aws:iam::aws:policy/ReadOnlyAccess"
const iamReadOnly = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"

func userConfig(t *testing.T, providerExtra, name, expires, extra string, scopes ...string) string {
	q := make([]string, len(scopes))
	for i, s := range scopes {
		q[i] = fmt.Sprintf("%q", s)
	}
	return acctest.AWSProviderBlock(t, providerExtra) + fmt.Sprintf(`
resource "nhi_aws_iam_user" "test" {
  name       = %q
  owner      = "team:platform"
  purpose    = "Uploads build artifacts"
  scopes     = [%s]
  expires_at = %q
  %s
}
`, name, strings.Join(q, ", "), expires, extra)
}

const artifactsPolicy = `inline_policies = {
    artifacts = jsonencode({
      Version   = "2012-10-17"
      Statement = [{ Effect = "Allow", Action = ["s3:GetObject", "s3:PutObject"], Resource = "arn:aws:s3:::artifacts/*" }]
    })
  }`

func scopeSet(scopes ...string) knownvalue.Check {
	c := make([]knownvalue.Check, len(scopes))
	for i, s := range scopes {
		c[i] = knownvalue.StringExact(s)
	}
	return knownvalue.SetExact(c)
}

func tagsOf(t *testing.T, name string) map[string]string {
	t.Helper()
	c := acctest.AWSClient(t)
	d, err := c.GetUser(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return d.Labels
}

func checkUserGone(t *testing.T, name string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		if _, err := acctest.AWSClient(t).GetUser(context.Background(), name); !awsc.IsNotFound(err) {
			return fmt.Errorf("IAM user %s still exists (%v)", name, err)
		}
		return nil
	}
}

// rawIAM is a plain IAM client for out-of-band changes: to the test server
// (so through the managed-policy fake), or to real AWS under NHI_AWS_LIVE=1.
func rawIAM(t *testing.T) *iam.Client {
	acctest.AWS(t)
	if acctest.Live() {
		cfg, err := config.LoadDefaultConfig(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return iam.NewFromConfig(cfg)
	}
	return iam.New(iam.Options{Region: "us-east-1", BaseEndpoint: aws.String(os.Getenv("AWS_ENDPOINT_URL_IAM")),
		Credentials: awsCreds{}})
}

func TestAccIAMUser_basic(t *testing.T) {
	name := acctest.RandName("svc")
	expires := acctest.Date(acctest.Days(90)) + "T00:00:00Z"
	cfg := userConfig(t, "", name, expires, artifactsPolicy+"\n  tags = { cost-center = \"42\" }", "policy:"+readOnly, "inline:artifacts")
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.AWS(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		CheckDestroy:             checkUserGone(t, name),
		Steps: []resource.TestStep{
			{
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(userAddr, plancheck.ResourceActionCreate),
					plancheck.ExpectKnownValue(userAddr, tfjsonpath.New("status"), knownvalue.StringExact("active")),
					plancheck.ExpectKnownValue(userAddr, tfjsonpath.New("id"), knownvalue.StringExact("user/"+name)),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(userAddr, tfjsonpath.New("arn"), knownvalue.StringRegexp(regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:user/`+name+`$`))),
					statecheck.ExpectKnownValue(userAddr, tfjsonpath.New("unique_id"), knownvalue.StringRegexp(regexp.MustCompile(`^AIDA`))),
					statecheck.ExpectKnownValue(userAddr, tfjsonpath.New("effective_scopes"), scopeSet("inline:artifacts", "policy:"+readOnly)),
				},
				Check: func(*terraform.State) error {
					d, err := acctest.AWSClient(t).GetUser(context.Background(), name)
					if err != nil {
						return err
					}
					if !d.Declared || d.Governance.Owner != "team:platform" || d.Governance.Purpose != "Uploads build artifacts" || d.Labels["cost-center"] != "42" {
						return fmt.Errorf("governance tags not written: %+v", d.Identity)
					}
					return nil
				},
			},
			{ResourceName: userAddr, ImportState: true, ImportStateId: name, ImportStateVerify: true},
			// The same configuration plans nothing.
			{Config: cfg, PlanOnly: true},
		},
	})
}

// A policy attached, a group joined and a tag added out of band show in the
// plan as a change that removes them, and the apply does.
func TestAccIAMUser_outOfBandGrantsAreRemoved(t *testing.T) {
	name := acctest.RandName("svc")
	cfg := userConfig(t, "", name, acctest.Date(acctest.Days(90)), "", "policy:"+readOnly)
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.AWS(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		CheckDestroy:             checkUserGone(t, name),
		Steps: []resource.TestStep{
			{
				Config: cfg,
				Check: func(*terraform.State) error {
					ctx := context.Background()
					raw := rawIAM(t)
					if _, err := raw.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: &name, PolicyArn: aws.String(iamReadOnly)}); err != nil {
						return err
					}
					if _, err := raw.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(name + "-admins")}); err != nil {
						return err
					}
					if _, err := raw.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String(name + "-admins"), UserName: &name}); err != nil {
						return err
					}
					_, err := raw.TagUser(ctx, &iam.TagUserInput{UserName: &name, Tags: []iamTag{{Key: aws.String("sneaky"), Value: aws.String("x")}}})
					return err
				},
				ExpectNonEmptyPlan: true,
			},
			{
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(userAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(userAddr, tfjsonpath.New("effective_scopes"), scopeSet("policy:"+readOnly)),
				}},
				Check: func(*terraform.State) error {
					d, err := acctest.AWSClient(t).GetUser(context.Background(), name)
					if err != nil {
						return err
					}
					if strings.Join(d.EffectiveScopes, ",") != "policy:"+readOnly {
						return fmt.Errorf("effective scopes after apply = %v", d.EffectiveScopes)
					}
					if _, ok := d.Labels["sneaky"]; ok {
						return fmt.Errorf("out-of-band tag not removed: %v", d.Labels)
					}
					return nil
				},
			},
		},
	})
}

// Past expires_at, the plan disables the user: keys off, policies gone,
// user kept. Evaluated 100 days ahead instead of waiting.
func TestAccIAMUser_expiryDisables(t *testing.T) {
	name := acctest.RandName("svc")
	expires := acctest.Date(acctest.Days(30))
	later := acctest.Date(acctest.Days(100))
	var keyID string
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.AWS(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		CheckDestroy:             checkUserGone(t, name),
		Steps: []resource.TestStep{
			{
				Config: userConfig(t, "", name, expires, artifactsPolicy, "policy:"+readOnly, "inline:artifacts"),
				Check: func(*terraform.State) error {
					k, err := acctest.AWSClient(t).CreateAccessKey(context.Background(), name)
					keyID = k.ID
					return err
				},
			},
			{
				Config: userConfig(t, fmt.Sprintf("evaluation_time = %q", later), name, expires, artifactsPolicy, "policy:"+readOnly, "inline:artifacts"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(userAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(userAddr, tfjsonpath.New("status"), knownvalue.StringExact("disabled")),
					plancheck.ExpectKnownValue(userAddr, tfjsonpath.New("effective_scopes"), knownvalue.SetExact(nil)),
				}},
				Check: func(*terraform.State) error {
					d, err := acctest.AWSClient(t).GetUser(context.Background(), name)
					if err != nil {
						return err
					}
					if !d.Disabled || len(d.EffectiveScopes) != 0 {
						return fmt.Errorf("user not disabled: disabled=%v scopes=%v", d.Disabled, d.EffectiveScopes)
					}
					for _, k := range d.Credentials {
						if k.ID == keyID && !k.Inactive {
							return fmt.Errorf("access key %s still active", keyID)
						}
					}
					return nil
				},
			},
			// Disabled stays disabled: nothing more to do.
			{Config: userConfig(t, fmt.Sprintf("evaluation_time = %q", later), name, expires, artifactsPolicy, "policy:"+readOnly, "inline:artifacts"), PlanOnly: true},
		},
	})
}

func TestAccIAMUser_badInput(t *testing.T) {
	name := acctest.RandName("svc")
	exp := acctest.Date(acctest.Days(30))
	cases := []struct {
		name, config, want string
	}{
		{"policy ARN", userConfig(t, "", name, exp, "", "policy:arn:aws:iam::12:policy/x"), `scopes "policy:arn:aws:iam::12:policy/x" does not hold a managed policy ARN`},
		{"policy JSON", userConfig(t, "", name, exp, `inline_policies = { a = "{\"Statement\": [" }`, "inline:a"), `inline_policies\["a"\] is not a JSON policy document`},
		{"statement", userConfig(t, "", name, exp, `inline_policies = { a = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "allow", Action = "s3:*", Resource = "*" }] }) }`, "inline:a"), `Effect "allow"; use "Allow" or "Deny"`},
		{"inline without document", userConfig(t, "", name, exp, "", "inline:a"), `scopes declares "inline:a", but inline_policies has no "a" key`},
		{"document not declared", userConfig(t, "", name, exp, `inline_policies = { b = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "s3:*", Resource = "*" }] }) }`), `inline_policies has a document for "b", but scopes does not declare "inline:b"`},
		{"tag too long", userConfig(t, "", name, exp, fmt.Sprintf("tags = { note = %q }", strings.Repeat("x", 257))), `value of "note" is 257 characters long; IAM tag values hold at most 256`},
		{"purpose tag chars", strings.Replace(userConfig(t, "", name, exp, ""), "Uploads build artifacts", "Uploads, builds (nightly)", 1), `purpose is recorded in the IAM tag nhi:purpose, and holds characters IAM tag values do not allow`},
		{"reserved tag", userConfig(t, "", name, exp, `tags = { "nhi:owner" = "x" }`), `key "nhi:owner" is under the reserved prefix`},
		{"user name", userConfig(t, "", "has space", exp, ""), `name is not a valid IAM user name`},
		{"user name length", userConfig(t, "", strings.Repeat("a", 65), exp, ""), `not a valid IAM user name: use 1 to 64`},
		{"policy missing", userConfig(t, "", name, exp, "", "policy:arn:aws:iam::000000000000:policy/no-such-policy"), `IAM has no such managed policy`},
		{"trust without principal", acctest.AWSProviderBlock(t, "") + `
resource "nhi_aws_iam_role" "x" {
  name         = "x"
  owner        = "team:ci"
  purpose      = "bad trust"
  scopes       = []
  expires_at   = "` + exp + `"
  trust_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "sts:AssumeRole" }] })
}`, `trust_policy statement 1 has no Principal; a trust policy says who may assume the role`},
		{"role name", roleConfig(t, "", "bad name!", "repo:acme/x:*"), `name is not a valid IAM role name`},
	}
	steps := make([]resource.TestStep, 0, len(cases))
	for _, c := range cases {
		steps = append(steps, resource.TestStep{Config: c.config, PlanOnly: true, ExpectError: regexp.MustCompile(strings.ReplaceAll(c.want, " ", `\s+`))})
	}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.AWS(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		Steps:                    steps,
	})
}

func roleConfig(t *testing.T, providerExtra, name, sub string) string {
	return acctest.AWSProviderBlock(t, providerExtra) + fmt.Sprintf(`
resource "nhi_aws_iam_role" "test" {
  name       = %q
  owner      = "team:ci"
  purpose    = "Deploys from GitHub Actions"
  scopes     = ["policy:%s"]
  expires_at = %q
  trust_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Federated = "arn:aws:iam::%s:oidc-provider/token.actions.githubusercontent.com" }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals = { "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com" }
        StringLike   = { "token.actions.githubusercontent.com:sub" = %q }
      }
    }]
  })
}
`, name, readOnly, acctest.Date(acctest.Days(60))+"T00:00:00Z", accountID(t), sub)
}

// accountID is the account the IAM server answers for: the test server's,
// or under NHI_AWS_LIVE=1 the caller's (IAM refuses a trust policy naming
// an identity provider that does not exist).
func accountID(t *testing.T) string {
	t.Helper()
	if !acctest.Live() {
		return testenv.IAMAccountID
	}
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.Account)
}

func TestAccIAMRole_trust(t *testing.T) {
	name := acctest.RandName("deploy")
	ensureGitHubProvider(t)
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.AWS(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		CheckDestroy: func(*terraform.State) error {
			if _, err := acctest.AWSClient(t).GetRole(context.Background(), name); !awsc.IsNotFound(err) {
				return fmt.Errorf("role %s still exists (%v)", name, err)
			}
			return nil
		},
		Steps: []resource.TestStep{
			// Any repository on GitHub: an error under require_oidc_subject.
			{
				Config:      roleConfig(t, "policy {\n require_oidc_subject = true\n}", name, "repo:*"),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Trust policy lets any subject of an OIDC issuer assume the role.*a\s+workflow\s+in\s+any\s+repository\s+on\s+GitHub`),
			},
			{
				Config: roleConfig(t, "", name, "repo:acme/deploy:ref:refs/heads/main"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(roleAddr, tfjsonpath.New("id"), knownvalue.StringExact("role/"+name)),
					statecheck.ExpectKnownValue(roleAddr, tfjsonpath.New("effective_scopes"), scopeSet("policy:"+readOnly)),
				},
			},
			{ResourceName: roleAddr, ImportState: true, ImportStateId: name, ImportStateVerify: true},
			// Widening the trust is an in-place update of the trust policy.
			{
				Config: roleConfig(t, "", name, "repo:acme/*"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(roleAddr, plancheck.ResourceActionUpdate),
				}},
				Check: func(*terraform.State) error {
					d, err := acctest.AWSClient(t).GetRole(context.Background(), name)
					if err != nil {
						return err
					}
					if !strings.Contains(d.TrustPolicy, "repo:acme/*") {
						return fmt.Errorf("trust policy not updated: %s", d.TrustPolicy)
					}
					return nil
				},
			},
		},
	})
}

// ensureGitHubProvider makes the GitHub Actions OIDC provider the role
// trusts. Under NHI_AWS_LIVE=1 one this test made is deleted afterwards; one
// that was there already is left alone.
func ensureGitHubProvider(t *testing.T) {
	raw := rawIAM(t)
	out, err := raw.CreateOpenIDConnectProvider(context.Background(), &iam.CreateOpenIDConnectProviderInput{
		Url: aws.String("https://token.actions.githubusercontent.com"), ClientIDList: []string{"sts.amazonaws.com"},
		ThumbprintList: []string{strings.Repeat("a", 40)}})
	if err != nil && !strings.Contains(err.Error(), "EntityAlreadyExists") {
		t.Fatal(err)
	}
	if err == nil && acctest.Live() {
		t.Cleanup(func() {
			_, _ = raw.DeleteOpenIDConnectProvider(context.Background(), &iam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: out.OpenIDConnectProviderArn})
		})
	}
}
