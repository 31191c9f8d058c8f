package nhi

import "time"

// RotationDecision is what the rotation rules say about a credential as of
// an instant.
type RotationDecision struct {
	// Due is when the credential must be rotated: its creation plus the
	// rotation period. Zero when there is no rotation (period <= 0).
	Due time.Time
	// Replace is true from Due on: the credential is due and a plan replaces
	// it. The instant of Due itself counts as due.
	Replace bool
	// Warn is true within the warning window before Due (see
	// RotationWarnWindow), while Replace is still false.
	Warn bool
	// Remaining is the time left before Due (zero or negative once due).
	Remaining time.Duration
}

// RotationDue is when a credential created at created with a rotation period
// of period must be rotated: created + period. It returns false, and no
// time, when period <= 0 (no rotation).
func RotationDue(created time.Time, period time.Duration) (time.Time, bool) {
	if period <= 0 {
		return time.Time{}, false
	}
	return created.Add(period), true
}

// RotationWarnWindow is how long before a rotation is due plans warn about
// it: warnBefore (the policy's warn_before), but no more than a quarter of
// the period, so that a short period does not warn for its whole life. It is
// never negative: a zero or negative period or warnBefore gives no window.
func RotationWarnWindow(period, warnBefore time.Duration) time.Duration {
	w := warnBefore
	if q := period / 4; q < w {
		w = q
	}
	if w < 0 {
		return 0
	}
	return w
}

// DecideRotation applies the rotation rules as of now to a credential
// created at created with the given rotation period: Replace from
// created+period on, Warn within RotationWarnWindow(period, warnBefore)
// before that. A zero or negative period means no rotation: the zero
// RotationDecision.
func DecideRotation(now, created time.Time, period, warnBefore time.Duration) RotationDecision {
	due, ok := RotationDue(created, period)
	if !ok {
		return RotationDecision{}
	}
	d := RotationDecision{Due: due, Remaining: due.Sub(now)}
	switch {
	case !now.Before(due):
		d.Replace = true
	case !now.Before(due.Add(-RotationWarnWindow(period, warnBefore))):
		d.Warn = true
	}
	return d
}
