package drift

import (
	"strings"
	"testing"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// An undeclared identity holding a critical capability is NHI001 high,
// naming it, as one holding a privileged scope is; a high capability, or a
// critical one through a privileged scope (whose own mention makes it high
// already), leaves NHI001 as it was.
func TestUndeclaredWithCriticalCapabilityIsHigh(t *testing.T) {
	capab := func(id, title, sev, scope string) nhi.Capability {
		return nhi.Capability{ID: id, Title: title, Severity: sev, Reach: nhi.ReachCluster, Path: "p " + id, Scope: scope, Why: "w", Fix: "f"}
	}
	undeclared := func(name string, caps ...nhi.Capability) nhi.Identity {
		return declared(name, func(id *nhi.Identity) {
			id.Declared = false
			id.Governance = nhi.Governance{}
			if name == "covered" {
				id.EffectiveScopes = append(id.EffectiveScopes, "clusterrole:cluster-admin")
			}
			id.Capabilities = caps
		})
	}
	r := eval(DefaultPolicy(testSystems),
		undeclared("critical", capab("secrets-read", "read Secrets", nhi.CapabilityCritical, ""), capab("pods-exec", "run commands in containers", nhi.CapabilityCritical, "clusterrole:view"),
			capab("pods-portforward", "forward ports", nhi.CapabilityHigh, "")),
		undeclared("high", capab("pods-portforward", "forward ports", nhi.CapabilityHigh, "")),
		undeclared("covered", capab("secrets-read", "read Secrets", nhi.CapabilityCritical, "clusterrole:cluster-admin")),
		declared("declared", func(id *nhi.Identity) {
			id.Capabilities = []nhi.Capability{capab("secrets-read", "read Secrets", nhi.CapabilityCritical, "")}
		}),
	)
	var got []string
	for _, f := range r.Findings {
		if f.RuleID == RuleUndeclared {
			got = append(got, string(f.Severity)+" "+f.Identity.ID+": "+f.Message)
		}
	}
	want := []string{
		`high ci/covered: service account ci/covered exists in source "s" but is not declared; it holds privileged scopes`,
		`high ci/critical: service account ci/critical exists in source "s" but is not declared; it can run commands in containers (pods-exec), read Secrets (secrets-read)`,
		`medium ci/high: service account ci/high exists in source "s" but is not declared`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("NHI001 findings:\n got  %s\n want %s", strings.Join(got, "\n      "), strings.Join(want, "\n      "))
	}
}
