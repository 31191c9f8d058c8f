package framework

import (
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// RotationPeriod is a credential's rotation period: rotate_after, which may
// not exceed the policy's max_credential_age (the default). It returns 0
// after adding an attribute error.
func RotationPeriod(pd *ProviderData, rotateAfter types.String, diags *diag.Diagnostics) time.Duration {
	if rotateAfter.IsNull() || rotateAfter.IsUnknown() {
		return pd.Policy.MaxCredentialAge
	}
	d, err := nhi.ParseDuration(rotateAfter.ValueString())
	if err != nil {
		diags.AddAttributeError(path.Root("rotate_after"), "Invalid duration", "rotate_after "+err.Error())
		return 0
	}
	if v := pd.Policy.CheckRotationPeriod(d); v != nil {
		diags.AddAttributeError(path.Root("rotate_after"), v.Summary, v.Detail)
		return 0
	}
	return d
}

// Rotation is what a plan does about a credential's age.
type Rotation struct {
	Due time.Time
	// Replace is true once Due has passed (as of the evaluation time).
	Replace bool
}

// PlanRotation decides rotation for a credential created at createdAt
// (RFC 3339) with the given period, warning when it is due or soon due.
// noun names the credential ("token", "access key").
func PlanRotation(pd *ProviderData, subject, noun, createdAt string, period time.Duration, diags *diag.Diagnostics) (Rotation, bool) {
	created, err := time.Parse(time.RFC3339, createdAt)
	if err != nil || period <= 0 {
		return Rotation{}, false
	}
	d := nhi.DecideRotation(pd.Clock.Now(), created, period, pd.Policy.WarnBefore)
	switch {
	case d.Replace:
		diags.AddAttributeWarning(path.Root("rotate_after"), fmt.Sprintf("The %s is due for rotation", subject),
			fmt.Sprintf("The %s was created at %s and rotation was due at %s. This plan replaces it with a new %s; with "+
				"create_before_destroy the old one is deleted only after the new one exists. Consumers that reference this resource in "+
				"replace_triggered_by are replaced with it.", noun, createdAt, nhi.FormatTime(d.Due), noun))
	case d.Warn:
		diags.AddAttributeWarning(path.Root("rotate_after"), fmt.Sprintf("The %s is due for rotation in %s", subject, nhi.HumanDuration(d.Remaining)),
			fmt.Sprintf("The %s will be replaced by the first plan after %s. Make sure its consumers pick up the new one (replace_triggered_by), "+
				"or set create_before_destroy so that old and new overlap.", noun, nhi.FormatTime(d.Due)))
	}
	return Rotation{Due: d.Due, Replace: d.Replace}, true
}
