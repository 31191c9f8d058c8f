// Package report renders drift reports: text for people, JSON for
// machines, SARIF 2.1.0 for code scanning, JUnit XML for CI dashboards,
// Markdown for pull-request comments, and Terraform import blocks for
// adopting undeclared identities. It knows nothing of Terraform's types.
package report

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/nhi-ops/terraform-provider-nhi/internal/drift"
)

// Formats accepted by --format and --output.
var Formats = []string{"text", "json", "sarif", "junit", "markdown"}

// Options tune rendering.
type Options struct {
	// Version of the tool, for SARIF's driver.
	Version string
	// BaseDir makes file locations relative (for SARIF URIs); empty keeps
	// them as they are.
	BaseDir string
	// Color enables ANSI colours in text.
	Color bool
	// Verbose lists excluded identities in text.
	Verbose bool
}

// Render writes the report in one format.
func Render(w io.Writer, format string, r drift.Report, o Options) error {
	switch format {
	case "text":
		return Text(w, r, o)
	case "json":
		return JSON(w, r)
	case "sarif":
		return SARIF(w, r, o)
	case "junit":
		return JUnit(w, r)
	case "markdown":
		return Markdown(w, r)
	}
	return fmt.Errorf("unknown format %q; use one of %s", format, strings.Join(Formats, ", "))
}

// summary is the JSON summary block, also used by the other formats.
type summary struct {
	Total      int            `json:"total"`
	Suppressed int            `json:"suppressed"`
	BySeverity map[string]int `json:"by_severity"`
	ByRule     map[string]int `json:"by_rule"`
}

func summarize(r drift.Report) summary {
	s := summary{BySeverity: map[string]int{}, ByRule: map[string]int{}}
	for _, sev := range drift.Severities {
		s.BySeverity[string(sev)] = 0
	}
	for _, f := range r.Findings {
		if f.Suppressed != nil {
			s.Suppressed++
			continue
		}
		s.Total++
		s.BySeverity[string(f.Severity)]++
		s.ByRule[f.RuleID]++
	}
	return s
}

// countsLine is "3 findings: 1 critical, 2 high" (active findings only).
func countsLine(r drift.Report) string {
	s := summarize(r)
	if s.Total == 0 {
		return "no findings"
	}
	var parts []string
	for i := len(drift.Severities) - 1; i >= 0; i-- {
		if n := s.BySeverity[string(drift.Severities[i])]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, drift.Severities[i]))
		}
	}
	noun := "findings"
	if s.Total == 1 {
		noun = "finding"
	}
	return fmt.Sprintf("%d %s: %s", s.Total, noun, strings.Join(parts, ", "))
}

func relPath(file, base string) string {
	if base == "" || file == "" {
		return filepath.ToSlash(file)
	}
	if rel, err := filepath.Rel(base, file); err == nil && !strings.HasPrefix(rel, "..") {
		return filepath.ToSlash(rel)
	}
	return filepath.ToSlash(file)
}

func incompleteSources(r drift.Report) []drift.SourceStatus {
	var out []drift.SourceStatus
	for _, s := range r.Sources {
		if !s.Complete {
			out = append(out, s)
		}
	}
	return out
}

// incompleteOwners is the owners directory's status when it could not be
// read; nil when it was read or there is none.
func incompleteOwners(r drift.Report) *drift.OwnersStatus {
	if r.Owners == nil || r.Owners.Complete {
		return nil
	}
	return r.Owners
}
