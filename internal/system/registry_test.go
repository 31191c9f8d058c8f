package system

import (
	"testing"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

func testRegistry() *Registry {
	return NewRegistry(
		Descriptor{Name: "alpha", Title: "Alpha",
			Kinds:       []Kind{{Kind: "bot", Label: "chat bot", ResourceType: "nhi_alpha_bot"}},
			Credentials: []CredentialKind{{Kind: "alpha_key", Label: "alpha key", ResourceType: "nhi_alpha_key", NeverExpires: true}},
			Exclusions: []Exclusion{
				{Reason: "first", Match: func(id nhi.Identity) bool { return id.Ref.Name == "system" }},
				{Reason: "second", Match: func(id nhi.Identity) bool { return id.Ref.Location == "internal" }},
			},
			PrivilegedScopes: []string{"admin"}},
		Descriptor{Name: "beta", Kinds: []Kind{{Kind: "app", ResourceType: "nhi_beta_app"}}, PrivilegedScopes: []string{"root"}},
	)
}

func TestRegistryLookups(t *testing.T) {
	r := testRegistry()
	if sys, k, ok := r.ByResourceType("nhi_beta_app"); !ok || sys != "beta" || k.Kind != "app" {
		t.Errorf("ByResourceType(nhi_beta_app) = %q %+v %v", sys, k, ok)
	}
	if _, _, ok := r.ByResourceType("nhi_alpha_key"); ok {
		t.Error("a credential resource type was found as an identity kind")
	}
	if sys, c, ok := r.CredentialByResourceType("nhi_alpha_key"); !ok || sys != "alpha" || !c.NeverExpires {
		t.Errorf("CredentialByResourceType(nhi_alpha_key) = %q %+v %v", sys, c, ok)
	}
	if got := r.KindLabel("bot"); got != "chat bot" {
		t.Errorf("KindLabel(bot) = %q", got)
	}
	if got := r.KindLabel("app"); got != "app" {
		t.Errorf("KindLabel falls back to the kind with spaces: %q", got)
	}
	if got, want := r.CredentialLabel("other"), "credential"; got != want {
		t.Errorf("CredentialLabel(other) = %q, want %q", got, want)
	}
	if !r.IsCredential("alpha_key") || r.IsCredential("bot") {
		t.Error("IsCredential")
	}
	id := nhi.Identity{System: "alpha", Ref: nhi.Ref{Location: "internal", Name: "system"}}
	if got := r.Exclusion(id); got != "first" {
		t.Errorf("Exclusion takes the first match: %q", got)
	}
	id.System = "beta"
	if got := r.Exclusion(id); got != "" {
		t.Errorf("another system's exclusion applied: %q", got)
	}
	if got := r.PrivilegedScopes(); len(got) != 2 || got[0] != "admin" || got[1] != "root" {
		t.Errorf("PrivilegedScopes = %v", got)
	}
	var none *Registry
	if none.All() != nil || none.Exclusion(id) != "" {
		t.Error("a nil registry is not empty")
	}
}

func TestRegistryRefusesDuplicates(t *testing.T) {
	for name, ds := range map[string][]Descriptor{
		"system name":   {{Name: "a"}, {Name: "a"}},
		"resource type": {{Name: "a", Kinds: []Kind{{Kind: "x", ResourceType: "nhi_t"}}}, {Name: "b", Credentials: []CredentialKind{{Kind: "y", ResourceType: "nhi_t"}}}},
		"empty name":    {{}},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			NewRegistry(ds...)
		})
	}
}

// A system with free-form kinds answers every kind of its own with its one
// Kind; a system with fixed kinds answers only those.
func TestRegistryFreeFormKinds(t *testing.T) {
	r := NewRegistry(
		Descriptor{Name: "fixed", Kinds: []Kind{{Kind: "app", ResourceType: "nhi_fixed_app"}}},
		Descriptor{Name: "open", Kinds: []Kind{{Kind: "open_identity", Label: "open identity", ResourceType: "nhi_open", KindAttr: "kind"}}},
	)
	for _, kind := range []string{"bot", "api_key", "open_identity", ""} {
		if k, ok := r.Kind("open", kind); !ok || k.ResourceType != "nhi_open" {
			t.Errorf("Kind(open, %q) = %+v %v", kind, k, ok)
		}
	}
	if _, ok := r.Kind("fixed", "bot"); ok {
		t.Error("a fixed-kind system answered a kind it does not have")
	}
	if got := r.KindLabel("integration_user"); got != "integration user" {
		t.Errorf("KindLabel(integration_user) = %q", got)
	}
}
