package driftcmd_test

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
	"github.com/nhi-ops/terraform-provider-nhi/internal/drift"
	"github.com/nhi-ops/terraform-provider-nhi/internal/driftcmd"
)

// Every format is written by one scan; SARIF passes Microsoft's validator,
// JUnit parses back with one testcase per identity.
func TestScenarioOutputs(t *testing.T) {
	s := seedScenario(t)
	dir := t.TempDir()
	out := func(f string) string { return filepath.Join(dir, "report."+f) }
	imports := filepath.Join(dir, "adopt.tf")
	args := []string{"--config", s.config, "--state", s.state, "--at", s.at.Format(time.RFC3339), "--format", "text",
		"--generate-imports", imports}
	for _, f := range []string{"json", "sarif", "junit", "markdown"} {
		args = append(args, "--output", f+"="+out(f))
	}
	r := run(t, args...)
	if r.code != driftcmd.ExitFindings {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "CRITICAL (1)") || !strings.Contains(r.stdout, "13 findings: 1 critical, 7 high, 4 medium, 1 low") {
		t.Errorf("text report:\n%s", r.stdout)
	}
	if strings.Contains(r.stdout, "\x1b[") {
		t.Error("text written to a non-terminal must not be coloured")
	}

	t.Run("sarif validates", func(t *testing.T) {
		tool := os.Getenv("NHI_SARIF_MULTITOOL")
		if tool == "" {
			t.Fatal("NHI_SARIF_MULTITOOL is not set; make test installs Microsoft's SARIF multitool from tools/sarif")
		}
		res := filepath.Join(dir, "validation.sarif")
		cmd := exec.Command(tool, "validate", out("sarif"), "--output", res)
		if b, err := cmd.CombinedOutput(); err != nil {
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
		var log struct {
			Runs []struct {
				Tool struct {
					Driver struct {
						Rules []struct {
							ID         string         `json:"id"`
							HelpURI    string         `json:"helpUri"`
							Properties map[string]any `json:"properties"`
						} `json:"rules"`
					} `json:"driver"`
				} `json:"tool"`
				Results []struct {
					Locations           []any             `json:"locations"`
					PartialFingerprints map[string]string `json:"partialFingerprints"`
					Suppressions        []any             `json:"suppressions"`
				} `json:"results"`
			} `json:"runs"`
		}
		b, _ = os.ReadFile(out("sarif"))
		if err := json.Unmarshal(b, &log); err != nil {
			t.Fatal(err)
		}
		rules := log.Runs[0].Tool.Driver.Rules
		if len(rules) != len(drift.Catalog) || rules[0].HelpURI == "" || rules[0].Properties["security-severity"] == nil {
			t.Errorf("one rule per catalog entry with helpUri and security-severity: %+v", rules)
		}
		suppressed := 0
		for _, x := range log.Runs[0].Results {
			if len(x.Locations) != 1 || x.PartialFingerprints["nhiFinding/v1"] == "" {
				t.Errorf("every result needs a location and a fingerprint: %+v", x)
			}
			suppressed += len(x.Suppressions)
		}
		if len(log.Runs[0].Results) != 14 || suppressed != 1 {
			t.Errorf("results %d (suppressed %d), want 14 (1)", len(log.Runs[0].Results), suppressed)
		}
	})

	t.Run("junit parses back", func(t *testing.T) {
		var suites struct {
			Tests    int `xml:"tests,attr"`
			Failures int `xml:"failures,attr"`
			Suites   []struct {
				Name  string `xml:"name,attr"`
				Cases []struct {
					Name     string `xml:"name,attr"`
					Failures []struct {
						Type string `xml:"type,attr"`
					} `xml:"failure"`
				} `xml:"testcase"`
			} `xml:"testsuite"`
		}
		b, err := os.ReadFile(out("junit"))
		if err != nil {
			t.Fatal(err)
		}
		if err := xml.Unmarshal(b, &suites); err != nil {
			t.Fatalf("JUnit does not parse: %v", err)
		}
		cases := map[string][]string{}
		for _, su := range suites.Suites {
			for _, c := range su.Cases {
				for _, f := range c.Failures {
					cases[su.Name+" "+strings.TrimPrefix(c.Name, s.ns+"/")] = append(cases[su.Name+" "+strings.TrimPrefix(c.Name, s.ns+"/")], f.Type)
				}
				if _, ok := cases[su.Name+" "+strings.TrimPrefix(c.Name, s.ns+"/")]; !ok {
					cases[su.Name+" "+strings.TrimPrefix(c.Name, s.ns+"/")] = nil
				}
			}
		}
		// 12 scanned service accounts (the idle default one is excluded),
		// ghost from state, and the expired exception.
		if suites.Tests != 14 || len(cases) != 14 || suites.Failures != 12 {
			t.Errorf("tests = %d, failures = %d (%d cases), want 14 and 12: %v", suites.Tests, suites.Failures, len(cases), cases)
		}
		if got := strings.Join(cases["scenario shadow-admin"], ","); got != "NHI001,NHI008" {
			t.Errorf("shadow-admin failures = %s", got)
		}
		if len(cases["scenario ok-deployer"]) != 0 || len(cases["scenario reused"]) != 0 {
			t.Error("clean or accepted identities must pass")
		}
		if got := strings.Join(cases["exceptions old-waiver"], ","); got != "NHI011" {
			t.Errorf("exception failures = %q", got)
		}
	})

	t.Run("markdown fits a comment", func(t *testing.T) {
		b, err := os.ReadFile(out("markdown"))
		if err != nil {
			t.Fatal(err)
		}
		md := string(b)
		if !strings.Contains(md, "| 🟣 critical | [NHI004]") || !strings.Contains(md, "1 more accepted by exceptions") || len(md) > 65536 {
			t.Errorf("markdown:\n%s", md)
		}
	})

	t.Run("generated imports adopt the undeclared identities", func(t *testing.T) {
		b, err := os.ReadFile(imports)
		if err != nil {
			t.Fatal(err)
		}
		gen := string(b)
		for _, want := range []string{
			fmt.Sprintf("to = nhi_kubernetes_service_account.%s__shadow-admin", s.ns),
			fmt.Sprintf("id = %q", s.ns+"/plain"),
			`scopes          = ["clusterrole:cluster-admin"]`,
			`owner           = "FILL-IN: the person or team responsible"`,
		} {
			if !strings.Contains(gen, want) {
				t.Errorf("generated imports lack %q:\n%s", want, gen)
			}
		}
		filled := strings.NewReplacer(
			`"FILL-IN: the person or team responsible"`, `"team:platform"`,
			`"FILL-IN: why this identity exists"`, `"adopted from drift"`,
			`"FILL-IN: YYYY-MM-DD"`, fmt.Sprintf("%q", time.Now().Add(90*24*time.Hour).Format("2006-01-02")),
		).Replace(gen)
		shadow := fmt.Sprintf("nhi_kubernetes_service_account.%s__shadow-admin", s.ns)
		resource.Test(t, resource.TestCase{
			PreCheck:                 func() { acctest.PreCheck(t) },
			ProtoV6ProviderFactories: acctest.ProviderFactories,
			Steps: []resource.TestStep{
				{
					// As generated, the placeholders fail validation.
					Config:      acctest.ProviderBlock(t, "") + gen,
					PlanOnly:    true,
					ExpectError: regexpMust(`(?s)owner is still the placeholder`),
				},
				{
					Config: acctest.ProviderBlock(t, "") + filled,
					ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
						expectImporting(shadow),
						// Adoption writes governance in place: no create, no replace.
						plancheck.ExpectResourceAction(shadow, plancheck.ResourceActionUpdate),
					}},
				},
			},
		})
	})
}
