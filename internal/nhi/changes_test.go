package nhi

import (
	"slices"
	"testing"
)

func TestRemovedScopes(t *testing.T) {
	before := Identity{EffectiveScopes: []string{"c", "a", "b", "d"}}
	after := Identity{EffectiveScopes: []string{"b", "e"}}
	if got, want := RemovedScopes(before, after), []string{"c", "a", "d"}; !slices.Equal(got, want) {
		t.Errorf("RemovedScopes = %q, want %q (before's order, without the kept ones)", got, want)
	}
	if got := RemovedScopes(after, after); len(got) != 0 {
		t.Errorf("nothing removed: RemovedScopes = %q", got)
	}
	if got, want := RemovedScopes(before, Identity{}), before.EffectiveScopes; !slices.Equal(got, want) {
		t.Errorf("all removed: RemovedScopes = %q, want %q", got, want)
	}
}
