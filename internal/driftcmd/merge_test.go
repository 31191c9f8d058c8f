package driftcmd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	awsc "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/aws"
	k8s "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/kubernetes"
	"github.com/nhi-ops/terraform-provider-nhi/internal/drift"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/report"
)

var mergeNow = time.Date(2027, 1, 15, 0, 0, 0, 0, time.UTC)

func mergeSA(name, uid string) nhi.Identity {
	return nhi.Identity{System: k8s.SystemName, Kind: k8s.KindServiceAccount, ID: uid, Ref: nhi.Ref{Location: "ci", Name: name}, CreatedAt: mergeNow.Add(-time.Hour)}
}

func mergeUser(name, uid string, keys ...string) nhi.Identity {
	id := nhi.Identity{System: awsc.SystemName, Kind: awsc.KindIAMUser, ID: uid, Ref: nhi.Ref{Location: "user", Name: name}, CreatedAt: mergeNow.Add(-time.Hour)}
	for _, k := range keys {
		id.Credentials = append(id.Credentials, nhi.Credential{ID: k, Kind: awsc.CredentialAccessKey, CreatedAt: mergeNow.Add(-time.Hour)})
	}
	return id
}

// writeShard evaluates one run's sources and writes its JSON report.
func writeShard(t *testing.T, dir, name string, in drift.Input) string {
	t.Helper()
	in.Systems, in.Now, in.Policy = testSystems, mergeNow, drift.DefaultPolicy(testSystems)
	var b bytes.Buffer
	if err := report.JSON(&b, drift.Evaluate(in)); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name+".json")
	if err := os.WriteFile(p, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

type mergeRun struct {
	code           int
	stdout, stderr string
}

func runMerge(t *testing.T, args ...string) mergeRun {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), append([]string{"merge"}, args...), IO{Stdout: &out, Stderr: &errb}, "test", testSystems)
	return mergeRun{code, out.String(), errb.String()}
}

type mergedJSON struct {
	Version  int  `json:"version"`
	Complete bool `json:"complete"`
	Sources  []struct {
		Name, System, Error string
		Complete            bool
		Environment         string
	} `json:"sources"`
	Findings   []drift.Finding                 `json:"findings"`
	Identities []drift.ScannedIdentity         `json:"identities"`
	Excluded   []drift.ExcludedIdentity        `json:"excluded"`
	Exceptions []json.RawMessage               `json:"exceptions"`
	Summary    struct{ Total, Suppressed int } `json:"summary"`
}

func parseMerged(t *testing.T, s string) mergedJSON {
	t.Helper()
	var r mergedJSON
	if err := json.Unmarshal([]byte(s), &r); err != nil {
		t.Fatalf("not the JSON report: %v\n%s", err, s)
	}
	return r
}

func lines(r mergedJSON) []string {
	var out []string
	for _, f := range r.Findings {
		l := fmt.Sprintf("%s %s %s:%s: %s", f.RuleID, f.Severity, f.Identity.Source, f.Identity.ID, f.Message)
		if f.Suppressed != nil {
			l += " (suppressed by " + f.Suppressed.Exception + ")"
		}
		out = append(out, l)
	}
	sort.Strings(out)
	return out
}

func sameLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s differ.\ngot:\n  %s\nwant:\n  %s", what, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// shards writes four runs: a prod cluster and account, a staging cluster
// and account, the prod account again under another name (overlap), and a
// run whose cluster could not be scanned.
func mergeShards(t *testing.T) (dir string, a, b, c, d string) {
	dir = t.TempDir()
	// Every shard is given the whole state: ci/ghost-b lives in the staging
	// cluster, ci/gone nowhere.
	decls := []drift.Declaration{
		{Address: "nhi_kubernetes_service_account.ghost_b", System: k8s.SystemName, Kind: k8s.KindServiceAccount, ID: "ci/ghost-b", UID: "uid-ghost-b"},
		{Address: "nhi_kubernetes_service_account.gone", System: k8s.SystemName, Kind: k8s.KindServiceAccount, ID: "ci/gone", UID: "uid-gone"},
	}
	waiver := drift.Exception{ID: "shared-reader", Identity: "user/reader", Rules: []string{drift.RuleEnvironment}, Reason: "read-only, being split", Expires: mergeNow.Add(30 * 24 * time.Hour)}
	a = writeShard(t, dir, "a", drift.Input{StateGiven: true, Declarations: decls, Exceptions: []drift.Exception{waiver}, Sources: []drift.Source{
		{Name: "prod-eu", System: k8s.SystemName, Environment: "prod", Identities: []nhi.Identity{mergeSA("shadow", "uid-shadow-a")},
			Deliveries: []drift.Delivery{{Where: "apps/aws-creds", CredentialID: "AKIACI1"}}},
		{Name: "aws-prod", System: awsc.SystemName, Environment: "prod", Identities: []nhi.Identity{mergeUser("deployer", "AIDADEPLOYER"), mergeUser("reader", "AIDAREADER")}},
	}})
	b = writeShard(t, dir, "b", drift.Input{StateGiven: true, Declarations: decls, Exceptions: []drift.Exception{waiver}, Sources: []drift.Source{
		{Name: "staging-eu", System: k8s.SystemName, Environment: "staging", Identities: []nhi.Identity{mergeSA("shadow", "uid-shadow-b"), mergeSA("ghost-b", "uid-ghost-b")},
			Deliveries: []drift.Delivery{{Where: "ci/aws", CredentialID: "AKIACI1"}}},
		{Name: "aws-staging", System: awsc.SystemName, Environment: "staging", Identities: []nhi.Identity{mergeUser("deployer", "AIDADEPLOYER"), mergeUser("reader", "AIDAREADER"), mergeUser("ci", "AIDACI", "AKIACI1")}},
	}})
	c = writeShard(t, dir, "c", drift.Input{Sources: []drift.Source{
		{Name: "aws-audit", System: awsc.SystemName, Environment: "prod", Identities: []nhi.Identity{mergeUser("deployer", "AIDADEPLOYER"), mergeUser("reader", "AIDAREADER")}},
	}})
	d = writeShard(t, dir, "d", drift.Input{Sources: []drift.Source{
		{Name: "prod-us", System: k8s.SystemName, Environment: "prod", Err: errors.New("listing service accounts: connection refused")},
	}})
	return dir, a, b, c, d
}

// The merge over shards: findings de-duplicated across shards (the prod
// account seen by two runs under two names counts once), NHI002 only for
// the declaration no shard has (naming every source that lacks it), NHI015
// for the identities only the whole estate shows in two environments (a
// user in two accounts' sources, a key delivered to two clusters), the
// waiver of one shard's configuration applied to the merged finding, and
// each missing or incomplete shard making the report incomplete (exit 3).
func TestMergeShards(t *testing.T) {
	_, a, b, c, d := mergeShards(t)
	r := runMerge(t, "--format", "json", "--expect-shards", "prod-eu,staging-eu,aws-audit", a, b, c)
	if r.code != ExitFindings {
		t.Fatalf("exit %d, want %d\nstderr: %s", r.code, ExitFindings, r.stderr)
	}
	rep := parseMerged(t, r.stdout)
	sameLines(t, "merged findings", lines(rep), []string{
		`NHI001 medium aws-audit:user/deployer: IAM user user/deployer exists in source "aws-audit" but is not declared`,
		`NHI001 medium aws-audit:user/reader: IAM user user/reader exists in source "aws-audit" but is not declared`,
		`NHI001 medium aws-staging:user/ci: IAM user user/ci exists in source "aws-staging" but is not declared`,
		`NHI001 medium prod-eu:ci/shadow: service account ci/shadow exists in source "prod-eu" but is not declared`,
		`NHI001 medium staging-eu:ci/shadow: service account ci/shadow exists in source "staging-eu" but is not declared`,
		`NHI001 medium staging-eu:ci/ghost-b: service account ci/ghost-b exists in source "staging-eu" but is not declared`,
		`NHI002 high prod-eu:ci/gone: ci/gone is declared in Terraform state as nhi_kubernetes_service_account.gone but does not exist in any of the sources "prod-eu", "staging-eu"`,
		`NHI015 high aws-audit:user/deployer: IAM user user/deployer is used from 2 environments: prod (source "aws-audit"; source "aws-prod"), staging (source "aws-staging")`,
		`NHI015 high aws-audit:user/reader: IAM user user/reader is used from 2 environments: prod (source "aws-audit"; source "aws-prod"), staging (source "aws-staging") (suppressed by shared-reader)`,
		`NHI015 high aws-staging:user/ci: IAM user user/ci is used from 2 environments: prod (access key AKIACI1 delivered to apps/aws-creds in source "prod-eu"), staging (access key AKIACI1 delivered to ci/aws in source "staging-eu"; source "aws-staging")`,
	})
	if !rep.Complete || rep.Version != report.JSONVersion || len(rep.Sources) != 5 {
		t.Errorf("header: complete %v version %d sources %+v", rep.Complete, rep.Version, rep.Sources)
	}
	// The identities as each source saw them (so the merged report can be
	// merged again); counted once each: 2 service accounts named shadow
	// (two clusters), ghost-b, and 3 users.
	var ids []string
	for _, id := range rep.Identities {
		ids = append(ids, id.Source+":"+id.ID+":"+id.UID)
	}
	sort.Strings(ids)
	sameLines(t, "merged identities", ids, []string{"prod-eu:ci/shadow:uid-shadow-a", "staging-eu:ci/shadow:uid-shadow-b", "staging-eu:ci/ghost-b:uid-ghost-b",
		"aws-audit:user/deployer:AIDADEPLOYER", "aws-audit:user/reader:AIDAREADER", "aws-staging:user/ci:AIDACI",
		"aws-prod:user/deployer:AIDADEPLOYER", "aws-prod:user/reader:AIDAREADER", "aws-staging:user/deployer:AIDADEPLOYER", "aws-staging:user/reader:AIDAREADER"})
	if len(rep.Exceptions) != 1 {
		t.Errorf("exceptions: %s", rep.Exceptions)
	}

	// The text report counts each identity once.
	text := runMerge(t, a, b, c)
	if !strings.Contains(text.stdout, "9 findings: 3 high, 6 medium; 6 identities scanned in 5 sources (complete)") {
		t.Errorf("text footer:\n%s", text.stdout)
	}
	// JUnit: one test case per identity, each once, and one for the
	// missing declaration.
	if j := runMerge(t, "--format", "junit", a, b, c); strings.Count(j.stdout, "<testcase ") != 7 || !strings.Contains(j.stdout, `<testsuites name="nhi-drift" tests="7"`) {
		t.Errorf("merged JUnit:\n%s", j.stdout)
	}
	// A merged report merged again (with the shards of another region, or
	// alone) says the same: it knows where each identity was seen.
	dir := t.TempDir()
	ab, cOnly := filepath.Join(dir, "ab.json"), filepath.Join(dir, "c.json")
	runMerge(t, "--fail-on", "none", "--output", "json="+ab, a, b)
	runMerge(t, "--fail-on", "none", "--output", "json="+cOnly, c)
	if twice := parseMerged(t, runMerge(t, "--format", "json", ab, cOnly).stdout); strings.Join(lines(twice), "\n") != strings.Join(lines(rep), "\n") {
		t.Errorf("merging merged reports changed the findings:\n%s", strings.Join(lines(twice), "\n"))
	}
	if text := runMerge(t, ab, cOnly); !strings.Contains(text.stdout, "6 identities scanned in 5 sources") {
		t.Errorf("merged reports merged again: text footer:\n%s", text.stdout)
	}
	// The same report given twice counts once.
	if again := parseMerged(t, runMerge(t, "--format", "json", a, b, c, c).stdout); strings.Join(lines(again), "\n") != strings.Join(lines(rep), "\n") {
		t.Errorf("a report given twice changed the merge:\n%s", strings.Join(lines(again), "\n"))
	}
	// The order of the reports does not matter.
	if swapped := parseMerged(t, runMerge(t, "--format", "json", c, b, a).stdout); strings.Join(lines(swapped), "\n") != strings.Join(lines(rep), "\n") {
		t.Errorf("the order of the reports changed the merge:\n%s", strings.Join(lines(swapped), "\n"))
	}

	// A missing shard: by count, and by name.
	for name, args := range map[string][]string{
		"--expect":        {"--expect", "3", a, b},
		"--expect-shards": {"--expect-shards", "prod-eu,staging-eu,aws-audit", a, b},
	} {
		r := runMerge(t, append([]string{"--format", "json"}, args...)...)
		rep := parseMerged(t, r.stdout)
		last := rep.Sources[len(rep.Sources)-1]
		if r.code != ExitIncomplete || rep.Complete || last.Complete || last.System != "shard" || !strings.Contains(r.stderr, "Incomplete: source") {
			t.Errorf("%s with a shard missing: exit %d, complete %v, last source %+v\nstderr: %s", name, r.code, rep.Complete, last, r.stderr)
		}
	}
	// An incomplete shard makes the merged report incomplete, whatever
	// --fail-on says, and it is still written in every format.
	sarif := filepath.Join(t.TempDir(), "merged.sarif")
	inc := runMerge(t, "--format", "markdown", "--output", "sarif="+sarif, "--fail-on", "none", a, b, c, d)
	if inc.code != ExitIncomplete || !strings.Contains(inc.stdout, "> **Incomplete:** source `prod-us` (kubernetes) could not be fully scanned: listing service accounts: connection refused") ||
		!strings.Contains(inc.stderr, `Incomplete: source "prod-us" could not be fully scanned`) {
		t.Errorf("incomplete shard: exit %d\nstdout:\n%s\nstderr:\n%s", inc.code, inc.stdout, inc.stderr)
	}
	if s, err := os.ReadFile(sarif); err != nil || !bytes.Contains(s, []byte(`"executionSuccessful": false`)) || !bytes.Contains(s, []byte(`"ruleId": "NHI015"`)) {
		t.Errorf("merged SARIF: %v\n%s", err, s)
	}
	if c := runMerge(t, "--fail-on", "none", a, b, c).code; c != ExitClean {
		t.Errorf("--fail-on none: exit %d", c)
	}
}

// What is not a report to merge is a usage error that says why.
func TestMergeRefusesWhatIsNotAReport(t *testing.T) {
	dir, a, _, _, _ := mergeShards(t)
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	v1 := write("v1.json", `{"version": 1, "complete": true, "sources": [], "findings": []}`)
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "no reports to merge"},
		{[]string{filepath.Join(dir, "nope.json")}, "nope.json: open"},
		{[]string{v1}, "it is version 1, written before drift merge existed"},
		{[]string{write("v3.json", `{"version": 3}`)}, "it is version 3; this reporter reads version 2"},
		{[]string{write("sarif.json", `{"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0", "runs": []}`)}, "it is a SARIF log"},
		{[]string{write("junit.xml", `<testsuites/>`)}, "it is not a JSON object"},
		{[]string{write("noids.json", `{"version": 2, "complete": true, "sources": [], "findings": []}`)}, `it has no "identities"`},
		{[]string{write("bad.json", `{"version": 2, "findings": [{]}`)}, `"findings" near byte`},
		{[]string{"--expect", "1", a, v1}, "--expect 1, but 2 reports were given"},
		{[]string{"--format", "xml", a}, `--format "xml" is not a format`},
	} {
		r := runMerge(t, c.args...)
		if r.code != ExitConfig || !strings.Contains(r.stderr, c.want) || r.stdout != "" {
			t.Errorf("%v: exit %d, stderr %q, want exit 1 and %q", c.args, r.code, r.stderr, c.want)
		}
	}
}

// One run over every source and the merge of one run per source find the
// same NHI015, with the same fingerprint.
func TestMergeMatchesOneRun(t *testing.T) {
	dir := t.TempDir()
	prod := drift.Source{Name: "aws-prod", System: awsc.SystemName, Environment: "prod", Identities: []nhi.Identity{mergeUser("deployer", "AIDADEPLOYER")}}
	staging := drift.Source{Name: "aws-staging", System: awsc.SystemName, Environment: "staging", Identities: []nhi.Identity{mergeUser("deployer", "AIDADEPLOYER")}}
	one := parseMerged(t, func() string {
		b, _ := os.ReadFile(writeShard(t, dir, "one", drift.Input{Sources: []drift.Source{staging, prod}}))
		return string(b)
	}())
	merged := parseMerged(t, runMerge(t, "--format", "json", writeShard(t, dir, "p", drift.Input{Sources: []drift.Source{prod}}), writeShard(t, dir, "s", drift.Input{Sources: []drift.Source{staging}})).stdout)
	fp := func(r mergedJSON) string {
		for _, f := range r.Findings {
			if f.RuleID == drift.RuleEnvironment {
				return f.Fingerprint + " " + f.Identity.Source + " " + f.Message
			}
		}
		return ""
	}
	if fp(one) == "" || fp(one) != fp(merged) {
		t.Errorf("one run: %q\nmerged: %q", fp(one), fp(merged))
	}
}

// --baseline and --fail-on-new compare the merged report with yesterday's
// merged report: what the staging shard adds is new, and the declaration it
// finds is resolved.
func TestMergeBaseline(t *testing.T) {
	dir, a, b, c, _ := mergeShards(t)
	yesterday := filepath.Join(dir, "yesterday.json")
	if r := runMerge(t, "--fail-on", "none", "--output", "json="+yesterday, a, c); r.code != ExitClean {
		t.Fatalf("yesterday: exit %d\n%s", r.code, r.stderr)
	}
	r := runMerge(t, "--format", "json", "--baseline", yesterday, "--fail-on-new", "high", a, b, c)
	if r.code != ExitFindings || !strings.Contains(r.stderr, "new since the baseline") {
		t.Fatalf("exit %d, want 2\nstderr: %s", r.code, r.stderr)
	}
	var states []string
	for _, f := range parseMerged(t, r.stdout).Findings {
		states = append(states, fmt.Sprintf("%s %s:%s %s", f.RuleID, f.Identity.Source, f.Identity.ID, f.BaselineState))
	}
	sort.Strings(states)
	sameLines(t, "baseline states", states, []string{
		"NHI001 aws-audit:user/deployer unchanged", "NHI001 aws-audit:user/reader unchanged", "NHI001 aws-staging:user/ci new",
		"NHI001 prod-eu:ci/shadow unchanged", "NHI001 staging-eu:ci/ghost-b new", "NHI001 staging-eu:ci/shadow new",
		"NHI002 prod-eu:ci/gone unchanged", "NHI015 aws-audit:user/deployer new", "NHI015 aws-audit:user/reader new", "NHI015 aws-staging:user/ci new",
	})
	// ghost-b, missing yesterday, is found by the staging shard today.
	var absent struct {
		Absent []drift.Finding `json:"absent"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &absent); err != nil || len(absent.Absent) != 1 || absent.Absent[0].RuleID != drift.RuleMissing || absent.Absent[0].Identity.ID != "ci/ghost-b" {
		t.Errorf("absent: %+v %v", absent.Absent, err)
	}
	if c := runMerge(t, "--baseline", yesterday, "--fail-on-new", "critical", a, b, c).code; c != ExitClean {
		t.Errorf("--fail-on-new critical with no new critical: exit %d, want 0", c)
	}
}
