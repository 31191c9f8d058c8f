package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/nhi-ops/terraform-provider-nhi/internal/drift"
)

// MarkdownRows bounds the table, so that the report fits a pull-request
// comment.
const MarkdownRows = 50

var sevIcon = map[drift.Severity]string{
	drift.SeverityCritical: "🟣 critical", drift.SeverityHigh: "🔴 high", drift.SeverityMedium: "🟠 medium", drift.SeverityLow: "🔵 low",
}

// Markdown renders a summary and a table for a pull-request comment.
func Markdown(w io.Writer, r drift.Report) error {
	var b strings.Builder
	b.WriteString("## Non-human identity drift\n\n")
	for _, s := range incompleteSources(r) {
		fmt.Fprintf(&b, "> **Incomplete:** source `%s` (%s) could not be fully scanned: %s\n\n", s.Name, s.System, mdEscape(s.Error))
	}
	if o := incompleteOwners(r); o != nil {
		fmt.Fprintf(&b, "> **Incomplete:** owners directory `%s` could not be read: %s\n\n", mdEscape(o.Directory), mdEscape(o.Error))
	}
	fmt.Fprintf(&b, "**%s** in %d identities across %d sources, evaluated at %s.\n\n",
		countsLine(r), r.ScannedCount(), len(r.Sources), r.EvaluatedAt.Format("2006-01-02 15:04 MST"))
	active := r.Active()
	if r.Baseline != nil {
		markdownSinceBaseline(&b, r, active)
	} else {
		mdTable(&b, active, MarkdownRows, "")
	}
	if n := len(r.Findings) - len(active); n > 0 {
		fmt.Fprintf(&b, "\n%d more accepted by exceptions.\n", n)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// markdownSinceBaseline leads with what is new and what was resolved
// since the baseline, then lists the unchanged findings in the rows left.
// New and Resolved show at most MarkdownRows rows each; Unchanged what is
// left of MarkdownRows after them.
func markdownSinceBaseline(b *strings.Builder, r drift.Report, active []drift.Finding) {
	fmt.Fprintf(b, "**%s** of %s.\n\n", sinceLine(r), r.Baseline.EvaluatedAt.UTC().Format("2006-01-02 15:04 MST"))
	for _, n := range baselineNotes(r) {
		fmt.Fprintf(b, "> %s\n\n", mdEscape(n))
	}
	var fresh, same []drift.Finding
	for _, f := range active {
		if isNew(f) {
			fresh = append(fresh, f)
		} else {
			same = append(same, f)
		}
	}
	gone := activeOf(r.Baseline.Absent)
	newTitle := "New"
	if r.BaselineSummary()[drift.BaselineUpdated].Total > 0 {
		newTitle = "New or updated"
	}
	left, first := MarkdownRows, true
	for _, sec := range []struct {
		title string
		rows  []drift.Finding
		limit int
	}{{newTitle, fresh, MarkdownRows}, {"Resolved since the baseline", gone, MarkdownRows}, {"Unchanged", same, -1}} {
		if len(sec.rows) == 0 {
			continue
		}
		limit := sec.limit
		if limit < 0 {
			limit = max(left, 0)
		}
		if !first {
			b.WriteString("\n")
		}
		first = false
		fmt.Fprintf(b, "### %s (%d)\n\n", sec.title, len(sec.rows))
		left -= min(len(sec.rows), limit)
		mdTable(b, sec.rows, limit, strings.ToLower(strings.Fields(sec.title)[0]))
	}
}

// mdTable writes at most limit rows of findings, and how many more there
// are ("…and 3 more unchanged").
func mdTable(b *strings.Builder, fs []drift.Finding, limit int, what string) {
	if len(fs) == 0 {
		return
	}
	if limit > 0 {
		b.WriteString("| Severity | Rule | Identity | Finding |\n|---|---|---|---|\n")
	}
	for i, f := range fs {
		if i == limit {
			if limit > 0 {
				b.WriteString("\n")
			}
			if what != "" {
				what = " " + what
			}
			fmt.Fprintf(b, "…and %d more%s; see the full report.\n", len(fs)-limit, what)
			break
		}
		msg := mdEscape(f.Message)
		if f.BaselineState == drift.BaselineUpdated {
			msg += " *(" + mdEscape(stateNote(f)) + ")*"
		}
		fmt.Fprintf(b, "| %s | [%s](%s#%s) | `%s` (%s) | %s |\n", sevIcon[f.Severity], f.RuleID, drift.HelpURI, strings.ToLower(f.RuleID),
			mdEscape(f.Identity.ID), mdEscape(f.Identity.Source), msg)
	}
}

func mdEscape(s string) string {
	return strings.NewReplacer("|", "\\|", "\n", " ", "`", "'").Replace(s)
}
