package actions

import (
	"context"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/action"

	"github.com/nhi-ops/terraform-provider-nhi/internal/framework"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// All returns the factories of every action over the registered systems.
func All(systems []framework.System) []func() action.Action {
	return []func() action.Action{NewDisable(systems), NewRevokeCredentials(systems)}
}

// supporting returns the systems with a connector that offer an action
// (framework.System.Actions): the only ones it accepts and documents.
func supporting(systems []framework.System, offers func(framework.Actions) bool) []framework.System {
	var out []framework.System
	for _, s := range systems {
		if s.Configure != nil && offers(s.Actions) {
			out = append(out, s)
		}
	}
	return out
}

// NewDisable returns the factory of nhi_disable, over the systems that
// offer it.
func NewDisable(systems []framework.System) func() action.Action {
	systems = supporting(systems, func(a framework.Actions) bool { return a.Disable })
	return func() action.Action {
		return &identityAction{
			systems: systems,
			name:    "disable",
			doc: "Disables one identity now, for a suspected compromise or a departed owner, without editing `expires_at`: " +
				"what expiry with `on_expiry = \"disable\"` does. Every grant is removed, its credentials are turned off where the system " +
				"can turn them off, and the identity is kept, marked disabled.\n\n" +
				"The declaration is not changed, so the next plan of the identity's resource shows the in-place update that enables it " +
				"again (`status` from `disabled` to `active`, `effective_scopes` restored). To keep it disabled, set `expires_at` to now " +
				"with `on_expiry = \"disable\"`.",
			verb:    "disabling",
			done:    "disabled",
			nothing: "was already disabled",
			run: func(ctx context.Context, inv nhi.Inventory, pd *framework.ProviderData, id nhi.Identity, changed func(string)) ([]string, []string, bool, error) {
				d, ok := inv.(framework.Disabler)
				if !ok {
					return nil, nil, false, nil
				}
				usable, notes, err := d.DisableIdentity(ctx, id, pd.Clock.Now(), changed)
				return usable, notes, true, err
			},
		}
	}
}

// NewRevokeCredentials returns the factory of nhi_revoke_credentials, over
// the systems that offer it.
func NewRevokeCredentials(systems []framework.System) func() action.Action {
	systems = supporting(systems, func(a framework.Actions) bool { return a.RevokeCredentials })
	var kinds, types []string
	for _, s := range systems {
		var labels []string
		for _, c := range s.Core.Credentials {
			labels = append(labels, c.Label+"s")
			if c.ResourceType != "" {
				types = append(types, c.ResourceType)
			}
		}
		if len(labels) > 0 {
			kinds = append(kinds, s.Core.Title+": "+strings.Join(labels, ", "))
		}
	}
	doc := "Deletes every credential of one identity after a leak, governed or not (" + strings.Join(kinds, "; ") + "). " +
		"The identity and its grants stay.\n\n" +
		"The next plan shows the governed credentials' resources"
	if len(types) > 0 {
		doc += " (such as " + codes(types) + ")"
	}
	doc += " to be created again, with new secrets. Credentials the action cannot end (tokens a system stores nowhere, " +
		"sessions already issued or open) stay valid until they expire or are ended; the run raises a warning for each."
	return func() action.Action {
		return &identityAction{
			systems: systems,
			name:    "revoke_credentials",
			doc:     doc,
			verb:    "revoking the credentials of",
			done:    "credentials revoked",
			nothing: "had no credentials to revoke",
			run: func(ctx context.Context, inv nhi.Inventory, _ *framework.ProviderData, id nhi.Identity, changed func(string)) ([]string, []string, bool, error) {
				r, ok := inv.(framework.CredentialRevoker)
				if !ok {
					return nil, nil, false, nil
				}
				usable, notes, err := r.RevokeCredentials(ctx, id, changed)
				return usable, notes, true, err
			},
		}
	}
}
