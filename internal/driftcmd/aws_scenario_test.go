package driftcmd_test

// The AWS scenario runs the drift command against versitygw, a real IAM
// Query API server of the test's own (so the scan sees exactly what was
// seeded), behind the project's managed-policy FAKE (versitygw has no
// managed policies). Creation and last-use times, which IAM sets itself,
// are backdated in versitygw's store.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
	awsc "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/aws"
	"github.com/nhi-ops/terraform-provider-nhi/internal/driftcmd"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

const (
	arnReadOnly    = "arn:aws:iam::aws:policy/ReadOnlyAccess"
	arnIAMReadOnly = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
	arnAdmin       = "arn:aws:iam::aws:policy/AdministratorAccess"
	ghProvider     = "arn:aws:iam::000000000000:oidc-provider/token.actions.githubusercontent.com"
	exProvider     = "arn:aws:iam::000000000000:oidc-provider/oidc.example.com"
)

func ghTrust(provider, cond string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + provider + `"},"Action":"sts:AssumeRoleWithWebIdentity"` + cond + `}]}`
}

func TestAWSScenarioEveryRuleExactly(t *testing.T) {
	srv, c, raw := acctest.PrivateIAMClients(t)
	ctx := context.Background()
	var err error
	now := time.Now().UTC().Truncate(time.Second)
	must := fatalOnError(t)
	gov := func(expires time.Duration, scopes ...string) nhi.Governance {
		return nhi.Governance{Owner: "team:platform", Purpose: "scenario", Scopes: scopes, ExpiresAt: now.Add(expires), OnExpiry: nhi.OnExpiryDisable}
	}
	declareUser := func(name string, g nhi.Governance, inline map[string]string) {
		_, err := c.CreateUser(ctx, awsc.UserSpec{Spec: nhi.Spec{Ref: awsc.UserRef(name), Governance: g}, InlinePolicies: inline})
		must(err)
	}
	key := func(user string, age, lastUsed time.Duration, active bool) {
		k, err := c.CreateAccessKey(ctx, user)
		must(err)
		var used time.Time
		if lastUsed > 0 {
			used = now.Add(-lastUsed)
		}
		must(srv.Backdate("user", user, k.ID, now.Add(-age), used))
		if !active {
			must(c.SetAccessKeyActive(ctx, user, k.ID, false))
		}
	}
	day := func(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }
	for _, url := range []string{"https://token.actions.githubusercontent.com", "https://oidc.example.com"} {
		_, err := raw.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String(url),
			ClientIDList: []string{"sts.amazonaws.com"}, ThumbprintList: []string{strings.Repeat("a", 40)}})
		must(err)
	}

	// Undeclared: two active keys (one 400 days old, used); AdministratorAccess; a role any GitHub repository can assume.
	_, err = raw.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("legacy-ci")})
	must(err)
	key("legacy-ci", day(400), day(2), true)
	key("legacy-ci", day(10), 0, true)
	_, err = raw.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("admin-bot")})
	must(err)
	_, err = raw.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("admin-bot"), PolicyArn: aws.String(arnAdmin)})
	must(err)
	_, err = raw.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("deploy-any"),
		AssumeRolePolicyDocument: aws.String(ghTrust(ghProvider, `,"Condition":{"StringLike":{"token.actions.githubusercontent.com:sub":"repo:*"}}`))})
	must(err)
	// Undeclared and admin through a group, not an attachment of its own.
	_, err = raw.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("admins")})
	must(err)
	_, err = raw.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("admins"), PolicyArn: aws.String(arnAdmin)})
	must(err)
	_, err = raw.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("ops-admin")})
	must(err)
	_, err = raw.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("admins"), UserName: aws.String("ops-admin")})
	must(err)
	// AWS's own roles: left out by default.
	_, err = raw.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("AWSReservedSSO_Admin_0123456789abcdef"), Path: aws.String("/aws-reserved/sso.amazonaws.com/"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"sts:AssumeRole"}]}`)})
	must(err)

	// Declared.
	declareUser("report-bot", gov(day(100), "policy:"+arnReadOnly), nil)
	key("report-bot", day(60), 0, true) // never used, 60 days old: stale
	declareUser("sync-bot", gov(day(100), "policy:"+arnReadOnly), nil)
	key("sync-bot", day(80), day(50), true) // last used 50 days ago: stale
	declareUser("wild-bot", gov(day(100), "inline:everything"), map[string]string{"everything": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`})
	declareUser("widened", gov(day(100), "policy:"+arnReadOnly), nil)
	_, err = raw.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("widened"), PolicyArn: aws.String(arnIAMReadOnly)})
	must(err)
	declareUser("expired-user", gov(-day(1), "policy:"+arnReadOnly), nil)
	declareUser("clean-user", gov(day(100), "policy:"+arnReadOnly), nil)
	key("clean-user", day(10), day(1), true)
	key("clean-user", day(400), day(300), false) // inactive: neither old nor stale counts
	_, err = c.CreateRole(ctx, awsc.RoleSpec{Spec: nhi.Spec{Ref: awsc.RoleRef("eks-app"), Governance: gov(day(100))}, TrustPolicy: ghTrust(exProvider, "")})
	must(err)
	_, err = c.CreateRole(ctx, awsc.RoleSpec{Spec: nhi.Spec{Ref: awsc.RoleRef("ci-scoped"), Governance: gov(day(100))},
		TrustPolicy: ghTrust(ghProvider, `,"Condition":{"StringEquals":{"token.actions.githubusercontent.com:sub":"repo:acme/deploy:ref:refs/heads/main"}}`)})
	must(err)

	dir := t.TempDir()
	config := filepath.Join(dir, "nhi-drift.hcl")
	must(os.WriteFile(config, []byte(fmt.Sprintf("source \"aws\" \"prod\" {\n  endpoint = %q\n  region   = \"us-east-1\"\n}\n", srv.Endpoint)), 0o600))
	var res []string
	for i, id := range []string{"user/report-bot", "user/sync-bot", "user/wild-bot", "user/widened", "user/expired-user", "user/clean-user", "user/ghost"} {
		res = append(res, fmt.Sprintf(`{"mode":"managed","type":"nhi_aws_iam_user","name":"u%d","instances":[{"attributes":{"id":%q}}]}`, i, id))
	}
	for i, id := range []string{"role/eks-app", "role/ci-scoped"} {
		res = append(res, fmt.Sprintf(`{"mode":"managed","type":"nhi_aws_iam_role","name":"r%d","instances":[{"attributes":{"id":%q}}]}`, i, id))
	}
	state := filepath.Join(dir, "terraform.tfstate")
	must(os.WriteFile(state, []byte(`{"version":4,"resources":[`+strings.Join(res, ",")+`]}`), 0o600))

	r := run(t, "--config", config, "--state", state, "--format", "json")
	if r.code != driftcmd.ExitFindings {
		t.Fatalf("exit code %d, want %d\nstderr: %s\nstdout: %s", r.code, driftcmd.ExitFindings, r.stderr, r.stdout)
	}
	rep := parseJSON(t, r.stdout)
	var got []string
	for _, f := range rep.Findings {
		got = append(got, fmt.Sprintf("%s %s %s", f.RuleID, f.Severity, f.Identity.ID))
		if f.OWASP == "" || f.Remediation == "" || f.Message == "" || len(f.Fingerprint) != 32 || f.Location == nil {
			t.Errorf("finding %s lacks a field: %+v", f.RuleID, f)
		}
	}
	sort.Strings(got)
	want := []string{
		"NHI001 high user/admin-bot",
		"NHI001 high user/ops-admin",
		"NHI001 medium role/deploy-any",
		"NHI001 medium user/legacy-ci",
		"NHI002 high user/ghost",
		"NHI003 high user/widened",
		"NHI004 critical user/expired-user",
		"NHI007 high user/legacy-ci",
		"NHI008 high user/admin-bot",
		"NHI008 high user/ops-admin",
		"NHI008 high user/wild-bot",
		"NHI009 medium user/report-bot",
		"NHI009 medium user/sync-bot",
		"NHI013 medium user/legacy-ci",
		"NHI014 critical role/deploy-any",
		"NHI014 high role/eks-app",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings differ.\ngot:\n  %s\nwant:\n  %s\nstdout: %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "), r.stdout)
	}
	if !rep.Complete || len(rep.Sources) != 1 || !rep.Sources[0].Complete {
		t.Errorf("report not complete: %+v", rep.Sources)
	}
	if !strings.Contains(r.stdout, `"reason": "aws_reserved_sso_role"`) {
		t.Errorf("the SSO role is not listed as excluded: %s", r.stdout)
	}

	// --generate-imports writes import and resource blocks, policy
	// documents included, that adopt the undeclared IAM identities: once the
	// placeholders are filled in, the plan imports them and changes them in
	// place, and after the apply the reporter finds them declared.
	adopt := filepath.Join(dir, "adopt.tf")
	if r := run(t, "--config", config, "--format", "json", "--fail-on", "none", "--generate-imports", adopt); r.code != driftcmd.ExitClean {
		t.Fatalf("--generate-imports: exit %d: %s", r.code, r.stderr)
	}
	b, err := os.ReadFile(adopt)
	must(err)
	gen := string(b)
	for _, want := range []string{"to = nhi_aws_iam_user.user__legacy-ci", `id = "role/deploy-any"`, "trust_policy", "nhi_aws_iam_user.user__ops-admin"} {
		if !strings.Contains(gen, want) {
			t.Errorf("generated imports lack %q:\n%s", want, gen)
		}
	}
	filled := strings.NewReplacer(
		`"FILL-IN: the person or team responsible"`, `"team:platform"`,
		`"FILL-IN: why this identity exists"`, `"adopted from drift"`,
		`"FILL-IN: YYYY-MM-DD"`, fmt.Sprintf("%q", time.Now().Add(90*24*time.Hour).Format("2006-01-02")),
	).Replace(gen)
	provider := fmt.Sprintf("provider \"nhi\" {\n  aws {\n    endpoint = %q\n  }\n}\n", srv.Endpoint)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		Steps: []resource.TestStep{{
			Config: provider + filled,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				expectImporting("nhi_aws_iam_user.user__legacy-ci"),
				plancheck.ExpectResourceAction("nhi_aws_iam_user.user__legacy-ci", plancheck.ResourceActionUpdate),
				expectImporting("nhi_aws_iam_role.role__deploy-any"),
			}},
			// The role trusts any GitHub repository: the plan warns, the
			// apply adopts it as it is.
			Check: func(*terraform.State) error {
				for _, name := range []string{"legacy-ci", "admin-bot", "ops-admin"} {
					d, err := c.GetUser(ctx, name)
					if err != nil || !d.Declared || d.Governance.Owner != "team:platform" {
						return fmt.Errorf("user %s not adopted: %v %+v", name, err, d.Governance)
					}
				}
				return nil
			},
		}},
	})

	// A source it cannot read (wrong credentials) makes the run incomplete,
	// never clean.
	t.Setenv("AWS_SECRET_ACCESS_KEY", "wrong"+srv.SecretKey)
	bad := run(t, "--config", config, "--format", "json")
	if bad.code != driftcmd.ExitIncomplete {
		t.Errorf("wrong credentials: exit %d, want %d (incomplete)\nstderr: %s", bad.code, driftcmd.ExitIncomplete, bad.stderr)
	}
}
