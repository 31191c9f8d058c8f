package drift

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	k8s "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/kubernetes"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

func undeclaredSA(ns, name string, age time.Duration) nhi.Identity {
	return nhi.Identity{System: k8s.SystemName, Kind: k8s.KindServiceAccount, Ref: nhi.Ref{Location: ns, Name: name},
		CreatedAt: now.Add(-age), UsageKnown: true}
}

// baselineScenario is two sources of one system, a declaration both cover
// (NHI002), findings whose wording depends on the time (NHI005, NHI009),
// and an exception.
func baselineScenario(at time.Time, reverse bool, extra ...nhi.Identity) Input {
	a := []nhi.Identity{
		undeclaredSA("ci", "stale", 100*24*time.Hour),                                                           // NHI001, NHI009 "created 100 days ago"
		declared("expiring", func(id *nhi.Identity) { id.Governance.ExpiresAt = now.Add(20 * 24 * time.Hour) }), // NHI005 "in 20 days"
		declared("owned", func(id *nhi.Identity) { id.Governance.Owner = "" }),                                  // NHI006
	}
	b := append([]nhi.Identity{undeclaredSA("ci", "plain", time.Hour)}, extra...) // NHI001
	srcs := []Source{{Name: "a", System: k8s.SystemName, Identities: a}, {Name: "b", System: k8s.SystemName, Identities: b}}
	if reverse {
		for _, s := range srcs {
			for i, j := 0, len(s.Identities)-1; i < j; i, j = i+1, j-1 {
				s.Identities[i], s.Identities[j] = s.Identities[j], s.Identities[i]
			}
		}
		srcs[0], srcs[1] = srcs[1], srcs[0]
	}
	return Input{
		Systems: testSystems, Now: at, Policy: DefaultPolicy(testSystems), Sources: srcs, StateGiven: true,
		Declarations: []Declaration{
			{Address: "x.expiring", System: k8s.SystemName, ID: "ci/expiring"}, {Address: "x.owned", System: k8s.SystemName, ID: "ci/owned"},
			{Address: "x.gone", System: k8s.SystemName, ID: "ci/gone"}, // in both sources' reach: NHI002
		},
		Exceptions: []Exception{{ID: "old", Identity: "ci/*", Rules: []string{RuleStale}, Reason: "r", Expires: now.Add(-time.Hour)}}, // NHI011
	}
}

func fingerprints(r Report) map[string]string {
	out := map[string]string{}
	for _, f := range r.Findings {
		out[f.Fingerprint] = f.RuleID + " " + f.Identity.Source + ":" + f.Identity.ID + " " + f.Message
	}
	return out
}

// A finding's fingerprint is the same in a later run with the sources and
// identities in another order, the clock two days on (so messages say
// "102 days" instead of "100") and an unrelated identity added; only that
// identity's finding is new.
func TestFingerprintsSurviveReorderingTimeAndUnrelatedChanges(t *testing.T) {
	first := Evaluate(baselineScenario(now, false))
	later := Evaluate(baselineScenario(now.Add(48*time.Hour), true, undeclaredSA("ci", "added", time.Hour)))
	fp1, fp2 := fingerprints(first), fingerprints(later)
	if len(fp1) != 7 || len(fp1) != len(first.Findings) {
		t.Fatalf("want 7 distinct fingerprints in the first run, got %d of %d findings: %v", len(fp1), len(first.Findings), fp1)
	}
	reworded := 0
	for fp, what := range fp1 {
		again, ok := fp2[fp]
		if !ok {
			t.Errorf("fingerprint of %q changed in the later run", what)
			continue
		}
		if again != what {
			reworded++
		}
	}
	if reworded < 2 {
		t.Errorf("the later run should word NHI005 and NHI009 differently (the fingerprint must not depend on it); %d reworded", reworded)
	}
	Compare(&later, &Baseline{Complete: true, Sources: first.Sources, Findings: first.Findings}, "b.json")
	var states []string
	for _, f := range later.Findings {
		if f.BaselineState != BaselineUnchanged {
			states = append(states, string(f.BaselineState)+" "+f.RuleID+" "+f.Identity.ID)
		}
	}
	if strings.Join(states, ",") != "new NHI001 ci/added" || len(later.Baseline.Absent)+len(later.Baseline.NotRechecked) != 0 {
		t.Errorf("only the added identity is new, nothing is gone: %v, absent %v", states, later.Baseline.Absent)
	}
}

// fingerprint covers the rule, the system, the source, the kind, the
// identity and the key, and nothing else.
func TestFingerprintInputs(t *testing.T) {
	ref := IdentityRef{System: "kubernetes", Source: "prod", Kind: "service_account", ID: "ci/a", Name: "a", Owner: "team:x"}
	base := fingerprint(RuleStale, ref, "credential:k1")
	owner := ref
	owner.Owner, owner.Name = "team:y", "renamed-for-display"
	if fingerprint(RuleStale, owner, "credential:k1") != base {
		t.Error("the owner or display name changed the fingerprint")
	}
	for what, fp := range map[string]string{
		"rule":   fingerprint(RuleLongLived, ref, "credential:k1"),
		"key":    fingerprint(RuleStale, ref, "credential:k2"),
		"source": fingerprint(RuleStale, IdentityRef{System: ref.System, Source: "staging", Kind: ref.Kind, ID: ref.ID}, "credential:k1"),
		"id":     fingerprint(RuleStale, IdentityRef{System: ref.System, Source: ref.Source, Kind: ref.Kind, ID: "ci/b"}, "credential:k1"),
		"kind":   fingerprint(RuleStale, IdentityRef{System: ref.System, Source: ref.Source, Kind: "role", ID: ref.ID}, "credential:k1"),
		"system": fingerprint(RuleStale, IdentityRef{System: "aws", Source: ref.Source, Kind: ref.Kind, ID: ref.ID}, "credential:k1"),
	} {
		if fp == base {
			t.Errorf("a different %s gives the same fingerprint", what)
		}
	}
}

func finding(rule string, sev Severity, source, id string) Finding {
	ref := IdentityRef{System: k8s.SystemName, Source: source, Kind: k8s.KindServiceAccount, ID: id}
	return Finding{RuleID: rule, Severity: sev, Identity: ref, Message: rule + " on " + id, Fingerprint: fingerprint(rule, ref, "")}
}

func states(r Report) []string {
	var out []string
	line := func(f Finding) string {
		s := string(f.BaselineState) + " " + f.RuleID + " " + string(f.Severity) + " " + f.Identity.Source + ":" + f.Identity.ID
		if p := f.BaselinePrevious; p != nil {
			s += fmt.Sprintf(" (was %s, suppressed %v)", p.Severity, p.Suppressed)
		}
		return s
	}
	for _, f := range r.Findings {
		out = append(out, line(f))
	}
	for _, f := range r.Baseline.Absent {
		out = append(out, line(f))
	}
	for _, f := range r.Baseline.NotRechecked {
		out = append(out, line(f))
	}
	sort.Strings(out)
	return out
}

func TestCompareStates(t *testing.T) {
	accepted := finding(RuleReused, SeverityMedium, "prod", "ci/lapsed")
	accepted.Suppressed = &Suppression{Exception: "e"}
	base := &Baseline{
		Complete: false, EvaluatedAt: now.Add(-24 * time.Hour),
		Sources: []SourceStatus{{Name: "prod", Complete: true}, {Name: "staging", Complete: true}, {Name: "old", Complete: true}, {Name: "flaky", Complete: false}},
		Owners:  &OwnersStatus{Directory: "ldap://x", Complete: true},
		Findings: []Finding{
			finding(RuleUndeclared, SeverityMedium, "prod", "ci/same"),
			finding(RuleUndeclared, SeverityMedium, "prod", "ci/raised"),
			finding(RulePrivileged, SeverityHigh, "prod", "ci/lowered"),
			accepted,
			finding(RuleUndeclared, SeverityHigh, "prod", "ci/fixed"),
			finding(RuleMissing, SeverityHigh, "prod", "ci/twice"), // two state declarations of one ID: one is gone
			finding(RuleMissing, SeverityHigh, "prod", "ci/twice"),
			finding(RuleUndeclared, SeverityHigh, "staging", "ci/unseen"),
			finding(RuleUndeclared, SeverityHigh, "old", "ci/dropped"),
			finding(RuleOrphanedOwner, SeverityHigh, "prod", "ci/left"),
			finding(RuleExceptionExpired, SeverityMedium, "exceptions", "waiver"), // not a source: judged every run
		},
	}
	rep := Report{
		Sources: []SourceStatus{{Name: "prod", Complete: true}, {Name: "staging", Complete: false}, {Name: "flaky", Complete: true}},
		Owners:  &OwnersStatus{Directory: "ldap://x", Complete: false},
		Findings: []Finding{
			finding(RuleUndeclared, SeverityMedium, "prod", "ci/same"),
			finding(RuleUndeclared, SeverityHigh, "prod", "ci/raised"),
			finding(RulePrivileged, SeverityMedium, "prod", "ci/lowered"),
			finding(RuleReused, SeverityMedium, "prod", "ci/lapsed"),
			finding(RuleMissing, SeverityHigh, "prod", "ci/twice"),
			finding(RuleUndeclared, SeverityLow, "prod", "ci/added"),
			finding(RuleUndeclared, SeverityHigh, "flaky", "ci/maybe-old"),
		},
	}
	Compare(&rep, base, "previous.json")
	want := []string{
		"absent NHI001 high prod:ci/fixed",
		"absent NHI002 high prod:ci/twice",
		"absent NHI011 medium exceptions:waiver",
		"new NHI001 high flaky:ci/maybe-old",
		"new NHI001 low prod:ci/added",
		"not_rechecked NHI001 high old:ci/dropped",
		"not_rechecked NHI001 high staging:ci/unseen",
		"not_rechecked NHI006 high prod:ci/left",
		"unchanged NHI001 medium prod:ci/same",
		"unchanged NHI002 high prod:ci/twice",
		"unchanged NHI008 medium prod:ci/lowered",
		"updated NHI001 high prod:ci/raised (was medium, suppressed false)",
		"updated NHI010 medium prod:ci/lapsed (was medium, suppressed true)",
	}
	if got := states(rep); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("states differ.\ngot:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	b := rep.Baseline
	if b.File != "previous.json" || !b.EvaluatedAt.Equal(base.EvaluatedAt) || b.Complete {
		t.Errorf("baseline header: %+v", b)
	}
	if got := strings.Join(b.NotRecheckedBecause, "; "); got != `source "old" was not scanned in this run; source "staging" could not be fully scanned in this run; the owners directory ldap://x could not be read in this run` {
		t.Errorf("not re-checked because: %s", got)
	}
	if got := strings.Join(b.IncompleteBefore, "; "); got != `source "flaky" could not be fully scanned in the baseline run` {
		t.Errorf("incomplete before: %s", got)
	}
	sum := rep.BaselineSummary()
	for st, n := range map[BaselineState]int{BaselineNew: 2, BaselineUpdated: 2, BaselineUnchanged: 3, BaselineAbsent: 3, BaselineNotRechecked: 3} {
		if sum[st].Total != n {
			t.Errorf("summary %s: %d, want %d", st, sum[st].Total, n)
		}
	}
	if sum[BaselineAbsent].BySeverity["high"] != 2 || sum[BaselineNew].BySeverity["low"] != 1 || sum[BaselineNew].BySeverity["critical"] != 0 {
		t.Errorf("summary by severity: %+v", sum)
	}
}

// A finding an exception accepted is counted nowhere, in either run.
func TestBaselineSummaryLeavesOutAccepted(t *testing.T) {
	gone := finding(RuleUndeclared, SeverityHigh, "prod", "ci/gone")
	gone.Suppressed = &Suppression{Exception: "e"}
	still := finding(RuleUndeclared, SeverityHigh, "prod", "ci/new")
	still.Suppressed = &Suppression{Exception: "e"}
	rep := Report{Sources: []SourceStatus{{Name: "prod", Complete: true}}, Findings: []Finding{still}}
	Compare(&rep, &Baseline{Sources: rep.Sources, Findings: []Finding{gone}}, "b")
	sum := rep.BaselineSummary()
	if sum[BaselineNew].Total != 0 || sum[BaselineAbsent].Total != 0 || len(rep.Baseline.Absent) != 1 {
		t.Errorf("accepted findings are listed but not counted: %+v, absent %d", sum, len(rep.Baseline.Absent))
	}
	if rep.NewAtOrAbove(SeverityLow) != 0 {
		t.Error("an accepted new finding counts for --fail-on-new")
	}
}

func TestNewAtOrAbove(t *testing.T) {
	prev := func(f Finding, st BaselineState, p *BaselinePrevious) Finding {
		f.BaselineState, f.BaselinePrevious = st, p
		return f
	}
	rep := Report{Baseline: &BaselineResult{}, Findings: []Finding{
		prev(finding(RuleExpired, SeverityCritical, "p", "a"), BaselineUnchanged, nil),
		prev(finding(RuleUndeclared, SeverityHigh, "p", "b"), BaselineNew, nil),
		prev(finding(RuleUndeclared, SeverityHigh, "p", "c"), BaselineUpdated, &BaselinePrevious{Severity: SeverityMedium}),
		prev(finding(RuleExpired, SeverityCritical, "p", "d"), BaselineUpdated, &BaselinePrevious{Severity: SeverityHigh}),
		prev(finding(RuleReused, SeverityMedium, "p", "e"), BaselineUpdated, &BaselinePrevious{Severity: SeverityMedium, Suppressed: true}),
		prev(finding(RuleExpiring, SeverityLow, "p", "f"), BaselineNew, nil),
	}}
	for sev, want := range map[Severity]int{
		SeverityCritical: 1, // d: was high, so newly critical
		SeverityHigh:     2, // b new; c was medium; d was already high
		SeverityMedium:   2, // b new; e accepted then; c and d were medium or more already
		SeverityLow:      3, // b, e, f
	} {
		if got := rep.NewAtOrAbove(sev); got != want {
			t.Errorf("NewAtOrAbove(%s) = %d, want %d", sev, got, want)
		}
	}
}

const goodReport = `{
  "version": 1,
  "complete": false,
  "evaluated_at": "2027-01-14T09:30:00Z",
  "sources": [{"name": "prod", "system": "kubernetes", "complete": true, "identities": 2, "environment": "prod"}],
  "owners": {"directory": "ldap://x", "complete": false, "error": "down"},
  "findings": [
    {"rule_id": "NHI001", "severity": "high", "owasp": "o", "identity": {"system": "kubernetes", "source": "prod", "kind": "service_account", "id": "ci/a", "name": "a", "owner": ""},
     "message": "m", "remediation": "r", "location": {"file": "f", "line": 2, "column": 1}, "fingerprint": "aa", "baseline_state": "new", "some_later_field": [1, {"x": 2}]}
  ],
  "summary": {"total": 1},
  "baseline": {"evaluated_at": "2027-01-13T09:30:00Z"},
  "absent": [{"rule_id": "NHI009", "severity": "low", "fingerprint": "cc"}],
  "not_rechecked": [{"rule_id": "NHI006", "severity": "medium", "identity": {"source": "prod"}, "fingerprint": "bb", "baseline_state": "not_rechecked"}],
  "excluded": []
}
`

// A report written with --baseline can be the next run's baseline: its
// findings and the findings it could not re-check count, those it already
// called absent do not.
func TestReadBaseline(t *testing.T) {
	b, err := ReadBaseline(strings.NewReader("\ufeff \n"+goodReport), 1)
	if err != nil {
		t.Fatal(err)
	}
	var fps []string
	for _, f := range b.Findings {
		fps = append(fps, f.Fingerprint+":"+string(f.BaselineState))
	}
	if strings.Join(fps, " ") != "aa: bb:" || b.Complete || !b.EvaluatedAt.Equal(time.Date(2027, 1, 14, 9, 30, 0, 0, time.UTC)) ||
		len(b.Sources) != 1 || !b.Sources[0].Complete || b.Owners == nil || b.Owners.Complete || b.Findings[0].Location.Line != 2 {
		t.Errorf("read %+v (findings %s)", b, fps)
	}
}

// Every schema version up to the latest is read: the fingerprint is the
// same in all of them.
func TestReadBaselineVersions(t *testing.T) {
	v := func(n int) string {
		return strings.Replace(goodReport, `"version": 1`, fmt.Sprintf(`"version": %d`, n), 1)
	}
	for _, n := range []int{1, 2} {
		if _, err := ReadBaseline(strings.NewReader(v(n)), 2); err != nil {
			t.Errorf("version %d: %v", n, err)
		}
	}
	if _, err := ReadBaseline(strings.NewReader(v(3)), 2); err == nil || !strings.Contains(err.Error(), "it is version 3 of the JSON report, and this reporter reads versions 1 to 2") {
		t.Errorf("version 3: %v", err)
	}
}

func TestReadBaselineRefusesWhatIsNotAReport(t *testing.T) {
	report := func(edit func(map[string]any)) string {
		var m map[string]any
		if err := json.Unmarshal([]byte(goodReport), &m); err != nil {
			t.Fatal(err)
		}
		edit(m)
		b, _ := json.Marshal(m)
		return string(b)
	}
	for name, c := range map[string]struct{ in, want string }{
		"empty":             {"  \n", "the file is empty"},
		"junit":             {`<?xml version="1.0"?><testsuites/>`, "it is XML (a JUnit report?)"},
		"text":              {"CRITICAL (1)\n  NHI004 ...", "it is not a JSON object (text or Markdown output?)"},
		"a list":            {`[{"version": 1}]`, "it is not a JSON object"},
		"sarif":             {`{"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0", "runs": []}`, "it is a SARIF log"},
		"truncated":         {goodReport[:200], "invalid JSON near byte"},
		"trailing data":     {goodReport + "{}", "more data follows the report"},
		"no version":        {report(func(m map[string]any) { delete(m, "version") }), `it has no "version"`},
		"version 2":         {report(func(m map[string]any) { m["version"] = 2 }), "it is version 2 of the JSON report, and this reporter reads version 1"},
		"no findings":       {report(func(m map[string]any) { delete(m, "findings") }), `it has no "findings"`},
		"no sources":        {report(func(m map[string]any) { delete(m, "sources") }), `it has no "sources"`},
		"findings a string": {report(func(m map[string]any) { m["findings"] = "x" }), `"findings" is not a list`},
		"no fingerprint": {report(func(m map[string]any) {
			m["findings"] = []any{map[string]any{"rule_id": "NHI001", "severity": "high"}}
		}), "findings[0] has no fingerprint"},
		"bad severity": {report(func(m map[string]any) {
			m["findings"] = []any{map[string]any{"rule_id": "NHI001", "severity": "severe", "fingerprint": "x"}}
		}), `findings[0] has severity "severe"`},
		"wrong type": {report(func(m map[string]any) { m["sources"] = []any{map[string]any{"complete": "yes"}} }), `"sources" near byte`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ReadBaseline(strings.NewReader(c.in), 1)
			if err == nil || !errors.Is(err, ErrNotAReport) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}
