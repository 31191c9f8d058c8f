package framework

import (
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// CapabilityWords are a system's words in the plan-time diagnostics of
// ScopeCapabilityDiagnostics.
type CapabilityWords struct {
	// Grants is what the check reads ("roles"), Source what answers ("the
	// registry"): "... without reading the <Grants>; retry the plan once
	// <Source> answers."
	Grants, Source string
	// Holder is what uses the identity ("workload") and Narrower what to
	// grant instead ("role"): "If the <Holder> does not need this, grant a
	// narrower <Narrower> instead".
	Holder, Narrower string
}

// ScopeCapabilityDiagnostics reports, on the scopes attribute, the risky
// capabilities that a plan's scopes grant subject: caps, as the connector
// resolved them, or err when it could not. Each capability belongs to the
// scope in its Scope.
//   - A scope granting one of pol.ForbiddenCapabilities is an error
//     (pol.CheckCapabilities), whether or not the plan adds it.
//   - A scope in added that grants other risky capabilities warns, so that
//     the grant is a reviewed decision; the drift reporter keeps reporting
//     the others (NHI008).
//   - err is an error when forbidden capabilities are configured (they
//     cannot be enforced without the grants), a warning otherwise.
func ScopeCapabilityDiagnostics(pol nhi.Policy, subject string, caps []nhi.Capability, err error, added map[string]bool, w CapabilityWords, diags *diag.Diagnostics) {
	if err != nil {
		if len(pol.ForbiddenCapabilities) > 0 {
			diags.AddAttributeError(path.Root("scopes"), "Cannot check the scopes for forbidden capabilities",
				err.Error()+". The provider's policy.forbidden_capabilities cannot be enforced without reading the "+w.Grants+"; retry the plan once "+w.Source+" answers.")
			return
		}
		diags.AddAttributeWarning(path.Root("scopes"), "Cannot check the scopes for risky capabilities",
			err.Error()+". The plan goes on; the drift reporter checks the grants (NHI008).")
		return
	}
	forbidden := map[string]bool{}
	for _, id := range pol.ForbiddenCapabilities {
		forbidden[id] = true
	}
	byScope := map[string][]nhi.Capability{}
	for _, cp := range caps {
		byScope[cp.Scope] = append(byScope[cp.Scope], cp)
	}
	for _, s := range nhi.SortedKeys(byScope) {
		if v := pol.CheckCapabilities(subject, s, byScope[s]); v != nil {
			diags.AddAttributeError(path.Root("scopes"), v.Summary, v.Detail)
		}
		if !added[s] {
			continue
		}
		var what []string
		for _, cp := range byScope[s] {
			if forbidden[cp.ID] {
				continue // an error above
			}
			reach := "in " + cp.Reach // as pol.CheckCapabilities words it
			if cp.Reach == nhi.ReachCluster {
				reach = "cluster-wide"
			}
			what = append(what, fmt.Sprintf("%s %s (%s, %s): %s", cp.Title, reach, strings.TrimPrefix(cp.Path, fmt.Sprintf("scope %q -> ", s)), cp.Severity, cp.Why))
		}
		if len(what) > 0 {
			diags.AddAttributeWarning(path.Root("scopes"), "Scope grants a risky capability",
				fmt.Sprintf("scopes contains %q, which lets %s %s. If the %s does not need this, grant a narrower %s instead; the drift reporter reports it as NHI008.",
					s, subject, strings.Join(what, "; and "), w.Holder, w.Narrower))
		}
	}
}
