package drift

import (
	"fmt"
	"strings"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// This file holds what the engine does for kinds whose governance lives in
// Terraform state rather than on the identity (system.Kind.GovernedInState:
// a system the provider makes no API calls to, whose source is an export
// that knows nothing of our markers), and for kinds whose last use is their
// last activity (system.Kind.LastUsedIsActivity).

// indexGoverned indexes the declarations that carry their governance by
// system and reference; the first of two for one reference wins.
func indexGoverned(decls []Declaration) map[string]Declaration {
	out := map[string]Declaration{}
	for _, d := range decls {
		if d.Governance == nil || d.IsCredential() {
			continue
		}
		if _, dup := out[stateKey(d.System, d.ID)]; !dup {
			out[stateKey(d.System, d.ID)] = d
		}
	}
	return out
}

// govern gives an identity of a kind governed in state what its
// declaration says: declared, with the declaration's owner, purpose,
// scopes and expiry, and its kind when the source gave none. A source that
// lists no scopes (nil EffectiveScopes) is taken to grant the declared
// ones. Without a declaration the identity is undeclared, whatever the
// source says. Identities of other kinds are returned as they are.
func (e *evaluator) govern(id nhi.Identity) nhi.Identity {
	k, ok := e.in.Systems.Kind(id.System, id.Kind)
	if !ok || !k.GovernedInState {
		return id
	}
	d, declared := e.governed[stateKey(id.System, id.Ref.String())]
	if declared && d.UID != "" && id.ID != "" && d.UID != id.ID {
		declared = false // another identity of that name
	}
	id.Declared = declared
	if declared {
		g := *d.Governance
		g.Scopes = append([]string(nil), g.Scopes...)
		id.Governance = g
		if id.Kind == "" {
			id.Kind = d.Kind
		}
		if id.EffectiveScopes == nil && !id.Disabled {
			id.EffectiveScopes = append([]string{}, g.Scopes...)
		}
	}
	if id.Kind == "" {
		id.Kind = k.Kind
	}
	return id
}

// stillHasAccess says what access an expired identity still has: the
// scopes it holds, or, for a kind governed in state, that it is still
// active in its source (an export may list no scopes, and an active
// account of a system the provider cannot reach keeps whatever it can do).
// false: none.
func (e *evaluator) stillHasAccess(id nhi.Identity) (string, bool) {
	if len(id.EffectiveScopes) > 0 {
		return "still holds " + strings.Join(id.EffectiveScopes, ", "), true
	}
	if k, ok := e.in.Systems.Kind(id.System, id.Kind); ok && k.GovernedInState && !id.Disabled {
		return "is still active in its source", true
	}
	return "", false
}

// staleByLastUse reports an active identity of a kind whose LastUsedAt is
// its last activity that was not used for stale_after: last used before
// then, or never used (LastUsedAt at the zero time) and created before
// then.
func (e *evaluator) staleByLastUse(id nhi.Identity, ref IdentityRef, loc *Location) {
	now, after := e.in.Now, e.in.Policy.StaleAfter
	if id.LastUsedAt == nil || id.Disabled || after <= 0 {
		return
	}
	if k, ok := e.in.Systems.Kind(id.System, id.Kind); !ok || !k.LastUsedIsActivity {
		return
	}
	switch last := *id.LastUsedAt; {
	case !last.IsZero() && now.Sub(last) > after:
		e.add(RuleStale, "", ref, "", fmt.Sprintf("%s %s was last used %s ago (stale_after %s)",
			e.kindName(id.Kind), ref.ID, nhi.HumanDuration(now.Sub(last)), nhi.FormatDuration(after)), locOr(loc, id.Declared))
	case last.IsZero() && !id.CreatedAt.IsZero() && now.Sub(id.CreatedAt) > after:
		e.add(RuleStale, "", ref, "", fmt.Sprintf("%s %s was never used and was created %s ago (stale_after %s)",
			e.kindName(id.Kind), ref.ID, nhi.HumanDuration(now.Sub(id.CreatedAt)), nhi.FormatDuration(after)), locOr(loc, id.Declared))
	}
}
