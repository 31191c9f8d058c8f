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

// TestAWSCapabilityScenario seeds, on a private IAM server (versitygw
// behind the managed-policy fake), one declared IAM user or role per risky
// capability of the AWS catalog, through inline, customer-managed,
// AWS-managed and group policies, two undeclared users with one, and
// harmless look-alikes (self-service on its own user, read-only access,
// s3:* on one bucket, one assumable role, iam:PassRole or compute alone, an
// Allow undone by a Deny, its own trust policy, some secrets). It runs the
// drift command and asserts its findings exactly: one NHI008 per identity
// and capability, NHI001 high for the undeclared one with a critical
// capability, and nothing for the look-alikes; the connector's listing
// (nhi_identities) gives the same capabilities.
func TestAWSCapabilityScenario(t *testing.T) {
	srv, c, raw := acctest.PrivateIAMClients(t)
	ctx := context.Background()
	must := fatalOnError(t)
	st := func(stmts ...string) string {
		return `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
	}
	allow := func(action, resource string) string {
		return `{"Effect":"Allow","Action":` + action + `,"Resource":` + resource + `}`
	}
	gov := func(scopes ...string) nhi.Governance {
		return nhi.Governance{Owner: "team:platform", Purpose: "capability scenario", Scopes: scopes, ExpiresAt: time.Now().Add(100 * 24 * time.Hour), OnExpiry: nhi.OnExpiryDisable}
	}
	user := func(name string, docs map[string]string, scopes ...string) {
		t.Helper()
		for n := range docs {
			scopes = append(scopes, "inline:"+n)
		}
		_, err := c.CreateUser(ctx, awsc.UserSpec{Spec: nhi.Spec{Ref: awsc.UserRef(name), Governance: gov(scopes...)}, InlinePolicies: docs})
		must(err)
	}
	role := func(name string, docs map[string]string, scopes ...string) {
		t.Helper()
		for n := range docs {
			scopes = append(scopes, "inline:"+n)
		}
		_, err := c.CreateRole(ctx, awsc.RoleSpec{Spec: nhi.Spec{Ref: awsc.RoleRef(name), Governance: gov(scopes...)}, InlinePolicies: docs,
			TrustPolicy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"sts:AssumeRole"}]}`})
		must(err)
	}
	managed := func(name, doc string) string {
		t.Helper()
		p, err := raw.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(name), PolicyDocument: aws.String(doc)})
		must(err)
		return aws.ToString(p.Policy.Arn)
	}
	one := func(doc string) map[string]string { return map[string]string{"p": doc} }

	// One identity per capability.
	user("key-maker", one(st(allow(`"iam:CreateAccessKey"`, `"arn:aws:iam::*:user/*"`))))
	user("login-setter", nil, "policy:"+managed("login-ops", st(allow(`"iam:UpdateLoginProfile"`, `"arn:aws:iam::000000000000:user/ops-*"`))))
	user("version-writer", one(st(allow(`"iam:CreatePolicyVersion"`, `"*"`))))
	user("default-setter", one(st(allow(`"iam:SetDefaultPolicyVersion"`, `"*"`))))
	role("attacher", one(st(allow(`"iam:Attach*Policy"`, `"*"`))))
	_, err := raw.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("putters")})
	must(err)
	_, err = raw.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("putters"), PolicyName: aws.String("put"), PolicyDocument: aws.String(st(allow(`"iam:Put*"`, `"*"`)))})
	must(err)
	user("putter", nil, "group:putters")
	role("trust-writer", one(st(allow(`"iam:UpdateAssumeRolePolicy"`, `"arn:aws:iam::*:role/*"`))))
	user("group-joiner", one(st(allow(`"iam:AddUserToGroup"`, `"*"`))))
	user("passer", one(st(allow(`"iam:PassRole"`, `"*"`))), "policy:"+managed("run-instances", st(allow(`"ec2:RunInstances"`, `"*"`))))
	role("assumer", one(st(allow(`"sts:AssumeRole"`, `"*"`))))
	user("s3-admin", nil, "policy:arn:aws:iam::aws:policy/AmazonS3FullAccess")
	user("dynamo", one(st(allow(`"dynamodb:*"`, `"*"`))))
	user("secret-reader", one(st(allow(`"secretsmanager:GetSecretValue"`, `"*"`))))
	user("decrypter", one(st(allow(`"kms:Decrypt"`, `"*"`))))
	// "*" on "*" behind a condition: not a wildcard scope (NHI008 names
	// those by themselves), but the capability, conditions not evaluated.
	user("cond-admin", one(st(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}`)))
	// Undeclared.
	for name, doc := range map[string]string{"shadow-keys": st(allow(`"iam:CreateAccessKey"`, `"*"`)), "shadow-assumer": st(allow(`"sts:AssumeRole"`, `"*"`))} {
		_, err = raw.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)})
		must(err)
		_, err = raw.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("p"), PolicyDocument: aws.String(doc)})
		must(err)
	}

	// Harmless look-alikes.
	user("self-service", one(st(allow(`["iam:CreateAccessKey","iam:UpdateLoginProfile","iam:DeleteAccessKey"]`, `"arn:aws:iam::*:user/${aws:username}"`))))
	user("reader", nil, "policy:arn:aws:iam::aws:policy/ReadOnlyAccess", "policy:arn:aws:iam::aws:policy/IAMReadOnlyAccess")
	user("bucket-bot", one(st(allow(`"s3:*"`, `["arn:aws:s3:::artifacts","arn:aws:s3:::artifacts/*"]`), allow(`"s3:GetObject"`, `"arn:aws:s3:::logs/*"`))))
	role("one-role", one(st(allow(`"sts:AssumeRole"`, `"arn:aws:iam::000000000000:role/reader"`))))
	user("pass-only", one(st(allow(`"iam:PassRole"`, `"*"`))))
	user("compute-only", one(st(allow(`["lambda:CreateFunction","ec2:RunInstances","ecs:RunTask"]`, `"*"`))))
	user("denied", one(st(allow(`"iam:*"`, `"*"`), `{"Effect":"Deny","Action":"iam:*","Resource":"*"}`)))
	role("own-trust", one(st(allow(`"iam:UpdateAssumeRolePolicy"`, `"arn:aws:iam::000000000000:role/own-trust"`))))
	user("some-secrets", one(st(allow(`"secretsmanager:GetSecretValue"`, `"arn:aws:secretsmanager:us-east-1:000000000000:secret:app/*"`))))

	config := filepath.Join(t.TempDir(), "nhi-drift.hcl")
	must(os.WriteFile(config, []byte(fmt.Sprintf("source \"aws\" \"prod\" {\n  endpoint = %q\n  region   = \"us-east-1\"\n}\n", srv.Endpoint)), 0o600))
	r := run(t, "--config", config, "--format", "json", "--fail-on", "none")
	if r.code != driftcmd.ExitClean {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	capOf := func(msg string) string {
		for _, d := range awsc.Capabilities {
			if strings.Contains(msg, " can "+d.Title+" ") {
				return d.ID
			}
		}
		return ""
	}
	rep := parseJSON(t, r.stdout)
	var got []string
	for _, f := range rep.Findings {
		line := fmt.Sprintf("%s %s %s", f.RuleID, f.Severity, f.Identity.ID)
		if f.RuleID == "NHI008" {
			line += " " + capOf(f.Message)
			if !strings.Contains(f.Message, " -> statement ") || f.Remediation == "" {
				t.Errorf("NHI008 %s: the message does not name the statement, or there is no remediation: %q | %q", f.Identity.ID, f.Message, f.Remediation)
			}
		}
		got = append(got, line)
	}
	sort.Strings(got)
	want := []string{
		"NHI001 high user/shadow-keys",
		"NHI001 medium user/shadow-assumer",
		"NHI008 critical role/attacher iam-policy-attach",
		"NHI008 critical role/trust-writer iam-trust-policy-update",
		"NHI008 critical user/cond-admin full-admin",
		"NHI008 critical user/group-joiner iam-group-membership-add",
		"NHI008 critical user/key-maker iam-access-key-create",
		"NHI008 critical user/passer iam-pass-role-compute",
		"NHI008 critical user/putter iam-inline-policy-put",
		"NHI008 critical user/secret-reader secretsmanager-read-all",
		"NHI008 critical user/shadow-keys iam-access-key-create",
		"NHI008 critical user/version-writer iam-policy-version-create",
		"NHI008 high role/assumer sts-assume-any-role",
		"NHI008 high user/decrypter kms-decrypt-all",
		"NHI008 high user/default-setter iam-policy-default-version-set",
		"NHI008 high user/dynamo dynamodb-full-access",
		"NHI008 high user/login-setter iam-login-profile-write",
		"NHI008 high user/s3-admin s3-full-access",
		"NHI008 high user/shadow-assumer sts-assume-any-role",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings differ.\ngot:\n  %s\nwant:\n  %s\nstdout: %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "), r.stdout)
	}
	if !rep.Complete {
		t.Errorf("report not complete: %+v", rep.Sources)
	}
	for _, f := range rep.Findings {
		switch f.Identity.ID {
		case "user/passer":
			if !strings.Contains(f.Message, "inline policy p -> statement #1 -> iam:PassRole on *; and policy arn:aws:iam::000000000000:policy/run-instances -> statement #1 -> ec2:RunInstances on *") {
				t.Errorf("pass-role path: %s", f.Message)
			}
		case "user/putter":
			if !strings.Contains(f.Message, "(group putters -> inline policy put -> statement #1 -> iam:PutUserPolicy, iam:PutGroupPolicy, iam:PutRolePolicy (by \"iam:Put*\") on *)") ||
				!strings.HasPrefix(f.Remediation, "Remove user/putter from group putters") {
				t.Errorf("group path: %s | %s", f.Message, f.Remediation)
			}
		case "user/shadow-keys":
			if f.RuleID == "NHI001" && !strings.HasSuffix(f.Message, "; it can create access keys for other IAM users (iam-access-key-create)") {
				t.Errorf("NHI001 does not name the capability: %s", f.Message)
			}
		}
	}

	// The listing behind nhi_identities resolves the same capabilities.
	byScan := map[string]string{}
	for _, line := range got {
		if f := strings.Fields(line); f[0] == "NHI008" {
			byScan[f[2]] = strings.TrimSpace(byScan[f[2]] + " " + f[3])
		}
	}
	listed := map[string]string{}
	for _, loc := range []string{awsc.LocationUser, awsc.LocationRole} {
		page, err := c.List(ctx, nhi.ListOptions{Locations: []string{loc}, PageSize: 100})
		must(err)
		for _, id := range page.Identities {
			if id.CapabilitiesUnknown {
				t.Errorf("%s: capabilities unknown in the listing", id.Ref)
			}
			if ids := nhi.CapabilityIDs(id.Capabilities); len(ids) > 0 {
				listed[id.Ref.String()] = strings.Join(ids, " ")
			}
		}
	}
	if fmt.Sprint(listed) != fmt.Sprint(byScan) {
		t.Errorf("listing's capabilities\n  %v\nscan's\n  %v", listed, byScan)
	}
}
