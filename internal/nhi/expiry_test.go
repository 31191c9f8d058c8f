package nhi

import (
	"testing"
	"time"

	"github.com/nhi-ops/terraform-provider-nhi/internal/clock"
)

func TestPhaseBoundaries(t *testing.T) {
	exp := time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC)
	warn := 30 * 24 * time.Hour
	cases := []struct {
		name string
		now  time.Time
		want ExpiryPhase
	}{
		{"long before", exp.Add(-365 * 24 * time.Hour), PhaseActive},
		{"one second before the warning window", exp.Add(-warn - time.Second), PhaseActive},
		{"start of the warning window", exp.Add(-warn), PhaseExpiring},
		{"one second before expiry", exp.Add(-time.Second), PhaseExpiring},
		{"at expiry", exp, PhaseExpired},
		{"after expiry", exp.Add(time.Hour), PhaseExpired},
	}
	for _, c := range cases {
		now := clock.Fixed(c.now).Now()
		if got := Phase(now, exp, warn); got != c.want {
			t.Errorf("%s: Phase = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestDecideExpiry(t *testing.T) {
	exp := time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC)
	warn := 30 * 24 * time.Hour
	before, inWindow, after := exp.Add(-60*24*time.Hour), exp.Add(-24*time.Hour), exp.Add(24*time.Hour)
	cases := []struct {
		now     time.Time
		on      OnExpiry
		status  Status
		disable bool
		block   bool
	}{
		{before, OnExpiryDisable, StatusActive, false, false},
		{inWindow, OnExpiryDisable, StatusExpiring, false, false},
		{inWindow, OnExpiryBlock, StatusExpiring, false, false},
		{after, OnExpiryDisable, StatusDisabled, true, false},
		{after, "", StatusDisabled, true, false},
		{after, OnExpiryBlock, StatusExpired, false, true},
		{after, OnExpiryWarn, StatusExpired, false, false},
	}
	for _, c := range cases {
		d := DecideExpiry(c.now, exp, warn, c.on)
		if d.Status != c.status || d.Disable != c.disable || d.Block != c.block {
			t.Errorf("DecideExpiry(%v, %q) = %+v, want status %s disable %v block %v", c.now, c.on, d, c.status, c.disable, c.block)
		}
	}
	if d := DecideExpiry(inWindow, exp, warn, OnExpiryDisable); d.Remaining != 24*time.Hour {
		t.Errorf("Remaining = %v, want 24h", d.Remaining)
	}
}

func TestHumanDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		14 * 24 * time.Hour: "14 days", -3 * 24 * time.Hour: "3 days", 5 * time.Hour: "5 hours", 40 * time.Minute: "40 minutes",
	} {
		if got := HumanDuration(d); got != want {
			t.Errorf("HumanDuration(%v) = %q, want %q", d, got, want)
		}
	}
}
