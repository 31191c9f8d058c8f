package nhi

// RemovedScopes returns the effective scopes of before that after no longer
// has, in before's order: the grants an action on the identity (a disable)
// took away, from the identity as found before and after it, for the
// action's report of what it changed.
func RemovedScopes(before, after Identity) []string {
	kept := make(map[string]bool, len(after.EffectiveScopes))
	for _, s := range after.EffectiveScopes {
		kept[s] = true
	}
	var removed []string
	for _, s := range before.EffectiveScopes {
		if !kept[s] {
			removed = append(removed, s)
		}
	}
	return removed
}
