package report

import (
	"encoding/json"
	"io"

	"github.com/nhi-ops/terraform-provider-nhi/internal/drift"
)

// JSONVersion is the version of the JSON report schema
// (docs/guides/drift-reporter.md documents it).
const JSONVersion = 1

type jsonReport struct {
	Version     int                      `json:"version"`
	Complete    bool                     `json:"complete"`
	EvaluatedAt string                   `json:"evaluated_at"`
	Sources     []drift.SourceStatus     `json:"sources"`
	Findings    []drift.Finding          `json:"findings"`
	Summary     summary                  `json:"summary"`
	Excluded    []drift.ExcludedIdentity `json:"excluded"`
}

// JSON renders the versioned machine-readable report.
func JSON(w io.Writer, r drift.Report) error {
	out := jsonReport{
		Version: JSONVersion, Complete: r.Complete, EvaluatedAt: r.EvaluatedAt.Format("2006-01-02T15:04:05Z07:00"),
		Sources: r.Sources, Findings: r.Findings, Summary: summarize(r), Excluded: r.Excluded,
	}
	if out.Sources == nil {
		out.Sources = []drift.SourceStatus{}
	}
	if out.Findings == nil {
		out.Findings = []drift.Finding{}
	}
	if out.Excluded == nil {
		out.Excluded = []drift.ExcludedIdentity{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
