package saas

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/nhi-ops/terraform-provider-nhi/internal/clock"
	"github.com/nhi-ops/terraform-provider-nhi/internal/framework"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// The plan's expiry diagnostics, as nhi_identity shows them: the expiring
// warning as every resource's; the expired ones without advice that needs
// a connector.
func TestExpiryDiagnosticsWithoutConnector(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	pd := framework.NewProviderData(clock.Fixed(now), nhi.DefaultPolicy(), nhi.DefaultMarkerPrefix, nil)
	const subject = "salesforce integration user billing-sync"
	plan := func(expires, onExpiry string) diag.Diagnostics {
		g := framework.GovernanceValues{Owner: types.StringValue("team:billing"), Purpose: types.StringValue("sync"), Scopes: []string{"api"},
			ExpiresAt: framework.NewExpiryValue(expires), OnExpiry: types.StringValue(onExpiry)}
		var d diag.Diagnostics
		framework.PlanGovernance(context.Background(), pd, subject, g, &g, &d, framework.Manual("salesforce"))
		return d
	}
	for name, c := range map[string]struct {
		expires, onExpiry string
		sev               diag.Severity
		summary, detail   string
	}{
		"expiring": {"2026-12-02", "warn", diag.SeverityWarning, "The " + subject + " expires in 9 days",
			subject + " expires at 2026-12-02T00:00:00Z (policy.warn_before is 30d). If it is still needed, extend expires_at in a reviewed change; otherwise on_expiry = \"warn\" applies then."},
		"expired, warn": {"2026-11-20", "warn", diag.SeverityWarning, "The " + subject + " has expired but keeps its access",
			subject + " expired at 2026-11-20T00:00:00Z (2 days ago) and on_expiry is \"warn\", so it keeps whatever access it has in salesforce: the provider has no connector to remove it. " +
				"Extend expires_at in a reviewed change if it is still needed; otherwise disable it in salesforce by hand and remove the resource, or set on_expiry = \"block\" to make plans fail until one of those is done."},
		"expired, block": {"2026-11-20", "block", diag.SeverityError, "The " + subject + " has expired",
			subject + " expired at 2026-11-20T00:00:00Z (2 days ago) and on_expiry is \"block\", so this plan cannot proceed. To go on, either extend expires_at in a reviewed change if it is still needed, " +
				"or remove it from salesforce by hand and then remove the resource. The provider cannot disable it: it has no connector to salesforce."},
	} {
		d := plan(c.expires, c.onExpiry)
		if len(d) != 1 || d[0].Severity() != c.sev || d[0].Summary() != c.summary || d[0].Detail() != c.detail {
			t.Errorf("%s: %v\nwant %q: %q", name, d, c.summary, c.detail)
			continue
		}
		if wp, ok := d[0].(diag.DiagnosticWithPath); !ok || wp.Path().String() != "expires_at" {
			t.Errorf("%s: not at expires_at: %v", name, d[0])
		}
		if strings.Contains(d[0].Detail(), `"disable"`) {
			t.Errorf("%s: advises on_expiry = \"disable\", which this resource refuses", name)
		}
	}
}
