package nhi

import "time"

// Expired reports whether an expiry at expiresAt has been reached as of now.
// The expiry instant itself counts as expired. A zero expiresAt means the
// identity never expires.
func Expired(now, expiresAt time.Time) bool {
	return !expiresAt.IsZero() && !now.Before(expiresAt)
}

// IdentityStatus is the status of an identity as found, as of now:
// StatusDisabled once it was disabled on expiry; StatusActive without an
// expiry; otherwise StatusExpired from the expiry instant on (whatever
// on_expiry says: an expired identity not yet disabled still holds its
// access, as with on_expiry "warn", or an expiry whose disable or block has
// not been applied yet), StatusExpiring within warnBefore of it, and
// StatusActive before that.
func IdentityStatus(id Identity, now time.Time, warnBefore time.Duration) Status {
	if id.Disabled {
		return StatusDisabled
	}
	switch Phase(now, id.Governance.ExpiresAt, warnBefore) {
	case PhaseExpired:
		return StatusExpired
	case PhaseExpiring:
		return StatusExpiring
	}
	return StatusActive
}
