package nhi

import (
	"testing"
	"time"
)

func TestRotationDue(t *testing.T) {
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		period time.Duration
		want   time.Time
		ok     bool
	}{
		{90 * 24 * time.Hour, created.Add(90 * 24 * time.Hour), true},
		{time.Nanosecond, created.Add(time.Nanosecond), true},
		{0, time.Time{}, false},
		{-time.Hour, time.Time{}, false},
	}
	for _, c := range cases {
		got, ok := RotationDue(created, c.period)
		if ok != c.ok || !got.Equal(c.want) {
			t.Errorf("RotationDue(created, %v) = %v, %v; want %v, %v", c.period, got, ok, c.want, c.ok)
		}
	}
}

func TestRotationWarnWindow(t *testing.T) {
	day := 24 * time.Hour
	cases := []struct {
		period, warn, want time.Duration
	}{
		{90 * day, 30 * day, 22*day + 12*time.Hour}, // a quarter of the period is shorter
		{120 * day, 30 * day, 30 * day},             // exactly a quarter: both agree
		{365 * day, 30 * day, 30 * day},             // warn_before is shorter
		{4 * time.Hour, 30 * day, time.Hour},
		{90 * day, 0, 0},
		{0, 30 * day, 0},
		{-4 * day, 30 * day, 0}, // never negative
		{90 * day, -day, 0},
	}
	for _, c := range cases {
		if got := RotationWarnWindow(c.period, c.warn); got != c.want {
			t.Errorf("RotationWarnWindow(%v, %v) = %v, want %v", c.period, c.warn, got, c.want)
		}
	}
}

func TestDecideRotation(t *testing.T) {
	day := 24 * time.Hour
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	period := 90 * day
	due := created.Add(period)
	window := period / 4 // shorter than the 30d warn_before
	cases := []struct {
		name                  string
		now                   time.Time
		period, warn          time.Duration
		wantReplace, wantWarn bool
	}{
		{"just created", created, period, 30 * day, false, false},
		{"one nanosecond before the window", due.Add(-window - time.Nanosecond), period, 30 * day, false, false},
		{"start of the window", due.Add(-window), period, 30 * day, false, true},
		{"one nanosecond before due", due.Add(-time.Nanosecond), period, 30 * day, false, true},
		{"exactly at created+period", due, period, 30 * day, true, false},
		{"after due", due.Add(day), period, 30 * day, true, false},
		{"warn_before shorter than a quarter: start of its window", due.Add(-7 * day), period, 7 * day, false, true},
		{"warn_before shorter than a quarter: before its window", due.Add(-7*day - time.Nanosecond), period, 7 * day, false, false},
		{"no warn_before", due.Add(-time.Nanosecond), period, 0, false, false},
		{"negative warn_before", due.Add(-time.Nanosecond), period, -day, false, false},
		{"negative warn_before, due", due, period, -day, true, false},
	}
	for _, c := range cases {
		d := DecideRotation(c.now, created, c.period, c.warn)
		if d.Replace != c.wantReplace || d.Warn != c.wantWarn || !d.Due.Equal(created.Add(c.period)) || d.Remaining != created.Add(c.period).Sub(c.now) {
			t.Errorf("%s: DecideRotation = %+v, want replace %v warn %v due %v remaining %v",
				c.name, d, c.wantReplace, c.wantWarn, created.Add(c.period), created.Add(c.period).Sub(c.now))
		}
	}
	for _, p := range []time.Duration{0, -day} {
		if d := DecideRotation(due, created, p, 30*day); d != (RotationDecision{}) {
			t.Errorf("DecideRotation with period %v = %+v, want the zero decision", p, d)
		}
	}
}

// planRotation transcribes what framework.PlanRotation decided before it
// called DecideRotation (internal/framework/rotation.go): ok false for no
// period, replace from due on, warn (without replace) from due minus
// min(warn_before, period/4) on.
func planRotation(now, created time.Time, period, warnBefore time.Duration) (due time.Time, replace, warn, ok bool) {
	if period <= 0 {
		return time.Time{}, false, false, false
	}
	due = created.Add(period)
	if !now.Before(due) {
		return due, true, false, true
	}
	w := warnBefore
	if q := period / 4; q < w {
		w = q
	}
	return due, false, !now.Before(due.Add(-w)), true
}

func TestDecideRotationMatchesPlanRotation(t *testing.T) {
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	periods := []time.Duration{-day, 0, time.Nanosecond, 4 * time.Nanosecond, time.Hour, 7 * day, 90 * day, 120 * day, 400 * day}
	warns := []time.Duration{-day, 0, time.Nanosecond, time.Hour, 7 * day, 30 * day, 1000 * day}
	for _, p := range periods {
		for _, w := range warns {
			due := created.Add(p)
			instants := []time.Time{created.Add(-day), created, due}
			for _, off := range []time.Duration{p / 4, w, time.Nanosecond} {
				instants = append(instants, due.Add(-off), due.Add(-off-time.Nanosecond), due.Add(-off+time.Nanosecond))
			}
			instants = append(instants, due.Add(time.Nanosecond), due.Add(day))
			for _, now := range instants {
				wantDue, replace, warn, ok := planRotation(now, created, p, w)
				d := DecideRotation(now, created, p, w)
				if ok != !d.Due.IsZero() || !d.Due.Equal(wantDue) || d.Replace != replace || d.Warn != warn {
					t.Fatalf("DecideRotation(%v, created, %v, %v) = %+v; PlanRotation decided due %v (ok %v) replace %v warn %v",
						now, p, w, d, wantDue, ok, replace, warn)
				}
			}
		}
	}
}
