package aws

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

const acct = "111122223333"

var (
	userCI = Principal{Location: LocationUser, Name: "ci", Path: "/", ARN: "arn:aws:iam::" + acct + ":user/ci"}
	roleCI = Principal{Location: LocationRole, Name: "deploy", Path: "/app/", ARN: "arn:aws:iam::" + acct + ":role/app/deploy"}
)

func doc(stmts ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
}

func allow(action, resource string) string {
	return `{"Effect":"Allow","Action":` + action + `,"Resource":` + resource + `}`
}

func inlineSrc(t *testing.T, name, d string) policySource {
	t.Helper()
	stmts, err := parsed(d)
	if err != nil {
		t.Fatal(err)
	}
	return policySource{scope: "inline:" + name, label: "inline policy " + name, name: name, stmts: stmts}
}

func managedSrc(t *testing.T, arn, d string) policySource {
	t.Helper()
	s := inlineSrc(t, "", d)
	return policySource{scope: "policy:" + arn, label: "policy " + arn, arn: arn, stmts: s.stmts}
}

// caps renders "id severity reach" per capability, in order.
func caps(p Principal, srcs ...policySource) []string {
	var out []string
	for _, c := range p.resolve(srcs) {
		out = append(out, c.ID+" "+c.Severity+" "+c.Reach)
	}
	return out
}

func eq(t *testing.T, name string, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\n got  %q\n want %q", name, got, want)
	}
}

// Each catalog entry, on "*" and narrowed; harmless look-alikes give nothing.
func TestResolveCatalog(t *testing.T) {
	acc, named := ReachAccount, ReachNamed
	crit, high := nhi.CapabilityCritical, nhi.CapabilityHigh
	for _, tc := range []struct {
		name string
		p    Principal
		docs []string
		want []string
	}{
		{"access key on *", userCI, []string{doc(allow(`"iam:CreateAccessKey"`, `"*"`))}, []string{"iam-access-key-create " + crit + " " + acc}},
		{"access key on every user by ARN", userCI, []string{doc(allow(`"iam:CreateAccessKey"`, `"arn:aws:iam::*:user/*"`))}, []string{"iam-access-key-create " + crit + " " + acc}},
		{"access key on other users", userCI, []string{doc(allow(`"iam:CreateAccessKey"`, `"arn:aws:iam::`+acct+`:user/ops-*"`))}, []string{"iam-access-key-create " + high + " " + named}},
		{"access key on itself", userCI, []string{doc(allow(`"iam:CreateAccessKey"`, `"arn:aws:iam::`+acct+`:user/ci"`))}, nil},
		{"access key on ${aws:username}", userCI, []string{doc(allow(`["iam:CreateAccessKey","iam:UpdateLoginProfile"]`, `"arn:aws:iam::*:user/${aws:username}"`))}, nil},
		{"access key on another service's resource", userCI, []string{doc(allow(`"iam:CreateAccessKey"`, `"arn:aws:s3:::bucket"`))}, nil},
		{"access key in another account", userCI, []string{doc(allow(`"iam:CreateAccessKey"`, `"arn:aws:iam::999999999999:user/*"`))}, nil},
		{"actions are case-insensitive", userCI, []string{doc(allow(`"IAM:createaccesskey"`, `"*"`))}, []string{"iam-access-key-create " + crit + " " + acc}},
		{"login profiles", userCI, []string{doc(allow(`"iam:CreateLoginProfile"`, `"*"`))}, []string{"iam-login-profile-write " + crit + " " + acc}},
		{"policy versions", userCI, []string{doc(allow(`["iam:CreatePolicyVersion","iam:SetDefaultPolicyVersion"]`, `"arn:aws:iam::`+acct+`:policy/*"`))},
			[]string{"iam-policy-default-version-set " + high + " " + acc, "iam-policy-version-create " + crit + " " + acc}},
		{"one named policy version", userCI, []string{doc(allow(`"iam:CreatePolicyVersion"`, `"arn:aws:iam::`+acct+`:policy/ci/deploy"`))}, []string{"iam-policy-version-create " + high + " " + named}},
		{"attach on roles of a path", roleCI, []string{doc(allow(`"iam:AttachRolePolicy"`, `"arn:aws:iam::`+acct+`:role/app/*"`))}, []string{"iam-policy-attach " + high + " " + named}},
		{"put on itself is escalation", userCI, []string{doc(allow(`"iam:PutUserPolicy"`, `"arn:aws:iam::`+acct+`:user/ci"`))}, []string{"iam-inline-policy-put " + high + " " + named}},
		{"iam:Put*", userCI, []string{doc(allow(`"iam:Put*"`, `"*"`))}, []string{"iam-inline-policy-put " + crit + " " + acc}},
		{"trust policy of other roles", roleCI, []string{doc(allow(`"iam:UpdateAssumeRolePolicy"`, `"arn:aws:iam::`+acct+`:role/*"`))}, []string{"iam-trust-policy-update " + crit + " " + acc}},
		{"trust policy of itself", roleCI, []string{doc(allow(`"iam:UpdateAssumeRolePolicy"`, `"arn:aws:iam::`+acct+`:role/app/deploy"`))}, nil},
		{"groups", userCI, []string{doc(allow(`"iam:AddUserToGroup"`, `"arn:aws:iam::`+acct+`:group/admins"`))}, []string{"iam-group-membership-add " + high + " " + named}},
		{"pass role alone", userCI, []string{doc(allow(`"iam:PassRole"`, `"*"`))}, nil},
		{"compute alone", userCI, []string{doc(allow(`["lambda:CreateFunction","ec2:RunInstances"]`, `"*"`))}, nil},
		{"pass role with a compute create in another policy", userCI,
			[]string{doc(allow(`"iam:PassRole"`, `"*"`)), doc(allow(`"ec2:RunInstances"`, `"*"`))}, []string{"iam-pass-role-compute " + crit + " " + acc}},
		{"pass role with ecs", userCI, []string{doc(allow(`["iam:PassRole","ecs:RegisterTaskDefinition"]`, `"arn:aws:iam::`+acct+`:role/task-*"`))}, []string{"iam-pass-role-compute " + high + " " + named}},
		{"pass itself", roleCI, []string{doc(allow(`"iam:PassRole"`, `"arn:aws:iam::`+acct+`:role/app/deploy"`), allow(`"lambda:CreateFunction"`, `"*"`))}, nil},
		{"assume any role", roleCI, []string{doc(allow(`"sts:AssumeRole"`, `"*"`))}, []string{"sts-assume-any-role " + high + " " + acc}},
		{"assume one role", roleCI, []string{doc(allow(`"sts:AssumeRole"`, `"arn:aws:iam::`+acct+`:role/reader"`))}, nil},
		{"s3:*", userCI, []string{doc(allow(`"s3:*"`, `"*"`))}, []string{"s3-full-access " + high + " " + acc}},
		{"s3:* on every bucket by ARN", userCI, []string{doc(allow(`"s3:*"`, `["arn:aws:s3:::*","arn:aws:s3:::*/*"]`))}, []string{"s3-full-access " + high + " " + acc}},
		{"s3:* on one bucket", userCI, []string{doc(allow(`"s3:*"`, `["arn:aws:s3:::artifacts","arn:aws:s3:::artifacts/*"]`))}, nil},
		{"s3:GetObject on one bucket", userCI, []string{doc(allow(`"s3:GetObject"`, `"arn:aws:s3:::artifacts/*"`))}, nil},
		{"dynamodb:*", userCI, []string{doc(allow(`"dynamodb:*"`, `"arn:aws:dynamodb:*:*:table/*"`))}, []string{"dynamodb-full-access " + high + " " + acc}},
		{"every secret", userCI, []string{doc(allow(`"secretsmanager:GetSecretValue"`, `"arn:aws:secretsmanager:*:`+acct+`:secret:*"`))}, []string{"secretsmanager-read-all " + crit + " " + acc}},
		{"some secrets", userCI, []string{doc(allow(`"secretsmanager:GetSecretValue"`, `"arn:aws:secretsmanager:us-east-1:`+acct+`:secret:ci/*"`))}, nil},
		{"kms:Decrypt", userCI, []string{doc(allow(`"kms:Decrypt"`, `"*"`))}, []string{"kms-decrypt-all " + high + " " + acc}},
		{"full admin is reported once", userCI, []string{doc(allow(`"*"`, `"*"`))}, []string{"full-admin " + crit + " " + acc}},
		{"* on one bucket", userCI, []string{doc(allow(`"*"`, `"arn:aws:s3:::artifacts/*"`))}, nil},
		{"read-only look-alike", userCI, []string{doc(allow(`["s3:Get*","s3:List*","ec2:Describe*","iam:Get*","iam:List*","kms:Describe*","secretsmanager:Describe*","dynamodb:Get*"]`, `"*"`))}, nil},
		{"NotAction grants what it does not exclude", userCI, []string{doc(`{"Effect":"Allow","NotAction":["iam:*","sts:*","organizations:*"],"Resource":"*"}`)},
			[]string{"dynamodb-full-access " + high + " " + acc, "kms-decrypt-all " + high + " " + acc, "s3-full-access " + high + " " + acc, "secretsmanager-read-all " + crit + " " + acc}},
		{"NotResource but itself", userCI, []string{doc(`{"Effect":"Allow","Action":"iam:CreateAccessKey","NotResource":"arn:aws:iam::` + acct + `:user/ci"}`)}, []string{"iam-access-key-create " + crit + " " + acc}},
		{"NotResource *", userCI, []string{doc(`{"Effect":"Allow","Action":"iam:CreateAccessKey","NotResource":"*"}`)}, nil},
		{"Deny overrides Allow", userCI, []string{doc(allow(`["iam:CreateAccessKey","iam:PutUserPolicy"]`, `"*"`), `{"Effect":"Deny","Action":"iam:CreateAccessKey","Resource":"*"}`)},
			[]string{"iam-inline-policy-put " + crit + " " + acc}},
		{"Deny in another policy, by wildcard", userCI, []string{doc(allow(`"iam:CreateAccessKey"`, `"*"`)), doc(`{"Effect":"Deny","Action":"iam:Create*","Resource":"arn:aws:iam::*:user/*"}`)}, nil},
		{"Deny of some resources leaves the rest", userCI, []string{doc(allow(`"iam:CreateAccessKey"`, `["arn:aws:iam::`+acct+`:user/a","arn:aws:iam::`+acct+`:user/b"]`), `{"Effect":"Deny","Action":"iam:CreateAccessKey","Resource":"arn:aws:iam::`+acct+`:user/a"}`)},
			[]string{"iam-access-key-create " + high + " " + named}},
		{"conditioned Deny is not evaluated", userCI, []string{doc(allow(`"iam:CreateAccessKey"`, `"*"`), `{"Effect":"Deny","Action":"iam:CreateAccessKey","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"false"}}}`)},
			[]string{"iam-access-key-create " + crit + " " + acc}},
		{"admin with an unrelated Deny is full admin", userCI, []string{doc(allow(`"*"`, `"*"`), `{"Effect":"Deny","Action":"s3:DeleteBucket","Resource":"*"}`)}, []string{"full-admin " + crit + " " + acc}},
		{"admin with a Deny is resolved entry by entry", userCI, []string{doc(allow(`"*"`, `"*"`), `{"Effect":"Deny","NotAction":"s3:*","Resource":"*"}`)}, []string{"s3-full-access " + high + " " + acc}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var srcs []policySource
			for i, d := range tc.docs {
				srcs = append(srcs, inlineSrc(t, fmt.Sprintf("p%d", i), d))
			}
			eq(t, tc.name, caps(tc.p, srcs...), tc.want...)
		})
	}
}

// iam:* grants every IAM entry of the catalog, but not pass-role compute
// (it needs a compute create) nor sts.
func TestResolveIAMWildcard(t *testing.T) {
	var ids []string
	for _, c := range userCI.resolve([]policySource{inlineSrc(t, "iam", doc(allow(`"iam:*"`, `"*"`)))}) {
		ids = append(ids, c.ID)
	}
	eq(t, "iam:*", ids, CapAccessKeyCreate, CapGroupMembershipAdd, CapInlinePolicyPut, CapLoginProfileWrite,
		CapPolicyAttach, CapPolicyDefaultSet, CapPolicyVersionCreate, CapTrustPolicyUpdate)
}

// Paths name the policy, statement, action and resource; fixes say what to
// change and where, for inline, managed, AWS-managed and group policies.
func TestResolvePathsAndFixes(t *testing.T) {
	custom := "arn:aws:iam::" + acct + ":policy/ci-keys"
	awsManaged := "arn:aws:iam::aws:policy/IAMFullAccess"
	stmts, _ := parsed(doc(allow(`"iam:Put*"`, `"*"`)))
	group := policySource{scope: "group:ops", label: "group ops -> inline policy puts", group: "ops", name: "puts", stmts: stmts}
	got := userCI.resolve([]policySource{
		inlineSrc(t, "keys", doc(`{"Sid":"Keys","Effect":"Allow","Action":"iam:CreateAccessKey","Resource":"arn:aws:iam::`+acct+`:user/ops-*"}`)),
		managedSrc(t, custom, doc(allow(`"s3:GetObject"`, `"*"`), allow(`"iam:*"`, `"arn:aws:iam::`+acct+`:group/*"`))),
		managedSrc(t, awsManaged, doc(allow(`"sts:AssumeRole"`, `"*"`))),
		group,
	})
	var lines []string
	for _, c := range got {
		lines = append(lines, c.ID+" | "+c.Scope+" | "+c.Path+" | "+c.Fix)
	}
	eq(t, "paths", lines,
		`iam-access-key-create | inline:keys | inline policy keys -> statement "Keys" -> iam:CreateAccessKey on arn:aws:iam::`+acct+`:user/ops-* | `+
			`Delete inline policy keys of user/ci (drop scope "inline:keys" and inline_policies["keys"] from its declaration), or remove iam:CreateAccessKey from statement "Keys" of inline policy keys`,
		`iam-group-membership-add | policy:`+custom+` | policy `+custom+` -> statement #2 -> iam:AddUserToGroup (by "iam:*") on arn:aws:iam::`+acct+`:group/* | `+
			`Detach `+custom+` from user/ci (drop scope "policy:`+custom+`" from its declaration), or narrow "iam:*" in statement #2 of policy `+custom+` so that it no longer covers iam:AddUserToGroup (as a new default version)`,
		`iam-inline-policy-put | group:ops | group ops -> inline policy puts -> statement #1 -> iam:PutUserPolicy, iam:PutGroupPolicy, iam:PutRolePolicy (by "iam:Put*") on * | `+
			`Remove user/ci from group ops (it grants this to every member; drop scope "group:ops" from its declaration), or narrow "iam:Put*" in statement #1 of inline policy puts so that it no longer covers iam:PutUserPolicy, iam:PutGroupPolicy, iam:PutRolePolicy`,
		`iam-inline-policy-put | policy:`+custom+` | policy `+custom+` -> statement #2 -> iam:PutGroupPolicy (by "iam:*") on arn:aws:iam::`+acct+`:group/* | `+
			`Detach `+custom+` from user/ci (drop scope "policy:`+custom+`" from its declaration), or narrow "iam:*" in statement #2 of policy `+custom+` so that it no longer covers iam:PutGroupPolicy (as a new default version)`,
		`iam-policy-attach | policy:`+custom+` | policy `+custom+` -> statement #2 -> iam:AttachGroupPolicy (by "iam:*") on arn:aws:iam::`+acct+`:group/* | `+
			`Detach `+custom+` from user/ci (drop scope "policy:`+custom+`" from its declaration), or narrow "iam:*" in statement #2 of policy `+custom+` so that it no longer covers iam:AttachGroupPolicy (as a new default version)`,
		`sts-assume-any-role | policy:`+awsManaged+` | policy `+awsManaged+` -> statement #1 -> sts:AssumeRole on * | `+
			`Detach `+awsManaged+` from user/ci (drop scope "policy:`+awsManaged+`" from its declaration), or attach a narrower policy instead (`+awsManaged+` is an AWS managed policy, which nobody can edit)`,
	)
	// A combination names both grants; its scope is empty when they come
	// through different scopes.
	combo := userCI.resolve([]policySource{inlineSrc(t, "pass", doc(allow(`"iam:PassRole"`, `"*"`))), inlineSrc(t, "run", doc(allow(`"lambda:Create*"`, `"*"`)))})
	if len(combo) != 1 || combo[0].Scope != "" ||
		combo[0].Path != `inline policy pass -> statement #1 -> iam:PassRole on *; and inline policy run -> statement #1 -> lambda:CreateFunction (by "lambda:Create*") on *` ||
		!strings.HasPrefix(combo[0].Fix, "It takes both grants; take one away. Delete inline policy pass of user/ci") {
		t.Errorf("combination: %+v", combo)
	}
	svc := userCI.resolve([]policySource{inlineSrc(t, "data", doc(allow(`"s3:*"`, `"*"`)))})
	if len(svc) != 1 || svc[0].Path != `inline policy data -> statement #1 -> "s3:*" on *` || !strings.Contains(svc[0].Fix, `narrow "s3:*" in statement #1 of inline policy data`) {
		t.Errorf("service-wide: %+v", svc)
	}
}

// At plan time a new identity has no ARN yet: any account counts as its
// own, and narrowing to itself is still recognized from its path and name.
func TestResolveWithoutARN(t *testing.T) {
	p := Principal{Location: LocationUser, Name: "ci", Path: "/bots/"}
	eq(t, "own account", caps(p, inlineSrc(t, "a", doc(allow(`"iam:CreateAccessKey"`, `"arn:aws:iam::`+acct+`:user/*"`)))), "iam-access-key-create critical the account")
	eq(t, "itself", caps(p, inlineSrc(t, "a", doc(allow(`"iam:CreateAccessKey"`, `"arn:aws:iam::`+acct+`:user/bots/ci"`)))))
	// ${aws:username} names nothing for a role.
	eq(t, "role username", caps(roleCI, inlineSrc(t, "a", doc(allow(`"iam:PutRolePolicy"`, `"arn:aws:iam::*:role/${aws:username}"`)))))
	// Other variables name some resources, not all.
	eq(t, "tag variable", caps(userCI, inlineSrc(t, "a", doc(allow(`"iam:PutUserPolicy"`, `"arn:aws:iam::*:user/${aws:PrincipalTag/team}-*"`)))), "iam-inline-policy-put high the named resources")
}

func TestGlob(t *testing.T) {
	for _, tc := range []struct {
		p, s string
		ok   bool
	}{{"*", "", true}, {"a*c", "abbc", true}, {"a*c", "abbd", false}, {"a?c", "abc", true}, {"user/*", "user/a/b", true},
		{"*/*", "x/y", true}, {"*/*", "xy", false}, {"a**", "a", true}, {"", "a", false}} {
		if glob(tc.p, tc.s) != tc.ok {
			t.Errorf("glob(%q, %q) = %v", tc.p, tc.s, !tc.ok)
		}
	}
}

// Every identity of a scan reads a shared managed policy and group once;
// the inventory's listing marks capabilities unknown when a policy may not
// be read, while a scan fails on it.
func TestCapabilitiesReadOncePerScanAndUnknownWhenDenied(t *testing.T) {
	c, fake := fakeOnly(t)
	ctx := context.Background()
	p, err := c.iam.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("keys"), PolicyDocument: aws.String(doc(allow(`"iam:CreateAccessKey"`, `"*"`)))})
	must(t, err)
	arn := aws.ToString(p.Policy.Arn)
	_, err = c.iam.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("ops")})
	must(t, err)
	_, err = c.iam.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("ops"), PolicyName: aws.String("s3"), PolicyDocument: aws.String(doc(allow(`"s3:*"`, `"*"`)))})
	must(t, err)
	cache := newPolicyCache()
	var wg sync.WaitGroup
	ds := make([]Details, 40)
	errs := make([]error, len(ds))
	for i := range ds {
		ds[i] = Details{Identity: nhi.Identity{Ref: UserRef(fmt.Sprintf("u%d", i)), EffectiveScopes: []string{"group:ops", "policy:" + arn}}, ARN: fmt.Sprintf("arn:aws:iam::000000000000:user/u%d", i)}
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = c.withCapabilities(ctx, &ds[i], cache) }()
	}
	wg.Wait()
	for i := range ds {
		must(t, errs[i])
		if ids := strings.Join(nhi.CapabilityIDs(ds[i].Capabilities), ","); ids != "iam-access-key-create,s3-full-access" || ds[i].CapabilitiesUnknown {
			t.Fatalf("identity %d: capabilities %s (unknown %v)", i, ids, ds[i].CapabilitiesUnknown)
		}
	}
	for _, a := range []string{"GetPolicy", "GetPolicyVersion", "ListAttachedGroupPolicies", "ListGroupPolicies", "GetGroupPolicy"} {
		if n := fake.Count(a); n != 1 {
			t.Errorf("%s was called %d times for 40 identities, want 1", a, n)
		}
	}

	d := Details{Identity: nhi.Identity{Ref: UserRef("x"), EffectiveScopes: []string{"policy:" + arn}}}
	fake.FailAction("GetPolicy", http.StatusForbidden)
	if err := c.withCapabilities(ctx, &d, newPolicyCache()); err == nil || !strings.Contains(err.Error(), arn) {
		t.Fatalf("scan with GetPolicy denied: %v; want an error naming the policy", err)
	}
	fake.FailAction("GetPolicy", http.StatusForbidden)
	if err := c.withCapabilities(ctx, &d, nil); err != nil || !d.CapabilitiesUnknown || d.Capabilities != nil {
		t.Fatalf("listing with GetPolicy denied: %v, unknown %v, %v; want unknown capabilities and no error", err, d.CapabilitiesUnknown, d.Capabilities)
	}
	fake.FailAction("GetPolicy", http.StatusInternalServerError)
	if err := c.withCapabilities(ctx, &d, nil); err == nil {
		t.Fatal("listing with GetPolicy failing 500: no error; only a denial makes capabilities unknown")
	}
	// The listing's command cache remembers answers only.
	if err := c.withCapabilities(ctx, &d, nil); err != nil || d.CapabilitiesUnknown || len(d.Capabilities) != 1 {
		t.Fatalf("listing once IAM answers: %v, unknown %v, %v", err, d.CapabilitiesUnknown, d.Capabilities)
	}
}
