package drift

import (
	"reflect"
	"sort"
	"testing"
	"time"

	k8s "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/kubernetes"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/system"
)

func sa(ns, name string, declared bool, scopes ...string) nhi.Identity {
	return nhi.Identity{System: k8s.SystemName, Kind: k8s.KindServiceAccount, Ref: nhi.Ref{Location: ns, Name: name}, Declared: declared, EffectiveScopes: scopes}
}

func refs(ids []nhi.Identity) []string {
	out := []string{}
	for _, id := range ids {
		out = append(out, id.Ref.String())
	}
	return out
}

func TestUndeclaredDefaultExclusions(t *testing.T) {
	in := []nhi.Identity{
		sa("kube-system", "coredns", false, "clusterrole:system:coredns"),
		sa("kube-public", "default", false),
		sa("kube-node-lease", "default", false),
		sa("team-a", "default", false),                            // default, no grants: noise
		sa("team-b", "default", false, "clusterrole:edit@team-b"), // default with grants: reported
		sa("team-a", "runner", false),
		sa("team-a", "deployer", true, "clusterrole:view"), // declared: never reported
	}
	report, excluded := Undeclared(in, UndeclaredOptions{Systems: testSystems})
	if got, want := refs(report), []string{"team-b/default", "team-a/runner"}; !reflect.DeepEqual(got, want) {
		t.Errorf("reported %v, want %v", got, want)
	}
	reasons := map[string]string{}
	for _, e := range excluded {
		reasons[e.Identity.Ref.String()] = e.Reason
	}
	want := map[string]string{
		"kube-system/coredns": k8s.ReasonSystemNamespace, "kube-public/default": k8s.ReasonSystemNamespace,
		"kube-node-lease/default": k8s.ReasonSystemNamespace, "team-a/default": k8s.ReasonDefaultAccount,
	}
	if !reflect.DeepEqual(reasons, want) {
		t.Errorf("excluded %v, want %v", reasons, want)
	}

	all, none := Undeclared(in, UndeclaredOptions{Systems: testSystems, IncludeSystem: true})
	if len(all) != 6 || len(none) != 0 {
		t.Errorf("IncludeSystem: reported %v excluded %d, want every undeclared identity", refs(all), len(none))
	}
}

func TestUndeclaredIgnorePatterns(t *testing.T) {
	in := []nhi.Identity{sa("ci", "runner-1", false), sa("ci", "runner-2", false), sa("ci", "builder", false), sa("monitoring", "prom", false)}
	report, excluded := Undeclared(in, UndeclaredOptions{Systems: testSystems, Ignore: []string{"*/runner-*", "monitoring/*"}})
	if got := refs(report); !reflect.DeepEqual(got, []string{"ci/builder"}) {
		t.Errorf("reported %v", got)
	}
	if len(excluded) != 3 || excluded[0].Pattern != "*/runner-*" || excluded[2].Pattern != "monitoring/*" || excluded[0].Reason != ReasonIgnored {
		t.Errorf("excluded %+v", excluded)
	}
	// "*" does not cross "/": a bare "*" matches no namespace/name.
	if r, _ := Undeclared(in, UndeclaredOptions{Systems: testSystems, Ignore: []string{"*"}}); len(r) != 4 {
		t.Errorf("pattern * must not match namespace/name, reported %v", refs(r))
	}
	for _, p := range []string{"", "ci/[a"} {
		if err := ValidateIgnorePattern(p); err == nil {
			t.Errorf("ValidateIgnorePattern(%q) accepted", p)
		}
	}
}

// storeSystems has a declarable kind and one no resource declares (a
// store of secrets).
var storeSystems = system.NewRegistry(system.Descriptor{Name: "store", Title: "Store",
	Kinds: []system.Kind{
		{Kind: "account", Label: "account", ResourceType: "nhi_store_account"},
		{Kind: "vault", Label: "secret vault", Undeclarable: true},
	},
	Credentials: []system.CredentialKind{{Kind: "store_secret", Label: "secret"}},
})

func TestDeclarableHonoursUndeclarableKinds(t *testing.T) {
	for _, c := range []struct {
		id   nhi.Identity
		want bool
	}{
		{nhi.Identity{System: "store", Kind: "account"}, true},
		{nhi.Identity{System: "store", Kind: "vault"}, false},
		{nhi.Identity{System: "store", Kind: "unknown"}, true},
		{nhi.Identity{System: "other", Kind: "vault"}, true},
	} {
		if got := Declarable(storeSystems, c.id); got != c.want {
			t.Errorf("Declarable(%s %s) = %v, want %v", c.id.System, c.id.Kind, got, c.want)
		}
	}
	if !Declarable(nil, nhi.Identity{System: "store", Kind: "vault"}) {
		t.Error("Declarable with no registry = false, want true")
	}
}

// An undeclared identity of a kind no resource declares is not NHI001;
// its credentials are judged all the same (NHI007 for age). A declarable
// one of the same system still is NHI001.
func TestEvaluateUndeclarableKindIsNoNHI001(t *testing.T) {
	now := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	old := now.Add(-200 * 24 * time.Hour)
	ids := []nhi.Identity{
		{System: "store", Kind: "vault", ID: "v1", Ref: nhi.Ref{Location: "vault", Name: "v1"}, CreatedAt: old,
			Credentials: []nhi.Credential{{ID: "API_KEY", Kind: "store_secret", CreatedAt: old}}},
		{System: "store", Kind: "account", ID: "a1", Ref: nhi.Ref{Location: "account", Name: "a1"}, CreatedAt: now.Add(-time.Hour)},
	}
	r := Evaluate(Input{Systems: storeSystems, Now: now, Policy: DefaultPolicy(storeSystems), Sources: []Source{{Name: "s", System: "store", Identities: ids}}})
	var got []string
	for _, f := range r.Findings {
		got = append(got, f.RuleID+" "+f.Identity.ID)
	}
	sort.Strings(got)
	if want := []string{"NHI001 account/a1", "NHI007 vault/v1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("findings %v, want %v", got, want)
	}
}
