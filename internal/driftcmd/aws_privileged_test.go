package driftcmd_test

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

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
	awsc "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/aws"
	"github.com/nhi-ops/terraform-provider-nhi/internal/driftcmd"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// privileged_scopes names customer-managed policies by ARN, "/" and all: a
// policy whose document grants one action is privileged because its name
// matches, and only then.
func TestAWSScenarioPrivilegedPolicyByName(t *testing.T) {
	srv, c, raw := acctest.PrivateIAMClients(t)
	ctx := context.Background()
	var err error
	must := fatalOnError(t)
	// Not a wildcard document: the scan does not see it as granting everything.
	p, err := raw.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("deploy-admin"), Path: aws.String("/admin/team-a/"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"eks:DescribeCluster","Resource":"*"}]}`)})
	must(err)
	adminARN := aws.ToString(p.Policy.Arn)
	if !strings.Contains(adminARN, ":policy/admin/team-a/deploy-admin") {
		t.Fatalf("policy ARN %s", adminARN)
	}
	gov := nhi.Governance{Owner: "team:platform", Purpose: "scenario", ExpiresAt: time.Now().Add(100 * 24 * time.Hour), OnExpiry: nhi.OnExpiryDisable}
	g := gov
	g.Scopes = []string{"policy:" + adminARN}
	_, err = c.CreateUser(ctx, awsc.UserSpec{Spec: nhi.Spec{Ref: awsc.UserRef("ops-bot"), Governance: g}})
	must(err)
	g.Scopes = []string{"policy:arn:aws:iam::aws:policy/ReadOnlyAccess"}
	_, err = c.CreateUser(ctx, awsc.UserSpec{Spec: nhi.Spec{Ref: awsc.UserRef("reader-bot"), Governance: g}})
	must(err)
	_, err = raw.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("shadow-ops")})
	must(err)
	_, err = raw.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("shadow-ops"), PolicyArn: aws.String(adminARN)})
	must(err)

	dir := t.TempDir()
	findings := func(policy string) []string {
		t.Helper()
		config := filepath.Join(dir, fmt.Sprintf("nhi-drift-%d.hcl", time.Now().UnixNano()))
		must(os.WriteFile(config, []byte(fmt.Sprintf("source \"aws\" \"prod\" {\n  endpoint = %q\n  region   = \"us-east-1\"\n}\n%s", srv.Endpoint, policy)), 0o600))
		r := run(t, "--config", config, "--format", "json", "--fail-on", "none")
		if r.code != driftcmd.ExitClean {
			t.Fatalf("exit %d\n%s", r.code, r.stderr)
		}
		var out []string
		for _, f := range parseJSON(t, r.stdout).Findings {
			out = append(out, fmt.Sprintf("%s %s %s", f.RuleID, f.Severity, f.Identity.ID))
			if f.RuleID == "NHI008" && !strings.Contains(f.Message, "holds privileged scopes: policy:"+adminARN) {
				t.Errorf("NHI008 message %q does not name the policy", f.Message)
			}
		}
		sort.Strings(out)
		return out
	}
	check := func(name string, got []string, want ...string) {
		t.Helper()
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: findings\n  %s\nwant\n  %s", name, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
		}
	}
	// The defaults know nothing of the policy, and its document is narrow.
	check("default policy", findings(""), "NHI001 medium user/shadow-ops")
	// A glob over the path: "*" crosses "/".
	check("privileged_scopes glob", findings("policy {\n  privileged_scopes = [\"policy:arn:aws:iam::*:policy/admin/*\"]\n}\n"),
		"NHI001 high user/shadow-ops", "NHI008 high user/ops-bot", "NHI008 high user/shadow-ops")
	// forbidden_scopes, by the exact ARN.
	check("forbidden_scopes ARN", findings(fmt.Sprintf("policy {\n  forbidden_scopes = [%q]\n}\n", "policy:"+adminARN)),
		"NHI001 high user/shadow-ops", "NHI008 high user/ops-bot", "NHI008 high user/shadow-ops")
}
