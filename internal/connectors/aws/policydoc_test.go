package aws

import (
	"strings"
	"testing"
)

func TestAnalyzeTrust(t *testing.T) {
	gh := `"Federated":"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"`
	cases := []struct {
		name, cond   string
		unrestricted bool
	}{
		{"no condition", ``, true},
		{"aud only", `,"Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"}}`, true},
		{"sub star", `,"Condition":{"StringLike":{"token.actions.githubusercontent.com:sub":"*"}}`, true},
		{"sub any repo", `,"Condition":{"StringLike":{"token.actions.githubusercontent.com:sub":"repo:*"}}`, true},
		{"sub any repo any ref", `,"Condition":{"StringLike":{"token.actions.githubusercontent.com:sub":["repo:acme/web:*","repo:*/*:*"]}}`, true},
		{"sub one org", `,"Condition":{"StringLike":{"token.actions.githubusercontent.com:sub":"repo:acme/*"}}`, false},
		{"sub exact", `,"Condition":{"StringEquals":{"token.actions.githubusercontent.com:sub":"repo:acme/web:ref:refs/heads/main"}}`, false},
		{"negative only", `,"Condition":{"StringNotLike":{"token.actions.githubusercontent.com:sub":"repo:evil/*"}}`, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{` + gh + `},"Action":"sts:AssumeRoleWithWebIdentity"` + c.cond + `}]}`
			tr := AnalyzeTrust(doc)
			if len(tr) != 1 {
				t.Fatalf("trusts = %+v", tr)
			}
			if tr[0].Unrestricted != c.unrestricted || tr[0].Issuer != GitHubActionsIssuer {
				t.Fatalf("unrestricted = %v (%s), want %v", tr[0].Unrestricted, tr[0].Reason, c.unrestricted)
			}
			if c.unrestricted && tr[0].Reason == "" {
				t.Fatal("no reason given")
			}
		})
	}
	// Service and account principals are listed, never unrestricted.
	tr := AnalyzeTrust(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com","AWS":["arn:aws:iam::123456789012:root"]},"Action":"sts:AssumeRole"}]}`)
	if len(tr) != 2 || tr[0].Unrestricted || tr[1].Unrestricted || tr[0].Issuer != "" {
		t.Fatalf("trusts = %+v", tr)
	}
	// URL-encoded, as IAM returns documents.
	if tr := AnalyzeTrust("%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Federated%22%3A%22oidc.example.com%22%7D%2C%22Action%22%3A%22sts%3AAssumeRoleWithWebIdentity%22%7D%5D%7D"); len(tr) != 1 || !tr[0].Unrestricted {
		t.Fatalf("encoded document: %+v", tr)
	}
}

func TestGrantsEverything(t *testing.T) {
	for doc, want := range map[string]bool{
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`:                                                              true,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","*"],"Resource":["*"]}]}`:                                                 true,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`:                                                         false,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`:                                                             false,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`: false,
		`not json`: false,
	} {
		if got := GrantsEverything(doc); got != want {
			t.Errorf("GrantsEverything(%s) = %v, want %v", doc, got, want)
		}
	}
}

func TestValidatePolicies(t *testing.T) {
	bad := map[string]string{
		`{"Statement":[`:           "is not a JSON policy document",
		`{"Version":"2012-10-17"}`: "has no Statement",
		`{"Version":"2012-10-17","Statement":[{"Effect":"allow","Action":"s3:*","Resource":"*"}]}`:  `Effect "allow"`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Resource":"*"}]}`:                  "neither Action nor NotAction",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*"}]}`:                 "neither Resource nor NotResource",
		`{"Version":"2012-10-18","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`:  `use "2012-10-17"`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}x`: "text after",
	}
	for doc, want := range bad {
		err := ValidatePermissionsPolicy(doc)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ValidatePermissionsPolicy(%s) = %v, want it to say %q", doc, err, want)
		}
	}
	if err := ValidateTrustPolicy(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}`); err == nil || !strings.Contains(err.Error(), "no Principal") {
		t.Errorf("trust without principal: %v", err)
	}
	if !EquivalentPolicies(`{"Version":"2012-10-17", "Statement":[{"Resource":"*","Effect":"Allow","Action":"s3:*"}]}`,
		`{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}],"Version":"2012-10-17"}`) {
		t.Error("key order and spacing should not matter")
	}
}

func TestParseScope(t *testing.T) {
	for _, ok := range []string{"policy:arn:aws:iam::aws:policy/ReadOnlyAccess", "policy:arn:aws:iam::123456789012:policy/team/deploy-app", "inline:artifacts", "policy:arn:aws-us-gov:iam::aws:policy/job-function/ViewOnlyAccess"} {
		if _, err := ParseScope(ok); err != nil {
			t.Errorf("ParseScope(%q): %v", ok, err)
		}
	}
	for s, want := range map[string]string{
		"ReadOnlyAccess":                     "has no kind",
		"policy:arn:aws:iam::12345:policy/x": "does not hold a managed policy ARN",
		"policy:arn:aws:s3:::bucket":         "does not hold a managed policy ARN",
		"inline:has space":                   "inline policy name",
		"role:admin":                         `unknown kind "role"`,
		"policy:arn:aws:iam::aws:policy/a,b": "comma",
	} {
		if _, err := ParseScope(s); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseScope(%q) = %v, want it to say %q", s, err, want)
		}
	}
}

func TestScopesRoundTripThroughTags(t *testing.T) {
	m := Markers{Prefix: "nhi"}
	var scopes []string
	for i := 0; i < 12; i++ {
		scopes = append(scopes, "policy:arn:aws:iam::123456789012:policy/a-rather-long-policy-name-number-"+strings.Repeat("x", i))
	}
	chunks := chunkScopes(scopes)
	if len(chunks) < 3 {
		t.Fatalf("expected the scopes to need several tags, got %d", len(chunks))
	}
	for _, c := range chunks {
		if len(c) > MaxTagValueLen {
			t.Fatalf("chunk of %d characters", len(c))
		}
		if err := ValidateTagValue(c); err != nil {
			t.Fatal(err)
		}
	}
	if err := ValidateTagValue("Deploys the app, nightly"); err == nil || !strings.Contains(err.Error(), "do not allow") {
		t.Errorf("comma in a tag value: %v", err)
	}
	if err := ValidateTagValue(strings.Repeat("a", 257)); err == nil || !strings.Contains(err.Error(), "at most 256") {
		t.Errorf("long tag value: %v", err)
	}
	if err := m.ValidateLabel("nhi:owner", "x"); err == nil || !strings.Contains(err.Error(), "reserved") {
		t.Errorf("reserved key: %v", err)
	}
	if err := m.ValidateLabel("aws:cloudformation:x", "x"); err == nil || !strings.Contains(err.Error(), "reserves") {
		t.Errorf("aws: key: %v", err)
	}
}
