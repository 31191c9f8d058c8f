package driftcmd_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
	"github.com/nhi-ops/terraform-provider-nhi/internal/driftcmd"
)

// baselineFinding is a finding of the JSON report, with its baseline state.
type baselineFinding struct {
	RuleID   string `json:"rule_id"`
	Severity string `json:"severity"`
	Identity struct {
		ID     string `json:"id"`
		Source string `json:"source"`
	} `json:"identity"`
	Fingerprint string `json:"fingerprint"`
	State       string `json:"baseline_state"`
	Suppressed  *struct {
		Exception string `json:"exception"`
	} `json:"suppressed"`
}

type baselineReport struct {
	Findings []baselineFinding `json:"findings"`
	Baseline *struct {
		File                string   `json:"file"`
		NotRecheckedBecause []string `json:"not_rechecked_because"`
		Summary             map[string]struct {
			Total      int            `json:"total"`
			BySeverity map[string]int `json:"by_severity"`
		} `json:"summary"`
	} `json:"baseline"`
	Absent       []baselineFinding `json:"absent"`
	NotRechecked []baselineFinding `json:"not_rechecked"`
}

// byState lists "STATE RULE severity name" for the findings and the
// baseline's absent and not re-checked ones, sorted.
func byState(t *testing.T, ns string, r baselineReport) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	add := func(fs []baselineFinding, want string) {
		for _, f := range fs {
			if want != "" && f.State != want {
				t.Errorf("%s %s is in the %s list with baseline_state %q", f.RuleID, f.Identity.ID, want, f.State)
			}
			line := fmt.Sprintf("%s %s %s", f.RuleID, f.Severity, strings.TrimPrefix(f.Identity.ID, ns+"/"))
			out[f.State] = append(out[f.State], line)
		}
	}
	add(r.Findings, "")
	add(r.Absent, "absent")
	add(r.NotRechecked, "not_rechecked")
	for _, v := range out {
		sort.Strings(v)
	}
	return out
}

func wantLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s differ.\ngot:\n  %s\nwant:\n  %s", what, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func validateSARIF(t *testing.T, path string) {
	t.Helper()
	tool := os.Getenv("NHI_SARIF_MULTITOOL")
	if tool == "" {
		t.Fatal("NHI_SARIF_MULTITOOL is not set; make test installs Microsoft's SARIF multitool from tools/sarif")
	}
	res := path + ".validation.sarif"
	if b, err := exec.Command(tool, "validate", path, "--output", res).CombinedOutput(); err != nil {
		t.Fatalf("sarif-multitool: %v\n%s", err, b)
	}
	var v struct {
		Runs []struct {
			Results []struct {
				RuleID  string `json:"ruleId"`
				Level   string `json:"level"`
				Message struct {
					ID        string   `json:"id"`
					Arguments []string `json:"arguments"`
				} `json:"message"`
			} `json:"results"`
		} `json:"runs"`
	}
	b, err := os.ReadFile(res)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	for _, run := range v.Runs {
		for _, x := range run.Results {
			if x.Level == "error" {
				t.Errorf("SARIF validation error %s: %s %v", x.RuleID, x.Message.ID, x.Message.Arguments)
			}
		}
	}
}

// Two consecutive runs of the seeded scenario, with one identity fixed
// (widened loses its out-of-band RoleBinding: NHI003 resolved) and one
// added (newcomer, undeclared and cluster-admin: NHI001 and NHI008, both
// high) in between, and the second run a day later (so expiry and age
// messages are worded differently): the exact new, unchanged and absent
// sets in every format, and the exit codes of --fail-on-new.
func TestScenarioBaselineTwoRuns(t *testing.T) {
	s := seedScenario(t)
	dir := t.TempDir()
	at1, at2 := s.at.Format(time.RFC3339), s.at.Add(24*time.Hour).Format(time.RFC3339)
	first := filepath.Join(dir, "first.json")
	r := run(t, "--config", s.config, "--state", s.state, "--at", at1, "--format", "text", "--output", "json="+first)
	if r.code != driftcmd.ExitFindings {
		t.Fatalf("first run: exit %d\n%s", r.code, r.stderr)
	}

	// Between the runs: fix widened, add newcomer.
	cs := acctest.Clientset(t)
	ctx := context.Background()
	must := fatalOnError(t)
	must(cs.RbacV1().RoleBindings(s.ns).Delete(ctx, "out-of-band", metav1.DeleteOptions{}))
	_, err := cs.CoreV1().ServiceAccounts(s.ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "newcomer"}}, metav1.CreateOptions{})
	must(err)
	_, err = cs.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: s.ns + "-newcomer"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: "newcomer", Namespace: s.ns}},
	}, metav1.CreateOptions{})
	must(err)
	t.Cleanup(func() {
		_ = cs.RbacV1().ClusterRoleBindings().Delete(context.Background(), s.ns+"-newcomer", metav1.DeleteOptions{})
	})
	zero := int32(0)
	_, err = cs.AppsV1().Deployments(s.ns).Create(ctx, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "newcomer"},
		Spec: appsv1.DeploymentSpec{Replicas: &zero, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "newcomer"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "newcomer"}},
				Spec:       corev1.PodSpec{ServiceAccountName: "newcomer", Containers: []corev1.Container{{Name: "c", Image: "example.invalid/app"}}},
			}},
	}, metav1.CreateOptions{})
	must(err)

	out := func(f string) string { return filepath.Join(dir, "second."+f) }
	args := []string{"--config", s.config, "--state", s.state, "--at", at2, "--baseline", first, "--format", "text"}
	for _, f := range []string{"json", "sarif", "junit", "markdown"} {
		args = append(args, "--output", f+"="+out(f))
	}
	second := run(t, args...)
	if second.code != driftcmd.ExitFindings {
		t.Fatalf("second run: exit %d, want 2 (--fail-on high)\n%s", second.code, second.stderr)
	}

	// What the first run found on widened is resolved (NHI003, and the
	// NHI008 findings its out-of-band edit grant gave it); everything else
	// is unchanged; newcomer's two findings are new.
	var firstRep baselineReport
	if b, err := os.ReadFile(first); err != nil {
		t.Fatal(err)
	} else if err := json.Unmarshal(b, &firstRep); err != nil {
		t.Fatal(err)
	}
	var unchanged, absent []string
	for _, line := range byState(t, s.ns, firstRep)[""] {
		if strings.HasSuffix(line, " widened") {
			absent = append(absent, line)
		} else {
			unchanged = append(unchanged, line)
		}
	}
	newFindings := []string{"NHI001 high newcomer", "NHI008 high newcomer"}
	if !contains(absent, "NHI003 high widened") || !contains(unchanged, "NHI004 critical expired-holder") || !contains(unchanged, "NHI010 medium reused") || len(unchanged) != 13 {
		t.Fatalf("the first run is not the seeded scenario: widened %v, others %v", absent, unchanged)
	}
	activeUnchanged := len(unchanged) - 1 // NHI010 is accepted by an exception

	t.Run("json", func(t *testing.T) {
		b, err := os.ReadFile(out("json"))
		if err != nil {
			t.Fatal(err)
		}
		var rep baselineReport
		if err := json.Unmarshal(b, &rep); err != nil {
			t.Fatal(err)
		}
		got := byState(t, s.ns, rep)
		wantLines(t, "new findings", got["new"], newFindings)
		wantLines(t, "unchanged findings", got["unchanged"], unchanged)
		wantLines(t, "absent findings", got["absent"], absent)
		if len(got) != 3 {
			t.Errorf("states other than new, unchanged and absent: %v", got)
		}
		if rep.Baseline == nil || rep.Baseline.File != first {
			t.Fatalf("no baseline object naming %s: %+v", first, rep.Baseline)
		}
		sum := rep.Baseline.Summary
		// Active findings only: the suppressed NHI010 is unchanged but not counted.
		if sum["new"].Total != 2 || sum["new"].BySeverity["high"] != 2 || sum["unchanged"].Total != activeUnchanged || sum["unchanged"].BySeverity["critical"] != 1 ||
			sum["absent"].Total != len(absent) || sum["updated"].Total != 0 || sum["not_rechecked"].Total != 0 {
			t.Errorf("baseline summary: %+v", sum)
		}
	})

	t.Run("sarif", func(t *testing.T) {
		validateSARIF(t, out("sarif"))
		b, err := os.ReadFile(out("sarif"))
		if err != nil {
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
					Properties          struct {
						Severity string `json:"severity"`
						Identity struct {
							ID string `json:"id"`
						} `json:"identity"`
					} `json:"properties"`
				} `json:"results"`
			} `json:"runs"`
		}
		if err := json.Unmarshal(b, &log); err != nil {
			t.Fatal(err)
		}
		got := map[string][]string{}
		for _, x := range log.Runs[0].Results {
			got[x.BaselineState] = append(got[x.BaselineState], fmt.Sprintf("%s %s %s", x.RuleID, x.Properties.Severity, strings.TrimPrefix(x.Properties.Identity.ID, s.ns+"/")))
			if x.BaselineState == "absent" && (x.Kind != "pass" || x.Level != "none") {
				t.Errorf("absent result %s: kind %q level %q, want pass and none", x.RuleID, x.Kind, x.Level)
			}
			if x.PartialFingerprints["nhiFinding/v1"] == "" || x.PartialFingerprints["primaryLocationLineHash"] != x.PartialFingerprints["nhiFinding/v1"] {
				t.Errorf("%s: partialFingerprints %v", x.RuleID, x.PartialFingerprints)
			}
		}
		for st := range got {
			sort.Strings(got[st])
		}
		wantLines(t, "new results", got["new"], newFindings)
		wantLines(t, "unchanged results", got["unchanged"], unchanged)
		wantLines(t, "absent results", got["absent"], absent)
		if len(got) != 3 {
			t.Errorf("baselineStates other than new, unchanged and absent: %v", got)
		}
	})

	t.Run("markdown", func(t *testing.T) {
		b, err := os.ReadFile(out("markdown"))
		if err != nil {
			t.Fatal(err)
		}
		md := string(b)
		section := func(title string) []string {
			i := strings.Index(md, "### "+title+"\n")
			if i < 0 {
				t.Fatalf("no section %q:\n%s", title, md)
			}
			body := md[i+len(title)+5:]
			if j := strings.Index(body, "\n### "); j >= 0 {
				body = body[:j]
			}
			var rows []string
			for _, l := range strings.Split(body, "\n") {
				if cells := strings.Split(l, " | "); strings.HasPrefix(l, "| ") && len(cells) == 4 && !strings.HasPrefix(l, "| Severity") {
					sev := strings.Fields(cells[0])[2]
					rule := strings.TrimPrefix(strings.SplitN(cells[1], "]", 2)[0], "[")
					id := strings.Trim(strings.Fields(cells[2])[0], "`")
					rows = append(rows, fmt.Sprintf("%s %s %s", rule, sev, strings.TrimPrefix(id, s.ns+"/")))
				}
			}
			sort.Strings(rows)
			return rows
		}
		resolvedTitle, sameTitle := fmt.Sprintf("Resolved since the baseline (%d)", len(absent)), fmt.Sprintf("Unchanged (%d)", activeUnchanged)
		iNew, iRes, iSame := strings.Index(md, "### New (2)"), strings.Index(md, "### "+resolvedTitle), strings.Index(md, "### "+sameTitle)
		if iNew < 0 || iRes < iNew || iSame < iRes {
			t.Fatalf("markdown must lead with New, then Resolved, then Unchanged:\n%s", md)
		}
		wantLines(t, "New rows", section("New (2)"), newFindings)
		wantLines(t, "Resolved rows", section(resolvedTitle), absent)
		var active []string
		for _, u := range unchanged {
			if u != "NHI010 medium reused" { // accepted by an exception
				active = append(active, u)
			}
		}
		wantLines(t, "Unchanged rows", section(sameTitle), active)
		if !strings.Contains(md, fmt.Sprintf("**%d findings: 2 new, %d unchanged; %d resolved since the baseline** of ", activeUnchanged+2, activeUnchanged, len(absent))) || len(md) > 65536 {
			t.Errorf("markdown summary:\n%s", md)
		}
	})

	t.Run("text", func(t *testing.T) {
		txt := second.stdout
		if !strings.Contains(txt, fmt.Sprintf("\n%d findings: 2 new, %d unchanged; %d resolved since the baseline, evaluated at %s\n", activeUnchanged+2, activeUnchanged, len(absent), at1)) {
			t.Errorf("text does not say how many are old:\n%s", txt)
		}
		var tagged []string
		for _, l := range strings.Split(txt, "\n") {
			if strings.Contains(l, "  [new] ") {
				tagged = append(tagged, strings.Fields(l)[0])
			}
		}
		if strings.Join(tagged, ",") != "NHI001,NHI008" || !strings.Contains(txt, fmt.Sprintf("RESOLVED since the baseline (%d)\n  NHI003  service account %s/widened holds undeclared", len(absent), s.ns)) {
			t.Errorf("text: new tags %v, resolved section:\n%s", tagged, txt)
		}
	})

	t.Run("junit", func(t *testing.T) {
		b, err := os.ReadFile(out("junit"))
		if err != nil {
			t.Fatal(err)
		}
		var suites struct {
			Suites []struct {
				Name      string `xml:"name,attr"`
				SystemOut string `xml:"system-out"`
				Cases     []struct {
					Name     string `xml:"name,attr"`
					Failures []struct {
						Type    string `xml:"type,attr"`
						Message string `xml:"message,attr"`
					} `xml:"failure"`
				} `xml:"testcase"`
			} `xml:"testsuite"`
		}
		if err := xml.Unmarshal(b, &suites); err != nil {
			t.Fatal(err)
		}
		var fresh []string
		resolved := ""
		for _, su := range suites.Suites {
			resolved += su.SystemOut
			for _, c := range su.Cases {
				for _, f := range c.Failures {
					if strings.Contains(f.Message, ", new] ") {
						fresh = append(fresh, f.Type+" "+strings.TrimPrefix(c.Name, s.ns+"/"))
					} else if !strings.Contains(f.Message, ", unchanged] ") {
						t.Errorf("failure %s of %s does not say new or unchanged: %q", f.Type, c.Name, f.Message)
					}
				}
			}
		}
		sort.Strings(fresh)
		if strings.Join(fresh, ",") != "NHI001 newcomer,NHI008 newcomer" || !strings.Contains(resolved, "resolved since the baseline: NHI003 "+s.ns+"/widened (high)") {
			t.Errorf("junit: new %v, system-out %q", fresh, resolved)
		}
	})

	t.Run("fail-on-new", func(t *testing.T) {
		base := []string{"--config", s.config, "--state", s.state, "--at", at2, "--baseline", first, "--format", "json"}
		for _, c := range []struct {
			name string
			args []string
			want int
		}{
			// Two new high findings.
			{"new high", []string{"--fail-on-new", "high"}, driftcmd.ExitFindings},
			// No new critical one; the old critical NHI004 does not fail,
			// because --fail-on is then none.
			{"new critical only", []string{"--fail-on-new", "critical"}, driftcmd.ExitClean},
			// With both, either fails: --fail-on critical catches the old one.
			{"both", []string{"--fail-on-new", "critical", "--fail-on", "critical"}, driftcmd.ExitFindings},
			{"both, neither", []string{"--fail-on-new", "critical", "--fail-on", "none"}, driftcmd.ExitClean},
		} {
			t.Run(c.name, func(t *testing.T) {
				r := run(t, append(append([]string{}, base...), c.args...)...)
				if r.code != c.want {
					t.Errorf("exit %d, want %d\n%s", r.code, c.want, r.stderr)
				}
				if c.want == driftcmd.ExitFindings && c.args[1] == "high" && !strings.Contains(r.stderr, "2 findings at or above high new since the baseline "+first+" (--fail-on-new high)") {
					t.Errorf("stderr does not say what is new: %s", r.stderr)
				}
			})
		}
		// The second run as its own baseline: nothing is new.
		self := filepath.Join(dir, "self.json")
		if err := os.WriteFile(self, []byte(run(t, base...).stdout), 0o600); err != nil {
			t.Fatal(err)
		}
		if r := run(t, "--config", s.config, "--state", s.state, "--at", at2, "--baseline", self, "--fail-on-new", "low", "--format", "json"); r.code != driftcmd.ExitClean {
			t.Errorf("against itself with --fail-on-new low: exit %d\n%s", r.code, r.stderr)
		}
	})

	// The scenario's source unreachable in the next run: nothing of it is
	// resolved, it is all not re-checked, and incomplete wins over
	// --fail-on-new (exit 3).
	t.Run("incomplete source is not resolved", func(t *testing.T) {
		cfg, err := os.ReadFile(s.config)
		if err != nil {
			t.Fatal(err)
		}
		down := filepath.Join(s.dir, "down.hcl")
		body := strings.Replace(string(cfg), fmt.Sprintf("kubeconfig = %q", acctest.Kubeconfig(t)), fmt.Sprintf("kubeconfig = %q", writeKubeconfig(t, "https://127.0.0.1:1", "x")), 1)
		if body == string(cfg) {
			t.Fatal("could not point the scenario's source elsewhere")
		}
		if err := os.WriteFile(down, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		sarif := filepath.Join(dir, "down.sarif")
		r := run(t, "--config", down, "--state", s.state, "--at", at2, "--baseline", out("json"), "--fail-on-new", "low", "--format", "json", "--output", "sarif="+sarif)
		if r.code != driftcmd.ExitIncomplete {
			t.Fatalf("exit %d, want 3\n%s", r.code, r.stderr)
		}
		var rep baselineReport
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
			t.Fatal(err)
		}
		got := byState(t, s.ns, rep)
		var notRechecked []string
		for _, f := range append(append([]string{}, unchanged...), newFindings...) {
			if f != "NHI011 medium old-waiver" { // the configuration is read every run
				notRechecked = append(notRechecked, f)
			}
		}
		wantLines(t, "not re-checked", got["not_rechecked"], notRechecked)
		wantLines(t, "unchanged", got["unchanged"], []string{"NHI011 medium old-waiver"})
		if len(got["absent"])+len(got["new"]) != 0 || rep.Baseline == nil ||
			strings.Join(rep.Baseline.NotRecheckedBecause, ";") != `source "scenario" could not be fully scanned in this run` {
			t.Errorf("absent %v, new %v, because %+v", got["absent"], got["new"], rep.Baseline)
		}
		validateSARIF(t, sarif)
	})
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// --baseline and --fail-on-new mistakes are configuration errors (exit 1),
// found before any source is scanned, naming the flag, the file and what
// is wrong.
func TestBaselineFlagErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// A configuration whose source cannot be reached: had it been scanned,
	// the exit code would be 3.
	conf := write("nhi-drift.hcl", "source \"kubernetes\" \"k\" {\n  kubeconfig = \"/nonexistent\"\n}\n")
	sarif := write("old.sarif", `{"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0", "runs": []}`)
	text := write("old.txt", "3 findings: 1 critical\n")
	v9 := write("v9.json", `{"version": 9, "findings": [], "sources": []}`)
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"fail-on-new without baseline", []string{"--fail-on-new", "high"}, "--fail-on-new needs --baseline"},
		{"fail-on-new not a severity", []string{"--fail-on-new", "severe", "--baseline", v9}, `--fail-on-new "severe" is not a severity; use low, medium, high, critical or none`},
		{"baseline missing", []string{"--baseline", filepath.Join(dir, "nope.json")}, "--baseline " + filepath.Join(dir, "nope.json") + ": open "},
		{"baseline is SARIF", []string{"--baseline", sarif}, "--baseline " + sarif + ": not a JSON report of this tool: it is a SARIF log, and --baseline takes the JSON report (--format json or --output json=PATH)"},
		{"baseline is text", []string{"--baseline", text}, "--baseline " + text + ": not a JSON report of this tool: it is not a JSON object"},
		{"baseline of a later version", []string{"--baseline", v9}, "--baseline " + v9 + ": not a JSON report of this tool: it is version 9 of the JSON report"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := run(t, append([]string{"--config", conf}, c.args...)...)
			if r.code != driftcmd.ExitConfig || !strings.Contains(r.stderr, c.want) || r.stdout != "" {
				t.Errorf("exit %d, stdout %q, stderr:\n%s\nwant exit 1 and stderr containing %q", r.code, r.stdout, r.stderr, c.want)
			}
		})
	}
}
