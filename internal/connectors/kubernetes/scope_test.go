package kubernetes

import (
	"strings"
	"testing"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

func TestParseScope(t *testing.T) {
	good := []struct {
		in    string
		want  Scope
		canon string
	}{
		{"clusterrole:view", Scope{ScopeClusterRole, "view", ""}, "clusterrole:view"},
		{"clusterrole:system:auth-delegator", Scope{ScopeClusterRole, "system:auth-delegator", ""}, "clusterrole:system:auth-delegator"},
		{"clusterrole:edit@team-a", Scope{ScopeClusterRole, "edit", "team-a"}, "clusterrole:edit@team-a"},
		{"clusterrole:edit@home", Scope{ScopeClusterRole, "edit", "home"}, "clusterrole:edit@home"},
		{"role:reader", Scope{ScopeRole, "reader", "home"}, "role:reader"},
		{"role:reader@home", Scope{ScopeRole, "reader", "home"}, "role:reader"},
		{"role:reader@other", Scope{ScopeRole, "reader", "other"}, "role:reader@other"},
	}
	for _, c := range good {
		got, err := ParseScope(c.in, "home")
		if err != nil || got != c.want {
			t.Errorf("ParseScope(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
			continue
		}
		if canon := got.Canonical("home"); canon != c.canon {
			t.Errorf("Canonical(%q) = %q, want %q", c.in, canon, c.canon)
		}
	}
	bad := map[string]string{
		"":                        "must start with",
		"view":                    "must start with",
		"ClusterRole:view":        "must start with",
		"group:admins":            "must start with",
		"clusterrole:":            "empty role name",
		"clusterrole:view@":       "empty namespace",
		"clusterrole:view@Bad_NS": "not a valid namespace name",
		"role:a/b":                "not a valid role name",
		"role:..":                 "not a valid role name",
		"role:has space":          "whitespace",
		"clusterrole: view":       "whitespace",
	}
	for in, want := range bad {
		if _, err := ParseScope(in, "home"); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseScope(%q) error = %v, want one containing %q", in, err, want)
		}
	}
}

func TestCanonicalScopes(t *testing.T) {
	got, err := CanonicalScopes([]string{"role:r@home", "role:r", "clusterrole:view"}, "home")
	if err != nil || strings.Join(got, ",") != "clusterrole:view,role:r" {
		t.Errorf("CanonicalScopes = %v, %v", got, err)
	}
}

func TestBindingName(t *testing.T) {
	ref := nhi.Ref{Location: "ci", Name: "deployer"}
	if got := BindingName(ref, Scope{ScopeClusterRole, "view", ""}); got != "nhi:ci:deployer:clusterrole:view" {
		t.Errorf("BindingName = %q", got)
	}
	long := nhi.Ref{Location: "ci", Name: strings.Repeat("a", 250)}
	a := BindingName(long, Scope{ScopeClusterRole, "view", ""})
	b := BindingName(long, Scope{ScopeClusterRole, "edit", ""})
	if len(a) > 253 || a == b {
		t.Errorf("long binding names must fit 253 characters and stay distinct: %d %q %q", len(a), a[240:], b[240:])
	}
}

func TestValidation(t *testing.T) {
	if err := ValidateNamespace("Bad_NS"); err == nil {
		t.Error("ValidateNamespace accepted Bad_NS")
	}
	if err := ValidateServiceAccountName("ok.name-1"); err != nil {
		t.Errorf("ValidateServiceAccountName: %v", err)
	}
	if err := ValidateServiceAccountName("-bad"); err == nil {
		t.Error("ValidateServiceAccountName accepted -bad")
	}
	m := Markers{Prefix: DefaultPrefix}
	for _, k := range []string{ManagedByLabel, "nhi.dev/owner"} {
		if err := m.ValidateLabel(k, "x"); err == nil || !strings.Contains(err.Error(), "reserved") {
			t.Errorf("ValidateLabel(%q) = %v, want reserved", k, err)
		}
	}
	if err := m.ValidateLabel("team", "not valid!"); err == nil {
		t.Error("ValidateLabel accepted an invalid value")
	}
	if err := ValidatePrefix("Not A Prefix"); err == nil {
		t.Error("ValidatePrefix accepted an invalid prefix")
	}
}
