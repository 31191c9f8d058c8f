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
		countsLine(r), len(r.Scanned), len(r.Sources), r.EvaluatedAt.Format("2006-01-02 15:04 MST"))
	active := r.Active()
	if len(active) > 0 {
		b.WriteString("| Severity | Rule | Identity | Finding |\n|---|---|---|---|\n")
		for i, f := range active {
			if i == MarkdownRows {
				fmt.Fprintf(&b, "\n…and %d more; see the full report.\n", len(active)-MarkdownRows)
				break
			}
			fmt.Fprintf(&b, "| %s | [%s](%s#%s) | `%s` (%s) | %s |\n", sevIcon[f.Severity], f.RuleID, drift.HelpURI, strings.ToLower(f.RuleID),
				mdEscape(f.Identity.ID), mdEscape(f.Identity.Source), mdEscape(f.Message))
		}
	}
	if n := len(r.Findings) - len(active); n > 0 {
		fmt.Fprintf(&b, "\n%d more accepted by exceptions.\n", n)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func mdEscape(s string) string {
	return strings.NewReplacer("|", "\\|", "\n", " ", "`", "'").Replace(s)
}
