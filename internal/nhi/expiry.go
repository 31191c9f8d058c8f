package nhi

import (
	"fmt"
	"time"
)

// OnExpiry is what happens to an identity once it has expired.
type OnExpiry string

const (
	// OnExpiryDisable plans an in-place change that strips every grant and
	// turns token automount off, keeping the identity.
	OnExpiryDisable OnExpiry = "disable"
	// OnExpiryBlock makes the plan fail until expires_at is extended or the
	// identity is removed.
	OnExpiryBlock OnExpiry = "block"
	// OnExpiryWarn only warns.
	OnExpiryWarn OnExpiry = "warn"
)

// OnExpiryValues lists the accepted values, in documentation order.
var OnExpiryValues = []string{string(OnExpiryDisable), string(OnExpiryBlock), string(OnExpiryWarn)}

// Status of a governed identity.
type Status string

const (
	StatusActive   Status = "active"
	StatusExpiring Status = "expiring"
	// StatusExpired is an identity past expires_at that still holds its
	// access: on_expiry is "warn", or its disable or block has not been
	// applied yet (see IdentityStatus).
	StatusExpired  Status = "expired"
	StatusDisabled Status = "disabled"
)

// ExpiryPhase is where an instant stands relative to an expiry.
type ExpiryPhase int

const (
	PhaseActive ExpiryPhase = iota
	// PhaseExpiring: within warnBefore of expiry, not yet expired.
	PhaseExpiring
	// PhaseExpired: at or after the expiry instant.
	PhaseExpired
)

// Phase places now relative to expiresAt. The expiry instant itself counts as
// expired (see Expired); the start of the warning window counts as expiring.
// A zero expiresAt never expires: PhaseActive.
func Phase(now, expiresAt time.Time, warnBefore time.Duration) ExpiryPhase {
	switch {
	case expiresAt.IsZero():
		return PhaseActive
	case Expired(now, expiresAt):
		return PhaseExpired
	case !now.Before(expiresAt.Add(-warnBefore)):
		return PhaseExpiring
	default:
		return PhaseActive
	}
}

// ExpiryDecision is the plan-time outcome of the expiry rules for one
// identity.
type ExpiryDecision struct {
	Phase ExpiryPhase
	// Status is the status the identity should have after apply.
	Status Status
	// Disable is true when the plan must strip the identity's access.
	Disable bool
	// Block is true when the plan must fail.
	Block bool
	// Remaining is the time left before expiry (negative once expired).
	Remaining time.Duration
}

// DecideExpiry applies the expiry rules as of now.
func DecideExpiry(now, expiresAt time.Time, warnBefore time.Duration, onExpiry OnExpiry) ExpiryDecision {
	d := ExpiryDecision{Phase: Phase(now, expiresAt, warnBefore), Remaining: expiresAt.Sub(now)}
	switch d.Phase {
	case PhaseActive:
		d.Status = StatusActive
	case PhaseExpiring:
		d.Status = StatusExpiring
	case PhaseExpired:
		switch onExpiry {
		case OnExpiryBlock:
			d.Block = true
			d.Status = StatusExpired
		case OnExpiryWarn:
			d.Status = StatusExpired
		default:
			d.Disable = true
			d.Status = StatusDisabled
		}
	}
	return d
}

// HumanDuration renders a remaining time coarsely: "12 days", "5 hours",
// "40 minutes".
func HumanDuration(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
	case d >= 2*time.Hour:
		return fmt.Sprintf("%d hours", int(d/time.Hour))
	default:
		return fmt.Sprintf("%d minutes", int(d/time.Minute))
	}
}
