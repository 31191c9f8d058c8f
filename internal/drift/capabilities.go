package drift

import (
	"fmt"
	"strings"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// capabilities reports NHI008 once per identity and risky capability
// (nhi.Identity.Capabilities, resolved by the scan from every grant that
// applies to the identity), naming every path that grants it so a person
// can take it away, with a remediation for each path. Its severity is the
// highest of the paths', which depends on their reach.
//
// A path through a scope that is itself reported as privileged (a
// privileged or forbidden scope, a wildcard role, a privileged group) is
// left out: that scope's own NHI008 finding covers it, and removing the
// scope removes the capability.
func (e *evaluator) capabilities(id nhi.Identity, ref IdentityRef, loc *Location) {
	if len(id.Capabilities) == 0 {
		return
	}
	covered := e.privilegedScopes(id)
	byID := map[string][]nhi.Capability{}
	var order []string
	for _, c := range nhi.SortCapabilities(id.Capabilities) {
		if c.Scope != "" && covered[c.Scope] {
			continue
		}
		if _, ok := byID[c.ID]; !ok {
			order = append(order, c.ID)
		}
		byID[c.ID] = append(byID[c.ID], c)
	}
	e.undeclaredCritical(id, ref, order, byID)
	for _, capID := range order {
		paths := byID[capID]
		sev := SeverityLow
		var where, fixes []string
		for _, c := range paths {
			if s, ok := ParseSeverity(c.Severity); ok && s.Rank() > sev.Rank() {
				sev = s
			}
			where = append(where, reachPhrase(c.Reach)+" ("+c.Path+")")
			if c.Fix != "" {
				fixes = append(fixes, strings.TrimSuffix(c.Fix, "."))
			}
		}
		first := paths[0]
		msg := fmt.Sprintf("%s %s can %s %s: %s", e.kindName(id.Kind), ref.ID, first.Title, strings.Join(where, " and "), first.Why)
		e.add(RulePrivileged, sev, ref, "capability:"+capID, msg, locOr(loc, id.Declared))
		f := &e.report.Findings[len(e.report.Findings)-1]
		switch len(fixes) {
		case 0:
		case 1:
			f.Remediation = fixes[0] + "."
		default:
			for i := range fixes {
				fixes[i] = fmt.Sprintf("(%d) %s", i+1, fixes[i])
			}
			f.Remediation = fmt.Sprintf("Each of the %d grants gives it; take every one away: %s.", len(fixes), strings.Join(fixes, "; "))
		}
	}
}

// undeclaredCritical raises the NHI001 finding of an undeclared identity
// that holds a critical capability (through a path no privileged scope
// covers: those already make it high) to high, naming the capabilities, as
// a privileged scope does: nobody owns an identity that can take over
// others. NHI001 was added for the identity just before.
func (e *evaluator) undeclaredCritical(id nhi.Identity, ref IdentityRef, order []string, byID map[string][]nhi.Capability) {
	if id.Declared {
		return
	}
	var what []string
	for _, capID := range order {
		for _, c := range byID[capID] {
			if c.Severity == nhi.CapabilityCritical {
				what = append(what, fmt.Sprintf("%s (%s)", c.Title, capID))
				break
			}
		}
	}
	if len(what) == 0 {
		return
	}
	for i := len(e.report.Findings) - 1; i >= 0; i-- {
		f := &e.report.Findings[i]
		if f.Identity != ref {
			return // the identity's findings are the last ones
		}
		if f.RuleID != RuleUndeclared {
			continue
		}
		if f.Severity.Rank() < SeverityHigh.Rank() {
			f.Severity = SeverityHigh
		}
		f.Message += "; it can " + strings.Join(what, ", ")
		return
	}
}

// reachPhrase renders a capability's reach in a sentence.
func reachPhrase(reach string) string {
	if reach == nhi.ReachCluster {
		return "cluster-wide"
	}
	return "in " + reach
}

// privilegedScopes is the set of the identity's effective scopes that
// NHI008 reports as privileged by themselves (see privileged).
func (e *evaluator) privilegedScopes(id nhi.Identity) map[string]bool {
	out := map[string]bool{}
	for _, s := range id.WildcardScopes {
		out[s] = true
	}
	for _, s := range id.EffectiveScopes {
		if e.in.Policy.ForbiddenMatch(s) != "" || matchAny(e.in.Policy.PrivilegedScopes, s) != "" || id.PrivilegedWhy[s] != "" {
			out[s] = true
		}
	}
	return out
}
