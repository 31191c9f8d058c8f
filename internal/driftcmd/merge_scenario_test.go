package driftcmd_test

// drift merge over shards of the seeded scenarios, as a CI matrix runs
// them: the Kubernetes scenario scanned by two jobs (a prod and a staging
// source on the same namespace, so every identity is seen in two
// environments), the connector-less scenario, a job whose cluster cannot be
// reached, and a job that never reported.

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/nhi-ops/terraform-provider-nhi/internal/driftcmd"
)

type mergeReport struct {
	Complete bool `json:"complete"`
	Sources  []struct {
		Name     string `json:"name"`
		System   string `json:"system"`
		Complete bool   `json:"complete"`
		Error    string `json:"error"`
	} `json:"sources"`
	Findings []struct {
		RuleID   string `json:"rule_id"`
		Severity string `json:"severity"`
		Identity struct {
			Source string `json:"source"`
			ID     string `json:"id"`
			UID    string `json:"uid"`
		} `json:"identity"`
		Message     string `json:"message"`
		Fingerprint string `json:"fingerprint"`
		Suppressed  *struct {
			Exception string `json:"exception"`
		} `json:"suppressed"`
	} `json:"findings"`
	Identities []struct {
		Source string `json:"source"`
		ID     string `json:"id"`
		UID    string `json:"uid"`
	} `json:"identities"`
}

func readMergeReport(t *testing.T, path string) mergeReport {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r mergeReport
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return r
}

func (r mergeReport) lines(keep func(rule string) bool) []string {
	var out []string
	for _, f := range r.Findings {
		if keep != nil && !keep(f.RuleID) {
			continue
		}
		l := fmt.Sprintf("%s %s %s:%s: %s", f.RuleID, f.Severity, f.Identity.Source, f.Identity.ID, f.Message)
		if f.Suppressed != nil {
			l += " (suppressed by " + f.Suppressed.Exception + ")"
		}
		out = append(out, l)
	}
	sort.Strings(out)
	return out
}

func (r mergeReport) identityLines() []string {
	var out []string
	for _, id := range r.Identities {
		out = append(out, id.Source+":"+id.ID+":"+id.UID)
	}
	sort.Strings(out)
	return out
}

func TestMergeScenarioShards(t *testing.T) {
	s := seedScenario(t)
	src, err := os.ReadFile(s.config)
	if err != nil {
		t.Fatal(err)
	}
	shardConfig := func(name, env string) string {
		p := filepath.Join(s.dir, name+".hcl")
		body := strings.Replace(string(src), `source "kubernetes" "scenario" {`, fmt.Sprintf("source \"kubernetes\" %q {\n  environment = %q", name, env), 1)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	out := t.TempDir()
	at := s.at.Format(time.RFC3339)
	// Each matrix job writes its JSON report; exit 2 (findings) is what a
	// job of the scenario ends with, and does not stop the merge.
	shard := func(name string, args ...string) string {
		p := filepath.Join(out, name+".json")
		r := run(t, append(args, "--format", "text", "--output", "json="+p)...)
		if r.code != driftcmd.ExitFindings && r.code != driftcmd.ExitIncomplete {
			t.Fatalf("shard %s: exit %d\n%s", name, r.code, r.stderr)
		}
		return p
	}
	prod := shard("prod-a", "--config", shardConfig("prod-a", "prod"), "--state", s.state, "--at", at)
	staging := shard("staging-b", "--config", shardConfig("staging-b", "staging"), "--state", s.state, "--at", at)
	saas := shard("saas", "--config", saasExample, "--state", saasState(t, saasDecls), "--at", "2027-06-15T12:00:00Z")
	down := filepath.Join(s.dir, "down.hcl")
	if err := os.WriteFile(down, []byte(fmt.Sprintf("source \"kubernetes\" \"prod-c\" {\n  kubeconfig  = %q\n  environment = \"prod\"\n}\n", writeKubeconfig(t, "https://127.0.0.1:1", "x"))), 0o600); err != nil {
		t.Fatal(err)
	}
	unreachable := shard("prod-c", "--config", down, "--at", at)

	a, b, c := readMergeReport(t, prod), readMergeReport(t, staging), readMergeReport(t, saas)
	if len(a.Identities) == 0 || len(a.Identities) != len(b.Identities) || len(c.Identities) == 0 {
		t.Fatalf("shards' identities: %d, %d, %d", len(a.Identities), len(b.Identities), len(c.Identities))
	}

	merged := filepath.Join(out, "merged.json")
	r := run(t, "merge", "--expect-shards", "prod-a,staging-b,salesforce", "--format", "markdown", "--output", "json="+merged, prod, staging, saas)
	if r.code != driftcmd.ExitFindings {
		t.Fatalf("merge: exit %d, want %d\nstderr: %s", r.code, driftcmd.ExitFindings, r.stderr)
	}
	m := readMergeReport(t, merged)
	if !m.Complete || len(m.Sources) != 4 {
		t.Errorf("merged sources: complete %v %+v", m.Complete, m.Sources)
	}

	// The staging job saw the same identities (same uids) as the prod job:
	// each is counted once (the JSON report lists where each was seen), and
	// each of its findings is the prod job's, once; the connector-less
	// shard's are all there.
	sameLines(t, m.identityLines(), append(append(a.identityLines(), b.identityLines()...), c.identityLines()...), "")
	notEnvOrMissing := func(rule string) bool { return rule != "NHI015" && rule != "NHI002" }
	sameLines(t, m.lines(notEnvOrMissing), append(a.lines(notEnvOrMissing), c.lines(notEnvOrMissing)...), "")
	// NHI002: ghost is in neither job's namespace: one finding naming both
	// sources, as one run over both would say it.
	sameLines(t, m.lines(func(r string) bool { return r == "NHI002" }), append([]string{
		fmt.Sprintf(`NHI002 high prod-a:%s/ghost: %[1]s/ghost is declared in Terraform state as nhi_kubernetes_service_account.ghost but does not exist in any of the sources "prod-a", "staging-b"`, s.ns),
	}, c.lines(func(r string) bool { return r == "NHI002" })...), "")
	// NHI015: every identity of the namespace is used from prod and
	// staging. Neither job could see that on its own.
	var env []string
	for _, id := range a.Identities {
		env = append(env, fmt.Sprintf(`NHI015 high prod-a:%s: service account %[1]s is used from 2 environments: prod (source "prod-a"), staging (source "staging-b")`, id.ID))
	}
	sameLines(t, m.lines(func(r string) bool { return r == "NHI015" }), env, "")
	for _, sh := range []mergeReport{a, b, c} {
		if got := sh.lines(func(r string) bool { return r == "NHI015" }); len(got) != 0 {
			t.Errorf("a shard reported NHI015 on its own: %v", got)
		}
	}
	if !strings.Contains(r.stdout, fmt.Sprintf("in %d identities across 4 sources", len(a.Identities)+len(c.Identities))) {
		t.Errorf("Markdown summary does not count each identity once:\n%s", r.stdout)
	}

	// One incomplete shard: incomplete, exit 3, whatever --fail-on says.
	inc := run(t, "merge", "--format", "json", "--fail-on", "none", prod, staging, saas, unreachable)
	mi := parseJSON(t, inc.stdout)
	if inc.code != driftcmd.ExitIncomplete || mi.Complete || !strings.Contains(inc.stderr, `Incomplete: source "prod-c" could not be fully scanned`) {
		t.Errorf("incomplete shard: exit %d complete %v\nstderr: %s", inc.code, mi.Complete, inc.stderr)
	}
	// One missing shard: by name and by count, exit 3, the shard shown as
	// an incomplete source.
	for name, args := range map[string][]string{
		"by name":  {"--expect-shards", "prod-a,staging-b,salesforce,prod-c"},
		"by count": {"--expect", "4"},
	} {
		miss := run(t, append(append([]string{"merge", "--format", "json", "--fail-on", "none"}, args...), prod, staging, saas)...)
		mm := parseJSON(t, miss.stdout)
		last := mm.Sources[len(mm.Sources)-1]
		if miss.code != driftcmd.ExitIncomplete || mm.Complete || last.Complete || last.Error == "" {
			t.Errorf("missing shard %s: exit %d, complete %v, last source %+v\nstderr: %s", name, miss.code, mm.Complete, last, miss.stderr)
		}
		if len(mm.Findings) != len(m.Findings) {
			t.Errorf("missing shard %s: %d findings, want the %d of the shards given", name, len(mm.Findings), len(m.Findings))
		}
	}
}
