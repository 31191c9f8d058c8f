package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nhi-ops/terraform-provider-nhi/internal/drift"
)

// sampleWithBaseline is sample() compared with a baseline of the day
// before: NHI004 was high then (updated), NHI001 and the accepted NHI010
// are unchanged, NHI011 is new, an NHI003 is resolved, and an NHI001 of
// staging, which is incomplete now, is not re-checked. Staging was
// incomplete in the baseline run too.
func sampleWithBaseline() drift.Report {
	r := sample()
	prev := sample().Findings
	prev[0].Severity = drift.SeverityHigh
	resolved := drift.Finding{RuleID: "NHI003", Severity: drift.SeverityHigh, OWASP: drift.OWASPOverprivileged,
		Identity: drift.IdentityRef{System: "kubernetes", Source: "prod", Kind: "service_account", ID: "ci/widened", Name: "widened", Owner: "team:platform"},
		Message:  "service account ci/widened holds undeclared clusterrole:edit", Remediation: "Remove the grant.",
		Location: &drift.Location{File: "/repo/infra/identities.tf", Line: 30, Column: 1}, Fingerprint: "55555555555555555555555555555555"}
	unseen := drift.Finding{RuleID: "NHI001", Severity: drift.SeverityMedium, OWASP: drift.OWASPImproperOffboarding,
		Identity: drift.IdentityRef{System: "kubernetes", Source: "staging", Kind: "service_account", ID: "web/runner", Name: "runner"},
		Message:  `service account web/runner exists in source "staging" but is not declared`, Remediation: "Declare it.",
		Location: &drift.Location{File: "/repo/nhi-drift.hcl", Line: 8, Column: 1}, Fingerprint: "66666666666666666666666666666666"}
	drift.Compare(&r, &drift.Baseline{
		EvaluatedAt: r.EvaluatedAt.Add(-24 * time.Hour), Complete: false,
		Sources:  []drift.SourceStatus{{Name: "prod", System: "kubernetes", Complete: true, Identities: 3}, {Name: "staging", System: "kubernetes", Complete: false, Error: "timed out"}},
		Findings: []drift.Finding{prev[0], prev[1], prev[3], resolved, unseen},
	}, "nhi-yesterday.json")
	return r
}

func TestGoldenFormatsWithBaseline(t *testing.T) {
	for _, f := range Formats {
		t.Run(f, func(t *testing.T) {
			var b bytes.Buffer
			if err := Render(&b, f, sampleWithBaseline(), Options{Version: "1.2.3", BaseDir: "/repo", Verbose: true}); err != nil {
				t.Fatal(err)
			}
			golden(t, "report.baseline."+f, b.Bytes())
		})
	}
}

// The text report's last lines count what is old.
func TestTextSaysHowManyAreOld(t *testing.T) {
	var b bytes.Buffer
	if err := Text(&b, sampleWithBaseline(), Options{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"3 findings: 1 new, 1 updated, 1 unchanged; 1 resolved, 1 not re-checked since the baseline, evaluated at 2027-01-14T09:30:00Z\n",
		`1 finding of the baseline is not counted as resolved (listed as not re-checked): source "staging" could not be fully scanned in this run.`,
		"NHI004  [updated: high in the baseline] service account ci/deployer expired",
		"NHI011  [new] exception",
		"RESOLVED since the baseline (1)\n  NHI003  service account ci/widened holds undeclared clusterrole:edit (high)",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, b.String())
		}
	}
}

// A JSON report written with --baseline is read back as the next run's
// baseline: its findings and its not re-checked ones, not its absent ones.
func TestJSONReadsBackAsBaseline(t *testing.T) {
	for name, r := range map[string]drift.Report{"plain": sample(), "with a baseline": sampleWithBaseline()} {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := JSON(&b, r); err != nil {
				t.Fatal(err)
			}
			base, err := drift.ReadBaseline(&b, JSONVersion)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range base.Findings {
				got = append(got, f.RuleID+":"+f.Fingerprint[:1]+":"+string(f.BaselineState))
			}
			want := "NHI004:1: NHI001:2: NHI011:3: NHI010:4:"
			if r.Baseline != nil {
				want += " NHI001:6:"
			}
			if strings.Join(got, " ") != want || base.Complete || len(base.Sources) != 2 || base.Owners == nil || !base.EvaluatedAt.Equal(r.EvaluatedAt) {
				t.Errorf("read back %s (want %s), %+v", strings.Join(got, " "), want, base)
			}
			// Compared with itself, nothing is new and nothing is gone
			// (the not re-checked one stays not re-checked: staging is
			// still incomplete).
			again := r
			again.Findings = append([]drift.Finding(nil), r.Findings...)
			drift.Compare(&again, base, "self")
			s := again.BaselineSummary()
			if s[drift.BaselineNew].Total+s[drift.BaselineUpdated].Total+s[drift.BaselineAbsent].Total != 0 {
				t.Errorf("a report compared with itself: %+v", s)
			}
		})
	}
}

func TestJSONBaselineFields(t *testing.T) {
	var b bytes.Buffer
	if err := JSON(&b, sampleWithBaseline()); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Findings []struct {
			RuleID   string                  `json:"rule_id"`
			State    string                  `json:"baseline_state"`
			Previous *drift.BaselinePrevious `json:"baseline_previous"`
		} `json:"findings"`
		Baseline struct {
			File, EvaluatedAt string
			Summary           map[string]drift.BaselineCounts `json:"summary"`
		} `json:"baseline"`
		Absent       []struct{ RuleID, Fingerprint, BaselineState string } `json:"absent"`
		NotRechecked []struct {
			RuleID string `json:"rule_id"`
			State  string `json:"baseline_state"`
		} `json:"not_rechecked"`
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range doc.Findings {
		s := f.RuleID + ":" + f.State
		if f.Previous != nil {
			s += fmt.Sprintf("(was %s)", f.Previous.Severity)
		}
		got = append(got, s)
	}
	if strings.Join(got, " ") != "NHI004:updated(was high) NHI001:unchanged NHI011:new NHI010:unchanged" {
		t.Errorf("findings: %v", got)
	}
	if len(doc.Absent) != 1 || len(doc.NotRechecked) != 1 || doc.NotRechecked[0].State != "not_rechecked" {
		t.Errorf("absent %+v, not re-checked %+v", doc.Absent, doc.NotRechecked)
	}
	sum := doc.Baseline.Summary
	if sum["new"].BySeverity["medium"] != 1 || sum["updated"].BySeverity["critical"] != 1 || sum["absent"].BySeverity["high"] != 1 ||
		sum["unchanged"].Total != 1 || sum["not_rechecked"].Total != 1 {
		t.Errorf("summary: %+v", sum)
	}
	// Without a baseline the report has none of it.
	b.Reset()
	if err := JSON(&b, sample()); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{`"baseline`, `"absent"`, `"not_rechecked"`} {
		if strings.Contains(b.String(), k) {
			t.Errorf("a report without --baseline has %s", k)
		}
	}
}

func TestSARIFBaselineStates(t *testing.T) {
	var b bytes.Buffer
	if err := SARIF(&b, sampleWithBaseline(), Options{BaseDir: "/repo"}); err != nil {
		t.Fatal(err)
	}
	var log struct {
		Runs []struct {
			Results []struct {
				RuleID              string            `json:"ruleId"`
				Kind                string            `json:"kind"`
				Level               string            `json:"level"`
				BaselineState       string            `json:"baselineState"`
				PartialFingerprints map[string]string `json:"partialFingerprints"`
				Message             struct{ Text string }
				Properties          map[string]any `json:"properties"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(b.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, x := range log.Runs[0].Results {
		s := strings.Fields(fmt.Sprintf("%s %s %s %s", x.RuleID, x.BaselineState, x.Level, x.Kind))
		if v, ok := x.Properties["nhiBaselineState"]; ok {
			s = append(s, fmt.Sprint(v))
		}
		got = append(got, strings.Join(s, " "))
		fp := x.PartialFingerprints
		if fp["nhiFinding/v1"] == "" || fp["primaryLocationLineHash"] != fp["nhiFinding/v1"] {
			t.Errorf("%s: partialFingerprints %v", x.RuleID, fp)
		}
	}
	want := []string{
		"NHI004 updated error", "NHI001 unchanged error", "NHI011 new warning", "NHI010 unchanged warning",
		"NHI003 absent none pass", "NHI001 unchanged warning not_rechecked",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("results:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestMarkdownLeadsWithNewAndResolved(t *testing.T) {
	var b bytes.Buffer
	if err := Markdown(&b, sampleWithBaseline()); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	iNew, iRes, iSame := strings.Index(md, "### New or updated (2)"), strings.Index(md, "### Resolved since the baseline (1)"), strings.Index(md, "### Unchanged (1)")
	if iNew < 0 || iRes < iNew || iSame < iRes || !strings.Contains(md, "**3 findings: 1 new, 1 updated, 1 unchanged; 1 resolved, 1 not re-checked since the baseline** of 2027-01-14 09:30 UTC.") {
		t.Errorf("markdown sections out of order or missing:\n%s", md)
	}
}

// Each of New and Resolved shows at most MarkdownRows rows, and Unchanged
// what is left of MarkdownRows after them.
func TestMarkdownBaselineRowsAreBounded(t *testing.T) {
	r := drift.Report{EvaluatedAt: time.Date(2027, 1, 15, 0, 0, 0, 0, time.UTC), Sources: []drift.SourceStatus{{Name: "p", Complete: true}}}
	var before []drift.Finding
	mk := func(i int) drift.Finding {
		return drift.Finding{RuleID: "NHI001", Severity: drift.SeverityMedium, Identity: drift.IdentityRef{Source: "p", ID: fmt.Sprintf("ns/sa-%03d", i)}, Message: "m", Fingerprint: fmt.Sprintf("%032d", i)}
	}
	for i := 0; i < 70; i++ { // 0-59 now and before (unchanged), 60-69 only now (new)
		r.Findings = append(r.Findings, mk(i))
	}
	for i := 0; i < 60; i++ {
		before = append(before, mk(i))
	}
	for i := 100; i < 130; i++ { // resolved
		before = append(before, mk(i))
	}
	drift.Compare(&r, &drift.Baseline{Sources: r.Sources, Findings: before}, "b")
	var b bytes.Buffer
	if err := Markdown(&b, r); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	if rows := strings.Count(md, "| 🟠 medium |"); rows != 50 {
		t.Errorf("%d rows, want 10 new, 30 resolved and 10 unchanged:\n%s", rows, md)
	}
	if !strings.Contains(md, "### Unchanged (60)") || !strings.Contains(md, "…and 50 more unchanged; see the full report.") {
		t.Errorf("unchanged rows not bounded:\n%s", md)
	}
}
