// Package drift compares what is declared with what exists and turns the
// differences into findings. It has no Terraform types: the nhi_undeclared
// data source and the drift reporter both call it, so they cannot disagree.
package drift

import (
	"fmt"
	"path"
	"strings"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/system"
)

// ReasonIgnored is the exclusion reason of an identity an ignore pattern
// matched. The default exclusions' reasons are the systems' own
// (system.Exclusion).
const ReasonIgnored = "ignore_pattern"

// UndeclaredOptions tune which undeclared identities are reported.
type UndeclaredOptions struct {
	// Systems gives each system's default exclusions.
	Systems *system.Registry
	// Ignore are glob patterns over the identity's reference
	// ("namespace/name", "user/name"); "*" does not cross "/".
	Ignore []string
	// IncludeSystem turns the default exclusions off.
	IncludeSystem bool
}

// Excluded is an undeclared identity left out, and why.
type Excluded struct {
	Identity nhi.Identity
	Reason   string
	// Pattern is the ignore pattern that matched, for ReasonIgnored.
	Pattern string
}

// ValidateIgnorePattern checks one ignore pattern.
func ValidateIgnorePattern(p string) error {
	if strings.TrimSpace(p) == "" {
		return fmt.Errorf("is empty; expected a glob over \"namespace/name\" such as \"ci/*\" or \"*/runner-*\"")
	}
	if _, err := path.Match(p, ""); err != nil {
		return fmt.Errorf("%q is not a valid glob pattern: %v", p, err)
	}
	return nil
}

// Undeclared splits the identities that carry no managed marker into those
// to report and those excluded by the defaults or the ignore patterns.
// Declared identities are dropped. Order is kept.
func Undeclared(ids []nhi.Identity, o UndeclaredOptions) (report []nhi.Identity, excluded []Excluded) {
	for _, id := range ids {
		if id.Declared {
			continue
		}
		if !o.IncludeSystem {
			if r := o.Systems.Exclusion(id); r != "" {
				excluded = append(excluded, Excluded{Identity: id, Reason: r})
				continue
			}
		}
		if p := matchIgnore(o.Ignore, id.Ref.String()); p != "" {
			excluded = append(excluded, Excluded{Identity: id, Reason: ReasonIgnored, Pattern: p})
			continue
		}
		report = append(report, id)
	}
	return report, excluded
}

// Declarable reports whether a resource can declare the identity: false
// for a kind its system marks system.Kind.Undeclarable, which is never
// NHI001 (its credentials are checked all the same). A kind the registry
// does not know is declarable.
func Declarable(systems *system.Registry, id nhi.Identity) bool {
	if systems == nil {
		return true
	}
	k, ok := systems.Kind(id.System, id.Kind)
	return !ok || !k.Undeclarable
}

func matchIgnore(patterns []string, ref string) string {
	for _, p := range patterns {
		if ok, err := path.Match(p, ref); err == nil && ok {
			return p
		}
	}
	return ""
}
