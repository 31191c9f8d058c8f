package nhi

import (
	"strings"
	"testing"
)

// Capabilities sort by ID, most severe first, cluster reach before
// namespaces, then path; exact duplicates go.
func TestSortCapabilities(t *testing.T) {
	in := []Capability{
		{ID: "b", Severity: CapabilityHigh, Reach: ReachNamespace("a"), Path: "p2"},
		{ID: "a", Severity: CapabilityMedium, Reach: ReachNamespace("z"), Path: "p"},
		{ID: "b", Severity: CapabilityHigh, Reach: ReachCluster, Path: "p3"},
		{ID: "b", Severity: CapabilityCritical, Reach: ReachNamespace("kube-system"), Path: "p1"},
		{ID: "b", Severity: CapabilityHigh, Reach: ReachNamespace("a"), Path: "p2"},
	}
	var got []string
	for _, c := range SortCapabilities(in) {
		got = append(got, c.ID+" "+c.Severity+" "+c.Reach+" "+c.Path)
	}
	want := "a medium namespace z p|b critical namespace kube-system p1|b high cluster p3|b high namespace a p2"
	if strings.Join(got, "|") != want {
		t.Errorf("got %s", strings.Join(got, "|"))
	}
	if SortCapabilities(nil) != nil || strings.Join(CapabilityIDs(in), ",") != "a,b" {
		t.Error("empty or IDs")
	}
}
