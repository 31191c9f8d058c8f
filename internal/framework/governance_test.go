package framework

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/nhi-ops/terraform-provider-nhi/internal/clock"
	k8s "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/kubernetes"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

var now = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

func pd(p nhi.Policy) *ProviderData {
	return NewProviderData(clock.Fixed(now), p, k8s.DefaultPrefix, nil)
}

func gov(expires, onExpiry string, scopes ...string) GovernanceValues {
	return GovernanceValues{
		Owner: types.StringValue("team:platform"), Purpose: types.StringValue("tests"),
		Scopes: scopes, ExpiresAt: NewExpiryValue(expires), OnExpiry: types.StringValue(onExpiry),
	}
}

// one returns the single diagnostic, failing otherwise.
func one(t *testing.T, diags diag.Diagnostics, sev diag.Severity) diag.Diagnostic {
	t.Helper()
	if len(diags) != 1 || diags[0].Severity() != sev {
		t.Fatalf("want one diagnostic of severity %v, got %v", sev, diags)
	}
	return diags[0]
}

func attrPath(d diag.Diagnostic) string {
	if wp, ok := d.(diag.DiagnosticWithPath); ok {
		return wp.Path().String()
	}
	return ""
}

func TestPlanGovernanceExpiringWarns(t *testing.T) {
	var diags diag.Diagnostics
	state := gov("2026-12-10", "disable")
	g := PlanGovernance(context.Background(), pd(nhi.DefaultPolicy()), "service account ci/deployer", gov("2026-12-10", "disable"), &state, &diags)
	if g.Decision.Status != nhi.StatusExpiring {
		t.Errorf("status = %s", g.Decision.Status)
	}
	d := one(t, diags, diag.SeverityWarning)
	if d.Summary() != "The service account ci/deployer expires in 17 days" || attrPath(d) != "expires_at" ||
		!strings.Contains(d.Detail(), "2026-12-10T00:00:00Z") || !strings.Contains(d.Detail(), "extend expires_at") {
		t.Errorf("warning = %q / %q at %q", d.Summary(), d.Detail(), attrPath(d))
	}
}

func TestPlanGovernanceExpired(t *testing.T) {
	state := gov("2026-11-01", "disable")
	var diags diag.Diagnostics
	g := PlanGovernance(context.Background(), pd(nhi.DefaultPolicy()), "service account ci/deployer", gov("2026-11-01", "disable"), &state, &diags)
	if !g.Decision.Disable || g.Decision.Status != nhi.StatusDisabled {
		t.Errorf("disable: %+v", g.Decision)
	}
	if d := one(t, diags, diag.SeverityWarning); !strings.Contains(d.Summary(), "this plan disables it") {
		t.Errorf("disable warning = %q", d.Summary())
	}

	diags = nil
	state = gov("2026-11-01", "block")
	PlanGovernance(context.Background(), pd(nhi.DefaultPolicy()), "service account ci/deployer", gov("2026-11-01", "block"), &state, &diags)
	if d := one(t, diags, diag.SeverityError); !strings.Contains(d.Detail(), "extend expires_at") || !strings.Contains(d.Detail(), "on_expiry = \"disable\"") {
		t.Errorf("block error = %q", d.Detail())
	}

	diags = nil
	state = gov("2026-11-01", "warn")
	g = PlanGovernance(context.Background(), pd(nhi.DefaultPolicy()), "service account ci/deployer", gov("2026-11-01", "warn"), &state, &diags)
	if g.Decision.Status != nhi.StatusExpired || g.Decision.Disable {
		t.Errorf("warn: %+v", g.Decision)
	}
	if d := one(t, diags, diag.SeverityWarning); !strings.Contains(d.Summary(), "keeps its access") {
		t.Errorf("warn warning = %q", d.Summary())
	}
}

func TestPlanGovernancePolicy(t *testing.T) {
	re, _ := nhi.CompileOwnerPattern(`team:[a-z]+`)
	p := nhi.DefaultPolicy()
	p.OwnerPattern = re
	p.ForbiddenScopes = []string{"clusterrole:cluster-admin"}
	cases := []struct {
		name  string
		plan  GovernanceValues
		state *GovernanceValues
		path  string
		want  string
	}{
		{"past at create", gov("2026-11-01", "disable"), nil, "expires_at", "already past"},
		{"over max lifetime", gov("2028-01-01", "disable"), nil, "expires_at", "policy.max_lifetime of 365d"},
		{"changed to the past", gov("2026-11-01", "disable"), ptr(gov("2027-01-01", "disable")), "expires_at", "already past"},
		{"forbidden scope", gov("2027-01-01", "disable", "clusterrole:cluster-admin"), nil, "scopes", "policy.forbidden_scopes"},
		{"owner pattern", func() GovernanceValues {
			g := gov("2027-01-01", "disable")
			g.Owner = types.StringValue("bob")
			return g
		}(), nil, "owner", "policy.owner_pattern"},
	}
	for _, c := range cases {
		var diags diag.Diagnostics
		PlanGovernance(context.Background(), pd(p), "service account ci/deployer", c.plan, c.state, &diags)
		d := one(t, diags, diag.SeverityError)
		if attrPath(d) != c.path || !strings.Contains(d.Detail(), c.want) {
			t.Errorf("%s: got %q at %q, want %q at %q", c.name, d.Detail(), attrPath(d), c.want, c.path)
		}
	}

	// An unchanged expiry beyond a since-tightened max_lifetime does not
	// block unrelated changes.
	var diags diag.Diagnostics
	state := gov("2027-06-01", "disable")
	tight := nhi.DefaultPolicy()
	tight.MaxLifetime = 30 * 24 * time.Hour
	PlanGovernance(context.Background(), pd(tight), "x", gov("2027-06-01", "disable"), &state, &diags)
	if diags.HasError() {
		t.Errorf("unchanged expiry must not be re-checked against max_lifetime: %v", diags)
	}
}

func TestExpirySemanticEquality(t *testing.T) {
	eq := func(a, b string) bool {
		ok, _ := NewExpiryValue(a).StringSemanticEquals(context.Background(), NewExpiryValue(b))
		return ok
	}
	if !eq("2027-03-31", "2027-03-31T00:00:00Z") || !eq("2027-03-31T02:00:00+02:00", "2027-03-31") {
		t.Error("the same instant in two forms must be semantically equal")
	}
	if eq("2027-03-31", "2027-04-01") || eq("garbage", "garbage2") {
		t.Error("different or unparseable instants must not be equal")
	}
}

func ptr[T any](v T) *T { return &v }
