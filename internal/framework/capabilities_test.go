package framework

import (
	"errors"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

var testWords = CapabilityWords{Grants: "roles", Source: "the registry", Holder: "workload", Narrower: "role"}

func diagTexts(d diag.Diagnostics) []string {
	var out []string
	for _, x := range d {
		out = append(out, x.Severity().String()+": "+x.Summary()+": "+x.Detail())
	}
	return out
}

func sameTexts(t *testing.T, got diag.Diagnostics, want ...string) {
	t.Helper()
	g := diagTexts(got)
	if len(g) != len(want) {
		t.Fatalf("got %d diagnostics, want %d:\n%q", len(g), len(want), g)
	}
	for i := range g {
		if g[i] != want[i] {
			t.Errorf("diagnostic %d:\n got %q\nwant %q", i, g[i], want[i])
		}
	}
}

// The read failure is an error while forbidden capabilities are configured
// (they cannot be enforced), a warning otherwise, in the system's words.
func TestScopeCapabilityDiagnosticsReadFailure(t *testing.T) {
	var d diag.Diagnostics
	ScopeCapabilityDiagnostics(nhi.Policy{ForbiddenCapabilities: []string{"secrets-read"}}, "account a", nil, errors.New("listing roles: timeout"), nil, testWords, &d)
	sameTexts(t, d, "Error: Cannot check the scopes for forbidden capabilities: listing roles: timeout. The provider's policy.forbidden_capabilities cannot be enforced without reading the roles; retry the plan once the registry answers.")

	d = nil
	ScopeCapabilityDiagnostics(nhi.Policy{}, "account a", nil, errors.New("listing roles: timeout"), map[string]bool{"x": true}, testWords, &d)
	sameTexts(t, d, "Warning: Cannot check the scopes for risky capabilities: listing roles: timeout. The plan goes on; the drift reporter checks the grants (NHI008).")
}

// A forbidden capability is an error on its scope whether or not the plan
// adds it; the other risky capabilities warn only for scopes it adds, each
// once, without the forbidden ones, worded by reach.
func TestScopeCapabilityDiagnosticsGroupsByScope(t *testing.T) {
	caps := []nhi.Capability{
		{ID: "secrets-read", Title: "read Secrets", Severity: nhi.CapabilityCritical, Reach: nhi.ReachCluster, Path: `scope "role:admin" -> rule get secrets`, Scope: "role:admin", Why: "Secrets hold credentials."},
		{ID: "pods-exec", Title: "run code in Pods", Severity: nhi.CapabilityHigh, Reach: nhi.ReachCluster, Path: `scope "role:admin" -> rule create pods/exec`, Scope: "role:admin", Why: "It runs as the Pod."},
		{ID: "pods-exec", Title: "run code in Pods", Severity: nhi.CapabilityMedium, Reach: nhi.ReachNamespace("ci"), Path: `scope "role:ci" -> rule create pods/exec`, Scope: "role:ci", Why: "It runs as the Pod."},
		{ID: "pods-exec", Title: "run code in Pods", Severity: nhi.CapabilityMedium, Reach: nhi.ReachNamespace("old"), Path: `scope "role:old" -> rule create pods/exec`, Scope: "role:old", Why: "It runs as the Pod."},
	}
	pol := nhi.Policy{ForbiddenCapabilities: []string{"secrets-read"}}
	var d diag.Diagnostics
	ScopeCapabilityDiagnostics(pol, "account a", caps, nil, map[string]bool{"role:admin": true, "role:ci": true}, testWords, &d)
	forbidden := pol.CheckCapabilities("account a", "role:admin", caps[:2])
	if forbidden == nil {
		t.Fatal("CheckCapabilities found nothing forbidden")
	}
	sameTexts(t, d,
		"Error: "+forbidden.Summary+": "+forbidden.Detail,
		`Warning: Scope grants a risky capability: scopes contains "role:admin", which lets account a run code in Pods cluster-wide (rule create pods/exec, high): It runs as the Pod.. If the workload does not need this, grant a narrower role instead; the drift reporter reports it as NHI008.`,
		`Warning: Scope grants a risky capability: scopes contains "role:ci", which lets account a run code in Pods in namespace ci (rule create pods/exec, medium): It runs as the Pod.. If the workload does not need this, grant a narrower role instead; the drift reporter reports it as NHI008.`,
	)
}
