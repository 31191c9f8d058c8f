package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/nhi-ops/terraform-provider-nhi/internal/drift"
)

var colors = map[drift.Severity]string{
	drift.SeverityCritical: "\x1b[1;35m", drift.SeverityHigh: "\x1b[1;31m",
	drift.SeverityMedium: "\x1b[33m", drift.SeverityLow: "\x1b[36m",
}

// Text renders findings grouped by severity, with a summary line.
func Text(w io.Writer, r drift.Report, o Options) error {
	var b strings.Builder
	paint := func(sev drift.Severity, s string) string {
		if !o.Color {
			return s
		}
		return colors[sev] + s + "\x1b[0m"
	}
	for _, s := range incompleteSources(r) {
		fmt.Fprintf(&b, "INCOMPLETE: source %q (%s) could not be fully scanned: %s\n", s.Name, s.System, s.Error)
	}
	if o := incompleteOwners(r); o != nil {
		fmt.Fprintf(&b, "INCOMPLETE: owners directory %s could not be read: %s\n", o.Directory, o.Error)
	}
	active := r.Active()
	for i := len(drift.Severities) - 1; i >= 0; i-- {
		sev := drift.Severities[i]
		var group []drift.Finding
		for _, f := range active {
			if f.Severity == sev {
				group = append(group, f)
			}
		}
		if len(group) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n%s (%d)\n", paint(sev, strings.ToUpper(string(sev))), len(group))
		for _, f := range group {
			if note := stateNote(f); note != "" {
				fmt.Fprintf(&b, "  %s  [%s] %s\n", f.RuleID, note, f.Message)
			} else {
				fmt.Fprintf(&b, "  %s  %s\n", f.RuleID, f.Message)
			}
			fmt.Fprintf(&b, "          identity: %s %s (source %s)", f.Identity.System, f.Identity.ID, f.Identity.Source)
			if f.Location != nil {
				fmt.Fprintf(&b, " at %s:%d", relPath(f.Location.File, o.BaseDir), f.Location.Line)
			}
			fmt.Fprintf(&b, "\n          fix: %s\n", f.Remediation)
		}
	}
	if r.Baseline != nil {
		if gone := activeOf(r.Baseline.Absent); len(gone) > 0 {
			fmt.Fprintf(&b, "\nRESOLVED since the baseline (%d)\n", len(gone))
			for _, f := range gone {
				fmt.Fprintf(&b, "  %s  %s (%s)\n          identity: %s %s (source %s)\n", f.RuleID, f.Message, f.Severity, f.Identity.System, f.Identity.ID, f.Identity.Source)
			}
		}
	}
	if n := len(r.Findings) - len(active); n > 0 {
		fmt.Fprintf(&b, "\nSuppressed by exceptions (%d)\n", n)
		for _, f := range r.Findings {
			if f.Suppressed != nil {
				fmt.Fprintf(&b, "  %s  %s (exception %q until %s: %s)\n", f.RuleID, f.Identity.ID, f.Suppressed.Exception, f.Suppressed.Expires, f.Suppressed.Reason)
			}
		}
	}
	if o.Verbose && len(r.Excluded) > 0 {
		fmt.Fprintf(&b, "\nExcluded by default (%d)\n", len(r.Excluded))
		for _, e := range r.Excluded {
			fmt.Fprintf(&b, "  %s %s (source %s): %s\n", e.Identity.System, e.Identity.ID, e.Identity.Source, e.Reason)
		}
	}
	status := "complete"
	if !r.Complete {
		status = "INCOMPLETE"
	}
	fmt.Fprintf(&b, "\n%s; %s scanned in %s (%s), evaluated at %s\n",
		countsLine(r), plural(r.ScannedCount(), "identity", "identities"), plural(len(r.Sources), "source", "sources"), status, r.EvaluatedAt.Format("2006-01-02T15:04:05Z07:00"))
	if r.Baseline != nil {
		fmt.Fprintf(&b, "%s, evaluated at %s\n", sinceLine(r), r.Baseline.EvaluatedAt.UTC().Format("2006-01-02T15:04:05Z07:00"))
		for _, n := range baselineNotes(r) {
			fmt.Fprintln(&b, n)
		}
	}
	_, err := io.WriteString(w, strings.TrimLeft(b.String(), "\n"))
	return err
}

// plural writes n with the singular or plural noun.
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
