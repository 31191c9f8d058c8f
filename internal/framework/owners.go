package framework

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// OwnerCheck is the provider's owners block as plans use it.
type OwnerCheck struct {
	// Directory is the owner directory (cached for the command); nil
	// without an owners block.
	Directory nhi.OwnerDirectory
	// Require is policy.owner_must_exist.
	Require nhi.OwnerRequirement
	// Pending names the owners block's attributes whose values are not
	// known yet: the check is skipped until they are (the apply's plan
	// runs it), and the directory is never guessed.
	Pending []string
}

// Enabled reports whether plans consult the directory.
func (c OwnerCheck) Enabled() bool {
	return c.Directory != nil && c.Require != nhi.OwnerMustExistOff && c.Require != "" && len(c.Pending) == 0
}

// CheckOwnerDirectory checks a planned owner against the owner directory:
// a new owner (create, or a changed owner) who is not an active person or
// team is an error on owner; an existing owner who has left is a warning
// on owner on every plan, or an error with policy.owner_must_exist =
// "error". It never plans a disable or a destroy. A directory that cannot
// answer is an error naming the owners block, never "the owner left".
func CheckOwnerDirectory(ctx context.Context, pd *ProviderData, subject string, owner types.String, prior *types.String, diags *diag.Diagnostics) {
	checkOwnerDirectory(ctx, pd, subject, owner, prior, false, diags)
}

// checkOwnerDirectory is CheckOwnerDirectory; disabling is true when the
// plan disables the identity for its expiry, which turns an existing
// owner's departure into a warning whatever owner_must_exist says, so that
// the plan that removes its access can run.
func checkOwnerDirectory(ctx context.Context, pd *ProviderData, subject string, owner types.String, prior *types.String, disabling bool, diags *diag.Diagnostics) {
	if pd == nil || !pd.Owners.Enabled() || owner.IsUnknown() || owner.IsNull() {
		return
	}
	o := owner.ValueString()
	if pd.Policy.CheckOwner(o) != nil {
		return // owner_pattern already refuses it
	}
	newOwner := prior == nil || prior.IsNull() || prior.IsUnknown() || prior.ValueString() != o
	dir := pd.Owners.Directory
	got, err := dir.Lookup(ctx, []string{o})
	if err != nil {
		diags.AddError("Owners directory could not be read",
			fmt.Sprintf("The owner of %s could not be checked against the directory of the provider's owners block (%s): %v\n\n"+
				"The plan stops instead of treating the owner as present or gone. Check the owners block (ldap: url, start_tls, ca_certificate, "+
				"bind_dn, bind_password, base_dn) and that the directory is reachable from here; policy.owner_must_exist = \"off\" plans without it.",
				subject, dir.Name(), err))
		return
	}
	f := nhi.CheckOwnerStatus(pd.Owners.Require, subject, o, got[o], dir.Name(), nhi.OwnerPlan{New: newOwner, Disabling: disabling})
	switch {
	case f == nil:
	case f.Error:
		diags.AddAttributeError(path.Root("owner"), f.Summary, f.Detail)
	default:
		diags.AddAttributeWarning(path.Root("owner"), f.Summary, f.Detail)
	}
}
