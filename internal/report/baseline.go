package report

import (
	"fmt"
	"strings"

	"github.com/nhi-ops/terraform-provider-nhi/internal/drift"
)

// What every format says about --baseline. Without a baseline
// (Report.Baseline nil) none of it is written, and the formats are as they
// were.

// baselineJSON is the JSON report's "baseline" object.
type baselineJSON struct {
	File                string                                       `json:"file"`
	EvaluatedAt         string                                       `json:"evaluated_at"`
	Complete            bool                                         `json:"complete"`
	IncompleteBefore    []string                                     `json:"incomplete_before"`
	NotRecheckedBecause []string                                     `json:"not_rechecked_because"`
	Summary             map[drift.BaselineState]drift.BaselineCounts `json:"summary"`
}

func baselineObject(r drift.Report) baselineJSON {
	b := r.Baseline
	o := baselineJSON{File: b.File, EvaluatedAt: b.EvaluatedAt.UTC().Format("2006-01-02T15:04:05Z07:00"), Complete: b.Complete,
		IncompleteBefore: b.IncompleteBefore, NotRecheckedBecause: b.NotRecheckedBecause, Summary: r.BaselineSummary()}
	if o.IncompleteBefore == nil {
		o.IncompleteBefore = []string{}
	}
	if o.NotRecheckedBecause == nil {
		o.NotRecheckedBecause = []string{}
	}
	return o
}

// sinceLine is "12 findings: 2 new, 10 unchanged; 3 resolved since the
// baseline" (active findings; "updated" and "not re-checked" only when
// there are some).
func sinceLine(r drift.Report) string {
	s := r.BaselineSummary()
	n := func(st drift.BaselineState) int { return s[st].Total }
	total := n(drift.BaselineNew) + n(drift.BaselineUpdated) + n(drift.BaselineUnchanged)
	parts := []string{fmt.Sprintf("%d new", n(drift.BaselineNew))}
	if u := n(drift.BaselineUpdated); u > 0 {
		parts = append(parts, fmt.Sprintf("%d updated", u))
	}
	parts = append(parts, fmt.Sprintf("%d unchanged", n(drift.BaselineUnchanged)))
	line := fmt.Sprintf("%s: %s; %d resolved", plural(total, "finding", "findings"), strings.Join(parts, ", "), n(drift.BaselineAbsent))
	if nr := n(drift.BaselineNotRechecked); nr > 0 {
		line += fmt.Sprintf(", %d not re-checked", nr)
	}
	return line + " since the baseline"
}

// baselineNotes say why some findings of the baseline are not counted as
// resolved, and that "new" is uncertain where the baseline run could not
// see everything.
func baselineNotes(r drift.Report) []string {
	b := r.Baseline
	var out []string
	if n := len(activeOf(b.NotRechecked)); n > 0 {
		out = append(out, fmt.Sprintf("%s of the baseline %s not counted as resolved (listed as not re-checked): %s.",
			plural(n, "finding", "findings"), isAre(n), strings.Join(b.NotRecheckedBecause, ", and ")))
	}
	if len(b.IncompleteBefore) > 0 {
		out = append(out, fmt.Sprintf("The baseline was incomplete (%s): a finding marked new there may be older.", strings.Join(b.IncompleteBefore, ", and ")))
	}
	return out
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

// stateNote is what a finding's line says about the baseline: "new",
// "updated: was medium", "updated: an exception accepted it"; "" for
// unchanged ones and without a baseline.
func stateNote(f drift.Finding) string {
	switch f.BaselineState {
	case drift.BaselineNew:
		return "new"
	case drift.BaselineUpdated:
		if p := f.BaselinePrevious; p != nil && p.Suppressed {
			return "updated: an exception accepted it in the baseline"
		} else if p != nil {
			return "updated: " + string(p.Severity) + " in the baseline"
		}
		return "updated"
	}
	return ""
}

// isNew reports whether a finding belongs in the "New" sections: new, or
// updated (new at its present severity).
func isNew(f drift.Finding) bool {
	return f.BaselineState == drift.BaselineNew || f.BaselineState == drift.BaselineUpdated
}

// activeOf returns the findings an exception did not accept.
func activeOf(fs []drift.Finding) []drift.Finding {
	var out []drift.Finding
	for _, f := range fs {
		if f.Suppressed == nil {
			out = append(out, f)
		}
	}
	return out
}
