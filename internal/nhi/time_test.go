package nhi

import (
	"strings"
	"testing"
	"time"
)

func TestParseExpiry(t *testing.T) {
	cases := []struct {
		in      string
		want    time.Time
		wantErr string
	}{
		{in: "2027-03-31", want: time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC)},
		{in: " 2027-03-31 ", want: time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC)},
		{in: "2027-03-31T17:00:00Z", want: time.Date(2027, 3, 31, 17, 0, 0, 0, time.UTC)},
		{in: "2027-03-31T17:00:00+02:00", want: time.Date(2027, 3, 31, 15, 0, 0, 0, time.UTC)},
		{in: "2028-02-29", want: time.Date(2028, 2, 29, 0, 0, 0, 0, time.UTC)},
		{in: "", wantErr: "is empty"},
		{in: "   ", wantErr: "is empty"},
		{in: "2027-02-30", wantErr: "day out of range"},
		{in: "2027-02-29", wantErr: "day out of range"},
		{in: "2027-13-01", wantErr: "month out of range"},
		{in: "31/03/2027", wantErr: "expected RFC 3339"},
		{in: "not a time", wantErr: "is not a valid timestamp"},
		{in: "2027-3-31", wantErr: "expected RFC 3339"},
		{in: "tomorrow", wantErr: "expected RFC 3339"},
		{in: "2027-03-31 17:00", wantErr: "expected RFC 3339"},
		{in: "2027-03-31T25:00:00Z", wantErr: "hour out of range"},
	}
	for _, c := range cases {
		got, err := ParseExpiry(c.in)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("ParseExpiry(%q) error = %v, want one containing %q", c.in, err, c.wantErr)
			}
			continue
		}
		if err != nil || !got.Equal(c.want) {
			t.Errorf("ParseExpiry(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
}

func TestParseDuration(t *testing.T) {
	day := 24 * time.Hour
	good := map[string]time.Duration{
		"365d": 365 * day, "2w": 14 * day, "12h": 12 * time.Hour, "1d12h": 36 * time.Hour,
		"90m": 90 * time.Minute, "30s": 30 * time.Second, " 7d ": 7 * day,
	}
	for in, want := range good {
		if got, err := ParseDuration(in); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	bad := map[string]string{
		"": "is empty", "d": "expected a number", "30": "unknown unit", "30y": "unknown unit \"y\"",
		"-5d": "expected a number", "0d": "longer than zero", "1.5d": "unknown unit",
		"99999999999999999999d": "too large", "200000w": "too large",
	}
	for in, want := range bad {
		if _, err := ParseDuration(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseDuration(%q) error = %v, want one containing %q", in, err, want)
		}
	}
	if got := FormatDuration(30 * day); got != "30d" {
		t.Errorf("FormatDuration(30d) = %q", got)
	}
	if got := FormatDuration(90 * time.Minute); got != "1h30m0s" {
		t.Errorf("FormatDuration(90m) = %q", got)
	}
}
