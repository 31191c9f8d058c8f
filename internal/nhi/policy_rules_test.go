package nhi

import (
	"regexp"
	"testing"
	"time"
)

func TestForbiddenMatch(t *testing.T) {
	p := Policy{ForbiddenScopes: []string{"clusterrole:cluster-admin", "clusterrole:*@kube-system", "clusterrole:*", "policy:arn:aws:iam::*:policy/team/*"}}
	cases := []struct{ scope, want string }{
		{"clusterrole:cluster-admin", "clusterrole:cluster-admin"}, // first match in policy order, not the broader later one
		{"clusterrole:edit@kube-system", "clusterrole:*@kube-system"},
		{"clusterrole:view", "clusterrole:*"},
		{"role:view@default", ""},
		{"policy:arn:aws:iam::123456789012:policy/team/a/b", "policy:arn:aws:iam::*:policy/team/*"},
		{"", ""},
	}
	for _, c := range cases {
		if got := p.ForbiddenMatch(c.scope); got != c.want {
			t.Errorf("ForbiddenMatch(%q) = %q, want %q", c.scope, got, c.want)
		}
	}
	if got := (Policy{}).ForbiddenMatch("clusterrole:cluster-admin"); got != "" {
		t.Errorf("no forbidden scopes: ForbiddenMatch = %q, want \"\"", got)
	}
}

func TestOwnerAllowed(t *testing.T) {
	re := regexp.MustCompile("^(?:team:[a-z-]+)$")
	cases := []struct {
		pattern *regexp.Regexp
		owner   string
		want    bool
	}{
		{nil, "", true},
		{nil, "anyone", true},
		{re, "team:payments", true},
		{re, "team:Payments", false},
		{re, "xteam:payments", false},
		{re, "", false},
	}
	for _, c := range cases {
		if got := (Policy{OwnerPattern: c.pattern}).OwnerAllowed(c.owner); got != c.want {
			t.Errorf("OwnerAllowed(%q) with pattern %v = %v, want %v", c.owner, c.pattern, got, c.want)
		}
	}
}

func TestLifetimeExceeded(t *testing.T) {
	now := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	limit := 365 * 24 * time.Hour
	cases := []struct {
		name    string
		limit   time.Duration
		expires time.Time
		want    bool
	}{
		{"well within", limit, now.Add(30 * 24 * time.Hour), false},
		{"exactly max_lifetime away", limit, now.Add(limit), false},
		{"one nanosecond over", limit, now.Add(limit + time.Nanosecond), true},
		{"in the past", limit, now.Add(-time.Hour), false},
		{"zero expiry", limit, time.Time{}, false},
		{"no limit", 0, now.Add(100 * limit), false},
		{"negative limit", -time.Hour, now.Add(100 * limit), false},
	}
	for _, c := range cases {
		if got := (Policy{MaxLifetime: c.limit}).LifetimeExceeded(now, c.expires); got != c.want {
			t.Errorf("%s: LifetimeExceeded = %v, want %v", c.name, got, c.want)
		}
		if got := (Policy{MaxLifetime: c.limit}).CheckLifetime(now, c.expires) != nil; got != c.want {
			t.Errorf("%s: CheckLifetime violation = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestCredentialOverdue(t *testing.T) {
	day := 24 * time.Hour
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	age := 90 * day
	cases := []struct {
		name    string
		limit   time.Duration
		created time.Time
		now     time.Time
		want    bool
	}{
		{"young", age, created, created.Add(day), false},
		{"one nanosecond before max_credential_age", age, created, created.Add(age - time.Nanosecond), false},
		{"exactly max_credential_age old", age, created, created.Add(age), true},
		{"older", age, created, created.Add(age + day), true},
		{"unknown creation time", age, time.Time{}, created.Add(age + day), false},
		{"no max_credential_age", 0, created, created.Add(1000 * day), false},
		{"negative max_credential_age", -day, created, created.Add(1000 * day), false},
	}
	for _, c := range cases {
		p := Policy{MaxCredentialAge: c.limit, WarnBefore: DefaultWarnBefore}
		if got := p.CredentialOverdue(c.now, c.created); got != c.want {
			t.Errorf("%s: CredentialOverdue = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestCheckRotationPeriod(t *testing.T) {
	day := 24 * time.Hour
	p := Policy{MaxCredentialAge: 90 * day}
	for _, d := range []time.Duration{time.Hour, 30 * day, 90 * day} {
		if v := p.CheckRotationPeriod(d); v != nil {
			t.Errorf("CheckRotationPeriod(%v) = %+v, want nil", d, v)
		}
	}
	// The text framework.RotationPeriod reported (services/kubernetes
	// credentials_test.go pins the start of it).
	v := p.CheckRotationPeriod(120 * day)
	want := Violation{
		Summary: "Rotation period exceeds policy",
		Detail:  "rotate_after 120d is longer than the provider's policy.max_credential_age of 90d. Set rotate_after to 90d or less.",
	}
	if v == nil || *v != want {
		t.Errorf("CheckRotationPeriod(120d) = %+v, want %+v", v, want)
	}
	v = p.CheckRotationPeriod(90*day + time.Hour)
	if v == nil || v.Detail != "rotate_after 2161h0m0s is longer than the provider's policy.max_credential_age of 90d. Set rotate_after to 90d or less." {
		t.Errorf("CheckRotationPeriod(90d1h) = %+v", v)
	}
	for _, limit := range []time.Duration{0, -day} {
		if v := (Policy{MaxCredentialAge: limit}).CheckRotationPeriod(1000 * day); v != nil {
			t.Errorf("max_credential_age %v: CheckRotationPeriod = %+v, want nil", limit, v)
		}
	}
}

// The checks keep their exact texts after being rebuilt on the rules above.
func TestPolicyCheckTexts(t *testing.T) {
	now := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	re, err := CompileOwnerPattern(`team:[a-z-]+`)
	if err != nil {
		t.Fatal(err)
	}
	p := Policy{MaxLifetime: 365 * 24 * time.Hour, OwnerPattern: re, ForbiddenScopes: []string{"clusterrole:cluster-admin", "clusterrole:*"}}

	if v := p.CheckOwner("bob"); v == nil || *v != (Violation{
		Summary: "Owner does not match the owner policy",
		Detail:  `owner "bob" does not match the provider's policy.owner_pattern "team:[a-z-]+". Set owner to a responsible person or team in the form the policy requires.`,
	}) {
		t.Errorf("CheckOwner = %+v", v)
	}
	got := p.CheckScopes([]string{"role:view@default", "clusterrole:cluster-admin", "clusterrole:edit"})
	want := []Violation{
		{Summary: "Forbidden scope", Detail: `scope "clusterrole:cluster-admin" is forbidden by the provider's policy.forbidden_scopes (it matches "clusterrole:cluster-admin"). Remove it from scopes and grant a narrower role instead.`},
		{Summary: "Forbidden scope", Detail: `scope "clusterrole:edit" is forbidden by the provider's policy.forbidden_scopes (it matches "clusterrole:*"). Remove it from scopes and grant a narrower role instead.`},
	}
	if len(got) != len(want) {
		t.Fatalf("CheckScopes = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("CheckScopes[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
	if v := p.CheckLifetime(now, now.Add(400*24*time.Hour)); v == nil || *v != (Violation{
		Summary: "Lifetime exceeds policy",
		Detail: "expires_at 2027-12-27T00:00:00Z is 400 days away, beyond the provider's policy.max_lifetime of 365d. " +
			"Set expires_at on or before 2027-11-22T00:00:00Z, and extend it in a reviewed change when the identity is still needed.",
	}) {
		t.Errorf("CheckLifetime = %+v", v)
	}
}
