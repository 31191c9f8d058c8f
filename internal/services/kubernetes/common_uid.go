package kubernetes

import (
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	k8s "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/kubernetes"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// lookup is what an ephemeral resource read by reference and, once known,
// by uid: the account a token is minted for, or the token Secret whose value
// is read.
type lookup struct {
	// Title and What name the object for people ("Token", "token Secret");
	// Short names it in "not the <Short> this configuration names".
	Title, What, Short string
	// Resource declares it; Anew says what the next apply does ("declare it
	// anew").
	Resource, Anew string
	Ref            nhi.Ref
	// At and UIDAt are the attributes the diagnostics point at.
	At, UIDAt path.Path
	// WantUID is the uid the configuration passed (empty: none), GotUID
	// the object's.
	WantUID, GotUID string
	// NotFound is the fix shown when the object is missing and no uid was
	// passed.
	NotFound string
}

// found adds the diagnostic for a missing, unreadable or replaced object
// and reports whether the object read (with err) is the one configured.
func (l lookup) found(err error, diags *diag.Diagnostics) bool {
	switch {
	case k8s.IsNotFound(err) && l.WantUID == "":
		diags.AddAttributeError(l.At, l.Title+" not found", fmt.Sprintf("%s %s does not exist. %s", l.What, l.Ref, l.NotFound))
	case k8s.IsNotFound(err):
		diags.AddAttributeError(l.At, l.Title+" not found",
			fmt.Sprintf("%s %s (UID %s) does not exist any more: it was deleted after Terraform learned its UID. Run terraform apply again to %s.", l.What, l.Ref, l.WantUID, l.Anew))
	case err != nil:
		diags.AddAttributeError(l.At, "Reading the "+l.Short+" failed", err.Error())
	case l.WantUID != "" && l.GotUID != l.WantUID:
		diags.AddAttributeError(l.UIDAt, l.Title+" was replaced",
			fmt.Sprintf("%s %s has UID %s, not %s: it was deleted and created again, so it is not the %s this configuration names. "+
				"Pass the uid of the %s that declares it, and run terraform apply again.", l.What, l.Ref, l.GotUID, l.WantUID, l.Short, l.Resource))
	default:
		return true
	}
	return false
}
