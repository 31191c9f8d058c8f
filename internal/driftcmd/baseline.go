package driftcmd

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/nhi-ops/terraform-provider-nhi/internal/drift"
	"github.com/nhi-ops/terraform-provider-nhi/internal/report"
)

// baselineFlags are --baseline and --fail-on-new.
type baselineFlags struct {
	file, failOnNew *string
}

func addBaselineFlags(fs *flag.FlagSet) baselineFlags {
	return baselineFlags{
		file: fs.String("baseline", "", "compare with an earlier JSON `report` of this tool (--format json or --output json=PATH): each finding is new or unchanged, and the report lists the baseline's findings that are resolved"),
		failOnNew: fs.String("fail-on-new", "", "exit 2 when a finding at or above this `severity` (low, medium, high, critical, or none) is new since --baseline; "+
			"without an explicit --fail-on, --fail-on is then none; with both, either fails"),
	}
}

// baselineRun is what the flags decided: the baseline read, the
// --fail-on-new threshold ("" for none), and whether --fail-on applies.
type baselineRun struct {
	file      string
	base      *drift.Baseline
	threshold drift.Severity
	// failOnOff: --fail-on-new was given and --fail-on was not, so only
	// new findings fail.
	failOnOff bool
}

// load checks the flags and reads the baseline; a message for a
// configuration error (exit 1) otherwise. It runs before any scan.
func (bf baselineFlags) load(fs *flag.FlagSet) (baselineRun, string) {
	var out baselineRun
	failOnSet, failOnNewSet := false, false
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "fail-on":
			failOnSet = true
		case "fail-on-new":
			failOnNewSet = true
		}
	})
	if failOnNewSet {
		if *bf.failOnNew != "none" {
			s, ok := drift.ParseSeverity(*bf.failOnNew)
			if !ok {
				return out, fmt.Sprintf("--fail-on-new %q is not a severity; use low, medium, high, critical or none", *bf.failOnNew)
			}
			out.threshold = s
		}
		if *bf.file == "" {
			return out, "--fail-on-new needs --baseline: it fails only on findings that are new since an earlier JSON report; " +
				"give --baseline PREVIOUS.json (written by --output json=PATH), or use --fail-on to fail on every finding"
		}
		out.failOnOff = !failOnSet
	}
	if *bf.file == "" {
		return out, ""
	}
	out.file = *bf.file
	f, err := os.Open(*bf.file)
	if err != nil {
		return out, fmt.Sprintf("--baseline %s: %v", *bf.file, err)
	}
	defer f.Close()
	out.base, err = drift.ReadBaseline(f, report.JSONVersion)
	if err != nil {
		return out, fmt.Sprintf("--baseline %s: %v", *bf.file, err)
	}
	return out, ""
}

// compare marks the report's findings against the baseline, if any.
func (b baselineRun) compare(rep *drift.Report) {
	if b.base != nil {
		drift.Compare(rep, b.base, b.file)
	}
}

// failsOnNew reports whether --fail-on-new fails the run, and says so on
// stderr.
func (b baselineRun) failsOnNew(rep drift.Report, stderr io.Writer) bool {
	if b.threshold == "" || rep.Baseline == nil {
		return false
	}
	n := rep.NewAtOrAbove(b.threshold)
	if n > 0 {
		noun := "findings"
		if n == 1 {
			noun = "finding"
		}
		fmt.Fprintf(stderr, "%d %s at or above %s new since the baseline %s (--fail-on-new %s)\n", n, noun, b.threshold, b.file, b.threshold)
	}
	return n > 0
}
