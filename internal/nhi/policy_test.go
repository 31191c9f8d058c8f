package nhi

import (
	"strings"
	"testing"
	"time"
)

func TestOwnerPattern(t *testing.T) {
	re, err := CompileOwnerPattern(`team:[a-z-]+|[a-z.]+@example\.com`)
	if err != nil {
		t.Fatal(err)
	}
	p := Policy{OwnerPattern: re}
	for _, ok := range []string{"team:payments", "alice@example.com"} {
		if v := p.CheckOwner(ok); v != nil {
			t.Errorf("CheckOwner(%q) = %+v, want nil", ok, v)
		}
	}
	// The pattern must match the whole owner, not a part of it.
	for _, bad := range []string{"bob", "team:Payments", "xteam:payments", "alice@example.com.evil"} {
		v := p.CheckOwner(bad)
		if v == nil || !strings.Contains(v.Detail, "policy.owner_pattern") || !strings.Contains(v.Detail, bad) {
			t.Errorf("CheckOwner(%q) = %+v, want a violation naming the owner and the attribute", bad, v)
		}
	}
	if _, err := CompileOwnerPattern("team:("); err == nil {
		t.Error("CompileOwnerPattern accepted an invalid expression")
	}
	if v := (Policy{}).CheckOwner("anything"); v != nil {
		t.Error("no pattern must accept any owner")
	}
}

func TestForbiddenScopes(t *testing.T) {
	p := Policy{ForbiddenScopes: []string{"clusterrole:cluster-admin", "clusterrole:*@kube-system", "role:secret-*"}}
	got := p.CheckScopes([]string{"clusterrole:view", "clusterrole:cluster-admin", "clusterrole:edit@kube-system", "clusterrole:edit@default", "role:secret-reader"})
	if len(got) != 3 {
		t.Fatalf("CheckScopes found %d violations, want 3: %+v", len(got), got)
	}
	for i, s := range []string{"clusterrole:cluster-admin", "clusterrole:edit@kube-system", "role:secret-reader"} {
		if !strings.Contains(got[i].Detail, s) || !strings.Contains(got[i].Detail, "policy.forbidden_scopes") {
			t.Errorf("violation %d = %q, want it to name %q and the attribute", i, got[i].Detail, s)
		}
	}
	if err := ValidateScopePattern("clusterrole:[a"); err == nil {
		t.Error("ValidateScopePattern accepted a malformed glob")
	}
	if err := ValidateScopePattern(" "); err == nil {
		t.Error("ValidateScopePattern accepted a blank pattern")
	}
}

func TestCheckLifetime(t *testing.T) {
	now := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	p := DefaultPolicy()
	if v := p.CheckLifetime(now, now.Add(365*24*time.Hour)); v != nil {
		t.Errorf("exactly max_lifetime must pass, got %+v", v)
	}
	v := p.CheckLifetime(now, now.Add(366*24*time.Hour))
	if v == nil || !strings.Contains(v.Detail, "policy.max_lifetime of 365d") || !strings.Contains(v.Detail, "2027-11-22T00:00:00Z") {
		t.Errorf("one day over must fail naming the limit and the latest date, got %+v", v)
	}
}

func TestScopeDiff(t *testing.T) {
	extra, missing := ScopeDiff([]string{"a", "b"}, []string{"b", "c", "c"})
	if strings.Join(extra, ",") != "c" || strings.Join(missing, ",") != "a" {
		t.Errorf("ScopeDiff = %v, %v", extra, missing)
	}
}

// Scopes are opaque strings: "/" in a pattern or a scope is an ordinary
// character, and "*" and "?" cross it (IAM policy ARNs have paths).
func TestMatchScopeARNs(t *testing.T) {
	const admin = "policy:arn:aws:iam::aws:policy/AdministratorAccess"
	cases := []struct {
		pattern, scope string
		want           bool
	}{
		{admin, admin, true},
		{"policy:arn:aws*:iam::aws:policy/AdministratorAccess", admin, true},
		{"policy:arn:aws*:iam::aws:policy/AdministratorAccess", "policy:arn:aws-us-gov:iam::aws:policy/AdministratorAccess", true},
		{"policy:arn:aws*:iam::aws:policy/AdministratorAccess", "policy:arn:aws:iam::aws:policy/ReadOnlyAccess", false},
		{"policy:arn:aws:iam::*:policy/*-admin", "policy:arn:aws:iam::123456789012:policy/deploy-admin", true},
		// "*" crosses "/": a customer-managed policy with a path.
		{"policy:arn:aws:iam::*:policy/*-admin", "policy:arn:aws:iam::123456789012:policy/team/a/deploy-admin", true},
		{"policy:arn:aws:iam::123456789012:policy/team/*", "policy:arn:aws:iam::123456789012:policy/team/a/x", true},
		{"policy:arn:aws:iam::123456789012:policy/team/*", "policy:arn:aws:iam::123456789012:policy/other/x", false},
		{"policy:arn:aws:iam::123456789012:policy/team?x", "policy:arn:aws:iam::123456789012:policy/team/x", true},
		{"policy:*", admin, true},
		// The whole scope must match, not a part of it.
		{"policy:arn:aws:iam::aws:policy/Administrator", admin, false},
		{"arn:aws:iam::aws:policy/AdministratorAccess", admin, false},
		// Kubernetes scopes keep working.
		{"clusterrole:*@kube-system", "clusterrole:edit@kube-system", true},
		{"clusterrole:cluster-admin", "clusterrole:cluster-admin@default", false},
		// A malformed pattern matches nothing.
		{"policy:[", "policy:[", false},
	}
	for _, c := range cases {
		if got := MatchScope(c.pattern, c.scope); got != c.want {
			t.Errorf("MatchScope(%q, %q) = %v, want %v", c.pattern, c.scope, got, c.want)
		}
	}
	p := Policy{ForbiddenScopes: []string{admin}}
	if v := p.CheckScopes([]string{admin}); len(v) != 1 || !strings.Contains(v[0].Detail, admin) {
		t.Errorf("forbidden_scopes naming %s: CheckScopes = %+v, want one violation", admin, v)
	}
}

func TestCheckCapabilities(t *testing.T) {
	caps := []Capability{
		{ID: "secrets-read", Title: "read Secrets", Reach: ReachNamespace("ci"), Scope: "role:r", Path: `scope "role:r" -> Role ci/r -> rule get on secrets`},
		{ID: "pods-exec", Title: "run commands in containers (pods/exec)", Reach: ReachCluster, Scope: "role:r", Path: `scope "role:r" -> Role ci/r -> rule create on pods/exec`},
	}
	if v := (Policy{}).CheckCapabilities("service account ci/a", "role:r", caps); v != nil {
		t.Fatalf("no forbidden capabilities: %+v", v)
	}
	if v := (Policy{ForbiddenCapabilities: []string{"impersonate"}}).CheckCapabilities("service account ci/a", "role:r", caps); v != nil {
		t.Fatalf("the scope grants none of the forbidden ones: %+v", v)
	}
	v := Policy{ForbiddenCapabilities: []string{"secrets-read", "pods-exec"}}.CheckCapabilities("service account ci/a", "role:r", caps)
	want := `scopes contains "role:r", which lets service account ci/a read Secrets in namespace ci ("secrets-read", through Role ci/r -> rule get on secrets); ` +
		`and run commands in containers (pods/exec) cluster-wide ("pods-exec", through Role ci/r -> rule create on pods/exec); ` +
		`the provider's policy.forbidden_capabilities forbids "pods-exec", "secrets-read". Remove the scope and grant a narrower role or policy without these grants instead.`
	if v == nil || v.Summary != "Scope grants a forbidden capability" || v.Detail != want {
		t.Fatalf("got %+v\nwant detail %s", v, want)
	}
}
