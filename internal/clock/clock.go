// Package clock gives expiry and rotation logic an injected notion of "now",
// so that plans can be evaluated as of another instant (evaluation_time,
// NHI_EVALUATION_TIME) and tests never sleep.
package clock

import "time"

// Clock reports the current instant.
type Clock interface {
	Now() time.Time
}

// System is the wall clock.
type System struct{}

// Now returns time.Now in UTC.
func (System) Now() time.Time { return time.Now().UTC() }

// Fixed is a clock stopped at one instant.
type Fixed time.Time

// Now returns the fixed instant.
func (f Fixed) Now() time.Time { return time.Time(f).UTC() }
