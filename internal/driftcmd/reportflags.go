package driftcmd

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/nhi-ops/terraform-provider-nhi/internal/drift"
	"github.com/nhi-ops/terraform-provider-nhi/internal/report"
)

// The report flags `drift` and `drift merge` share: --format, --output,
// --fail-on and the baseline flags (baseline.go), and writing the report
// they ask for.

// reportOutput is one --output FORMAT=PATH.
type reportOutput struct{ format, path string }

// reportFlags is what --format, --output, --fail-on and the baseline flags
// decided.
type reportFlags struct {
	outs []reportOutput
	// threshold is --fail-on ("" for none, or when only --fail-on-new
	// applies).
	threshold drift.Severity
	base      baselineRun
}

// loadReportFlags checks the flags and reads the baseline; a message for a
// configuration error (exit 1) otherwise.
func loadReportFlags(fs *flag.FlagSet, format string, outputs []string, failOn string, bf baselineFlags) (reportFlags, string) {
	var rf reportFlags
	if !validFormat(format) {
		return rf, fmt.Sprintf("--format %q is not a format; use one of %s", format, strings.Join(report.Formats, ", "))
	}
	for _, o := range outputs {
		f, p, ok := strings.Cut(o, "=")
		if !ok || p == "" || !validFormat(f) {
			return rf, fmt.Sprintf("--output %q must be FORMAT=PATH with FORMAT one of %s, such as sarif=nhi.sarif", o, strings.Join(report.Formats, ", "))
		}
		rf.outs = append(rf.outs, reportOutput{f, p})
	}
	if failOn != "none" {
		s, ok := drift.ParseSeverity(failOn)
		if !ok {
			return rf, fmt.Sprintf("--fail-on %q is not a severity; use low, medium, high, critical or none", failOn)
		}
		rf.threshold = s
	}
	base, msg := bf.load(fs)
	if msg != "" {
		return rf, msg
	}
	rf.base = base
	if base.failOnOff {
		rf.threshold = ""
	}
	return rf, ""
}

// writeReports renders rep in format on stdout, then into each --output
// file (without colour, straight to the file: a large report is not held
// twice); a message for the error otherwise.
func (rf reportFlags) writeReports(stdio IO, format string, rep drift.Report, ropts report.Options) string {
	if err := report.Render(stdio.Stdout, format, rep, ropts); err != nil {
		return fmt.Sprintf("writing the report: %v", err)
	}
	ropts.Color = false
	for _, o := range rf.outs {
		f, err := os.Create(o.path)
		if err == nil {
			err = report.Render(f, o.format, rep, ropts)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			return fmt.Sprintf("writing %s: %v", o.path, err)
		}
	}
	return ""
}
