package nhi

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DateLayout is the short form accepted for expiry dates.
const DateLayout = "2006-01-02"

// ParseExpiry parses an expiry instant written as RFC 3339
// ("2027-03-31T17:00:00Z") or as a calendar date ("2027-03-31"), which means
// 00:00:00 UTC at the start of that day. Impossible dates ("2027-02-30") are
// rejected.
func ParseExpiry(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, fmt.Errorf("is empty; expected an RFC 3339 timestamp such as \"2027-03-31T17:00:00Z\" or a date such as \"2027-03-31\"")
	}
	if isDateShaped(s) {
		t, err := time.Parse(DateLayout, s)
		if err != nil {
			return time.Time{}, fmt.Errorf("%q is not a valid date: %s; expected YYYY-MM-DD, such as \"2027-03-31\"", s, reason(err))
		}
		return t.UTC(), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a valid timestamp: %s; expected RFC 3339 such as \"2027-03-31T17:00:00Z\" or a date such as \"2027-03-31\"", s, reason(err))
	}
	return t.UTC(), nil
}

// isDateShaped reports whether s looks like YYYY-MM-DD (digits and dashes).
func isDateShaped(s string) bool {
	if len(s) != len(DateLayout) {
		return false
	}
	for i, c := range s {
		if i == 4 || i == 7 {
			if c != '-' {
				return false
			}
		} else if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func reason(err error) string {
	if pe, ok := err.(*time.ParseError); ok && pe.Message != "" {
		return strings.TrimPrefix(pe.Message, ": ")
	}
	return "it does not match the expected layout"
}

// FormatTime renders an instant the way markers store it (RFC 3339, UTC).
func FormatTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// ParseDuration parses a duration with day and week units as well as Go's:
// "365d", "2w", "36h", "1d12h", "90m". It rejects negatives and zero.
func ParseDuration(s string) (time.Duration, error) {
	in := strings.TrimSpace(s)
	if in == "" {
		return 0, fmt.Errorf("is empty; expected a duration such as \"30d\", \"2w\" or \"12h\"")
	}
	var total time.Duration
	rest := in
	for rest != "" {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 {
			return 0, fmt.Errorf("%q is not a duration; expected a number followed by a unit (w, d, h, m, s), such as \"30d\" or \"1d12h\"", in)
		}
		n, err := strconv.ParseInt(rest[:i], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not a duration: the number is too large", in)
		}
		rest = rest[i:]
		j := 0
		for j < len(rest) && (rest[j] < '0' || rest[j] > '9') {
			j++
		}
		var unit time.Duration
		switch rest[:j] {
		case "w":
			unit = 7 * 24 * time.Hour
		case "d":
			unit = 24 * time.Hour
		case "h":
			unit = time.Hour
		case "m":
			unit = time.Minute
		case "s":
			unit = time.Second
		default:
			return 0, fmt.Errorf("%q is not a duration: unknown unit %q; use w, d, h, m or s, such as \"30d\" or \"1d12h\"", in, rest[:j])
		}
		if n > int64((1<<63-1)/unit) {
			return 0, fmt.Errorf("%q is not a duration: it is too large", in)
		}
		total += time.Duration(n) * unit
		if total < 0 {
			return 0, fmt.Errorf("%q is not a duration: it is too large", in)
		}
		rest = rest[j:]
	}
	if total == 0 {
		return 0, fmt.Errorf("%q must be longer than zero", in)
	}
	return total, nil
}

// FormatDuration renders a duration in days where it is a whole number of
// days ("30d"), else in Go's form.
func FormatDuration(d time.Duration) string {
	day := 24 * time.Hour
	if d%day == 0 {
		return strconv.FormatInt(int64(d/day), 10) + "d"
	}
	return d.String()
}
