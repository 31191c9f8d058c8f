package nhi

import (
	"testing"
	"time"
)

func TestExpired(t *testing.T) {
	exp := time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name     string
		now, exp time.Time
		want     bool
	}{
		{"long before", exp.Add(-365 * 24 * time.Hour), exp, false},
		{"one nanosecond before", exp.Add(-time.Nanosecond), exp, false},
		{"at the instant of expiry", exp, exp, true},
		{"one nanosecond after", exp.Add(time.Nanosecond), exp, true},
		{"long after", exp.Add(365 * 24 * time.Hour), exp, true},
		{"same instant in another zone", exp.In(time.FixedZone("UTC+2", 2*3600)), exp, true},
		{"zero expiry never expires", exp, time.Time{}, false},
		{"zero expiry at the zero instant", time.Time{}, time.Time{}, false},
	}
	for _, c := range cases {
		if got := Expired(c.now, c.exp); got != c.want {
			t.Errorf("%s: Expired(%v, %v) = %v, want %v", c.name, c.now, c.exp, got, c.want)
		}
	}
}

// A zero expiry is no expiry: Phase used to place every instant after the
// zero time as expired.
func TestPhaseZeroExpiryIsActive(t *testing.T) {
	now := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	for _, warn := range []time.Duration{0, 30 * 24 * time.Hour, -time.Hour} {
		if got := Phase(now, time.Time{}, warn); got != PhaseActive {
			t.Errorf("Phase(now, zero, %v) = %v, want PhaseActive", warn, got)
		}
	}
	if d := DecideExpiry(now, time.Time{}, DefaultWarnBefore, OnExpiryDisable); d.Phase != PhaseActive || d.Status != StatusActive || d.Disable || d.Block {
		t.Errorf("DecideExpiry with a zero expiry = %+v, want active without disable or block", d)
	}
}

func TestIdentityStatus(t *testing.T) {
	exp := time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC)
	warn := 30 * 24 * time.Hour
	withExpiry := func(on OnExpiry, disabled bool) Identity {
		return Identity{Governance: Governance{ExpiresAt: exp, OnExpiry: on}, Disabled: disabled}
	}
	cases := []struct {
		name string
		id   Identity
		now  time.Time
		warn time.Duration
		want Status
	}{
		{"no expiry", Identity{}, exp, warn, StatusActive},
		{"no expiry, disabled", Identity{Disabled: true}, exp, warn, StatusDisabled},
		{"long before", withExpiry(OnExpiryDisable, false), exp.Add(-365 * 24 * time.Hour), warn, StatusActive},
		{"one nanosecond before the warning window", withExpiry(OnExpiryDisable, false), exp.Add(-warn - time.Nanosecond), warn, StatusActive},
		{"start of the warning window", withExpiry(OnExpiryDisable, false), exp.Add(-warn), warn, StatusExpiring},
		{"one nanosecond before expiry", withExpiry(OnExpiryDisable, false), exp.Add(-time.Nanosecond), warn, StatusExpiring},
		{"at expiry, on_expiry warn", withExpiry(OnExpiryWarn, false), exp, warn, StatusExpired},
		{"after expiry, on_expiry warn", withExpiry(OnExpiryWarn, false), exp.Add(time.Hour), warn, StatusExpired},
		// Not yet disabled (the disabling apply has not run) or blocked:
		// still expired, as ReadStatus reported it.
		{"after expiry, on_expiry disable, not yet disabled", withExpiry(OnExpiryDisable, false), exp.Add(time.Hour), warn, StatusExpired},
		{"after expiry, on_expiry block", withExpiry(OnExpiryBlock, false), exp.Add(time.Hour), warn, StatusExpired},
		{"after expiry, disabled", withExpiry(OnExpiryDisable, true), exp.Add(time.Hour), warn, StatusDisabled},
		{"disabled before expiry", withExpiry(OnExpiryDisable, true), exp.Add(-365 * 24 * time.Hour), warn, StatusDisabled},
		{"no warning window", withExpiry(OnExpiryDisable, false), exp.Add(-time.Nanosecond), 0, StatusActive},
		{"no warning window, at expiry", withExpiry(OnExpiryDisable, false), exp, 0, StatusExpired},
	}
	for _, c := range cases {
		if got := IdentityStatus(c.id, c.now, c.warn); got != c.want {
			t.Errorf("%s: IdentityStatus = %q, want %q", c.name, got, c.want)
		}
	}
}
