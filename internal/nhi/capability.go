package nhi

import "sort"

// ReachCluster is Capability.Reach of a grant that applies everywhere in its
// system (a Kubernetes ClusterRoleBinding, an IAM policy on "*").
const ReachCluster = "cluster"

// ReachNamespace is the Reach of a grant limited to one namespace (or
// another container of its system).
func ReachNamespace(ns string) string { return "namespace " + ns }

// Capability severities, the names the drift report uses.
const (
	CapabilityCritical = "critical"
	CapabilityHigh     = "high"
	CapabilityMedium   = "medium"
	CapabilityLow      = "low"
)

// Capability is one risky thing an identity can do, found by resolving its
// effective grants (every binding or policy that applies to it, directly or
// through the groups it belongs to) against its system's catalog of risky
// capabilities. It names the grant it comes through, so that a person can
// remove it. Set by scans.
type Capability struct {
	// ID is the catalog entry ("secrets-read", "pods-exec").
	ID string
	// Title says what the identity can do, for people ("read Secrets").
	Title string
	// Severity is CapabilityCritical ... CapabilityLow; it depends on the
	// reach: a cluster-wide grant ranks above the same grant in one
	// namespace.
	Severity string
	// Reach is ReachCluster or ReachNamespace(ns).
	Reach string
	// Path is the chain that grants it, from the identity to the rule:
	// "ClusterRoleBinding ci -> ClusterRole deployer -> rule get,list secrets".
	Path string
	// Scope is the effective scope (Identity.EffectiveScopes) the grant
	// comes through; empty when it comes through a group or another subject
	// that is not the identity itself.
	Scope string
	// Why is one sentence on what the capability lets the identity do.
	Why string
	// Fix says how to take the capability away along this path.
	Fix string
}

// Key identifies a capability path: its ID, reach and path.
func (c Capability) Key() string { return c.ID + "\x00" + c.Reach + "\x00" + c.Path }

// SeverityRank orders capability severities; an unknown one ranks lowest.
func SeverityRank(s string) int {
	switch s {
	case CapabilityCritical:
		return 4
	case CapabilityHigh:
		return 3
	case CapabilityMedium:
		return 2
	case CapabilityLow:
		return 1
	}
	return 0
}

// SortCapabilities orders capabilities by ID, then most severe first, then
// cluster reach before namespaces, then path; duplicates (same ID, reach and
// path) are dropped.
func SortCapabilities(in []Capability) []Capability {
	if len(in) == 0 {
		return nil
	}
	out := append([]Capability(nil), in...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.ID != b.ID {
			return a.ID < b.ID
		}
		if ra, rb := SeverityRank(a.Severity), SeverityRank(b.Severity); ra != rb {
			return ra > rb
		}
		if (a.Reach == ReachCluster) != (b.Reach == ReachCluster) {
			return a.Reach == ReachCluster
		}
		if a.Reach != b.Reach {
			return a.Reach < b.Reach
		}
		return a.Path < b.Path
	})
	dedup := out[:0]
	for i, c := range out {
		if i > 0 && c.Key() == out[i-1].Key() {
			continue
		}
		dedup = append(dedup, c)
	}
	return dedup
}

// CapabilityIDs returns the distinct capability IDs, sorted.
func CapabilityIDs(in []Capability) []string {
	ids := make([]string, 0, len(in))
	for _, c := range in {
		ids = append(ids, c.ID)
	}
	return SortedUnique(ids)
}
