package drift

import (
	"strings"
	"testing"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// NHI008 reports each risky capability once per identity, with every path
// that grants it, the highest severity of its paths and a remediation per
// path; paths through a scope that is privileged by itself are its
// finding's, not repeated.
func TestCapabilityFindings(t *testing.T) {
	secrets := func(sev, reach, path, scope string) nhi.Capability {
		return nhi.Capability{ID: "secrets-read", Title: "read Secrets", Severity: sev, Reach: reach, Path: path, Scope: scope,
			Why: "it reads every Secret in reach", Fix: "Take scope " + scope + " away"}
	}
	id := declared("reader", func(id *nhi.Identity) {
		id.EffectiveScopes = []string{"clusterrole:view", "clusterrole:reader@ci", "clusterrole:cluster-admin", "role:all"}
		id.Governance.Scopes = id.EffectiveScopes
		id.WildcardScopes = []string{"role:all"}
		id.Capabilities = []nhi.Capability{
			secrets("high", nhi.ReachNamespace("ci"), "RoleBinding ci/r -> ClusterRole reader -> rule get on secrets", "clusterrole:reader@ci"),
			secrets("critical", nhi.ReachCluster, "ClusterRoleBinding g (subject group system:serviceaccounts) -> ClusterRole reader -> rule get on secrets", ""),
			// Covered by the privileged scopes' own finding.
			secrets("critical", nhi.ReachCluster, "ClusterRoleBinding admin -> ClusterRole cluster-admin -> rule * on *.*", "clusterrole:cluster-admin"),
			{ID: "wildcard", Title: "use a wildcard grant", Severity: "medium", Reach: nhi.ReachNamespace("ci"), Path: "RoleBinding ci/all -> Role ci/all -> rule * on *.*", Scope: "role:all", Why: "w", Fix: "f"},
			{ID: "pods-exec", Title: "run commands in containers (pods/exec)", Severity: "high", Reach: nhi.ReachNamespace("ci"), Path: "RoleBinding ci/x -> Role ci/exec -> rule create on pods/exec", Scope: "role:exec", Why: "it runs commands", Fix: "Remove the rule."},
		}
	})
	r := eval(DefaultPolicy(testSystems), id)
	var got []string
	for _, f := range r.Findings {
		got = append(got, f.RuleID+" "+string(f.Severity)+" "+f.key+": "+f.Message+" | "+f.Remediation)
	}
	priv, _ := RuleByID(RulePrivileged)
	want := []string{
		"NHI008 critical capability:secrets-read: service account ci/reader can read Secrets cluster-wide (ClusterRoleBinding g (subject group system:serviceaccounts) -> ClusterRole reader -> rule get on secrets)" +
			" and in namespace ci (RoleBinding ci/r -> ClusterRole reader -> rule get on secrets): it reads every Secret in reach" +
			" | Each of the 2 grants gives it; take every one away: (1) Take scope  away; (2) Take scope clusterrole:reader@ci away.",
		"NHI008 high : service account ci/reader holds privileged scopes: clusterrole:cluster-admin, role:all (grants every verb on every resource) | " + priv.Remediation,
		"NHI008 high capability:pods-exec: service account ci/reader can run commands in containers (pods/exec) in namespace ci (RoleBinding ci/x -> Role ci/exec -> rule create on pods/exec): it runs commands | Remove the rule.",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings differ.\ngot:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	fp := map[string]bool{}
	for _, f := range r.Findings {
		if fp[f.Fingerprint] {
			t.Errorf("two findings share fingerprint %s", f.Fingerprint)
		}
		fp[f.Fingerprint] = true
	}

	// Without capabilities there is nothing.
	if r := eval(DefaultPolicy(testSystems), declared("ok", nil)); len(r.Findings) != 0 {
		t.Errorf("findings %s", rules(r))
	}
}
