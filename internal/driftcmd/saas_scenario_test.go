package driftcmd_test

// The connector-less scenario runs the drift command over the documented
// examples: a Salesforce user report (CSV, read through a columns mapping
// and time_format) and a Slack bot listing (JSON, nested keys and a
// negated active), against a state of nhi_identity declarations. It needs
// no server: the exports are the sources.

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
	"github.com/nhi-ops/terraform-provider-nhi/internal/driftcmd"
)

var saasExample = filepath.Join("..", "..", "examples", "drift", "nhi-drift-saas.hcl")

// saasDecl is one nhi_identity in state.
type saasDecl struct {
	name, system, kind, ident, owner, expires, onExpiry string
	scopes                                              []string
}

// saasState writes a state (format 4) of nhi_identity declarations, as the
// provider records them.
func saasState(t *testing.T, decls []saasDecl) string {
	t.Helper()
	var res []map[string]any
	for _, d := range decls {
		onExpiry := d.onExpiry
		if onExpiry == "" {
			onExpiry = "warn"
		}
		res = append(res, map[string]any{"mode": "managed", "type": "nhi_identity", "name": d.name, "provider": `provider["registry.terraform.io/nhi-ops/nhi"]`,
			"instances": []map[string]any{{"schema_version": 0, "attributes": map[string]any{
				"id": d.system + "/" + d.ident, "system": d.system, "kind": d.kind, "name": d.ident, "owner": d.owner, "purpose": "scenario",
				"scopes": d.scopes, "expires_at": d.expires, "on_expiry": onExpiry, "status": "active",
			}}}})
	}
	b, err := json.Marshal(map[string]any{"version": 4, "terraform_version": "1.11.0", "serial": 1, "lineage": "x", "resources": res})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "terraform.tfstate")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

var saasDecls = []saasDecl{
	{"billing_sync", "salesforce", "integration_user", "billing-sync@acme.example", "team:billing", "2027-09-30", "block", []string{"API Enabled", "Billing Integration"}},
	{"marketing_sync", "salesforce", "integration_user", "marketing-sync@acme.example", "team:growth", "2027-12-31", "", []string{"API Enabled"}},
	{"old_etl", "salesforce", "integration_user", "old-etl@acme.example", "team:data", "2027-05-31", "", []string{"API Enabled"}},
	{"renewal_bot", "salesforce", "integration_user", "renewal-bot@acme.example", "team:billing", "2027-07-01", "", []string{"API Enabled"}},
	{"growth_api", "salesforce", "integration_user", "growth-api@acme.example", "bob@acme.example", "2027-12-31", "", []string{"API Enabled"}},
	{"retired_sync", "salesforce", "integration_user", "retired-sync@acme.example", "team:data", "2027-04-30", "", []string{"API Enabled"}},
	{"ghost_sync", "salesforce", "integration_user", "ghost-sync@acme.example", "team:data", "2027-12-31", "", []string{"API Enabled"}},
	{"deploy_bot", "slack", "bot", "deploy-bot", "team:platform", "2027-12-31", "", []string{"chat:write", "commands"}},
	{"alerts_bot", "slack", "bot", "alerts-bot", "team:platform", "2027-12-31", "", []string{"chat:write", "chat:write.public"}},
}

func findingLines(rep jsonReport, keep func(jsonFinding) bool) []string {
	var got []string
	for _, f := range rep.Findings {
		if keep == nil || keep(f) {
			got = append(got, fmt.Sprintf("%s %s %s: %s", f.RuleID, f.Severity, f.Identity.ID, f.Message))
		}
	}
	sort.Strings(got)
	return got
}

func sameLines(t *testing.T, got, want []string, out string) {
	t.Helper()
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings differ.\ngot:\n  %s\nwant:\n  %s\nstdout: %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "), out)
	}
}

// Each rule the issue names fires exactly where the exports and the state
// disagree.
func TestSaaSScenarioExportsAgainstState(t *testing.T) {
	state := saasState(t, saasDecls)
	r := run(t, "--config", saasExample, "--state", state, "--format", "json", "--at", "2027-06-15T12:00:00Z")
	if r.code != driftcmd.ExitFindings {
		t.Fatalf("exit code %d, want %d\nstderr: %s\nstdout: %s", r.code, driftcmd.ExitFindings, r.stderr, r.stdout)
	}
	rep := parseJSON(t, r.stdout)
	sameLines(t, findingLines(rep, nil), []string{
		`NHI004 critical salesforce/old-etl@acme.example: integration user salesforce/old-etl@acme.example expired at 2027-05-31T00:00:00Z (15 days ago) and still holds API Enabled`,
		`NHI002 high salesforce/ghost-sync@acme.example: salesforce/ghost-sync@acme.example is declared in Terraform state as nhi_identity.ghost_sync but does not exist in source "salesforce"`,
		`NHI003 high salesforce/marketing-sync@acme.example: integration user salesforce/marketing-sync@acme.example holds undeclared Modify All Data`,
		`NHI006 high salesforce/growth-api@acme.example: integration user salesforce/growth-api@acme.example is owned by "bob@acme.example", which does not match the policy's owner_pattern`,
		`NHI001 medium salesforce/dataloader@acme.example: integration user salesforce/dataloader@acme.example exists in source "salesforce" but is not declared`,
		`NHI009 medium salesforce/dataloader@acme.example: integration user salesforce/dataloader@acme.example was last used 195 days ago (stale_after 45d)`,
		`NHI001 medium slack/standup-bot: bot slack/standup-bot exists in source "slack" but is not declared`,
		`NHI009 medium slack/standup-bot: bot slack/standup-bot was never used and was created 1261 days ago (stale_after 45d)`,
		`NHI003 medium slack/alerts-bot: bot slack/alerts-bot lacks declared chat:write.public`,
		`NHI005 low salesforce/renewal-bot@acme.example: integration user salesforce/renewal-bot@acme.example expires at 2027-07-01T00:00:00Z, in 15 days`,
	}, r.stdout)
	if !rep.Complete || len(rep.Sources) != 2 {
		t.Errorf("report not complete: %+v", rep.Sources)
	}
	for _, f := range rep.Findings {
		if f.OWASP == "" || f.Remediation == "" || len(f.Fingerprint) != 32 || f.Location == nil {
			t.Errorf("finding %s lacks a field: %+v", f.RuleID, f)
		}
	}

	// Without a state nothing is declared: every identity is undeclared.
	r = run(t, "--config", saasExample, "--format", "json", "--at", "2027-06-15T12:00:00Z", "--fail-on", "none")
	undeclared := findingLines(parseJSON(t, r.stdout), func(f jsonFinding) bool { return f.RuleID == "NHI001" })
	if r.code != driftcmd.ExitClean || len(undeclared) != 10 {
		t.Errorf("without --state: exit %d, %d undeclared:\n%s", r.code, len(undeclared), strings.Join(undeclared, "\n"))
	}
}

// What happens when the Salesforce-to-billing sync account expires (the
// walk-through of the drift guide): it is reported as expiring, then as
// expired while Salesforce still lists it as active, and is clean again
// once it is deactivated in Salesforce.
func TestSaaSScenarioExpiryWalkThrough(t *testing.T) {
	state := saasState(t, saasDecls)
	billing := func(f jsonFinding) bool { return f.Identity.ID == "salesforce/billing-sync@acme.example" }
	at := func(config, when string) []string {
		r := run(t, "--config", config, "--state", state, "--format", "json", "--at", when, "--fail-on", "none")
		if r.code != driftcmd.ExitClean {
			t.Fatalf("--at %s: exit %d: %s", when, r.code, r.stderr)
		}
		return findingLines(parseJSON(t, r.stdout), billing)
	}
	sameLines(t, at(saasExample, "2027-06-15T12:00:00Z"), nil, "")
	// Later runs read later exports, in which it is still in use.
	dir := copyExample(t)
	csv := filepath.Join(dir, "exports", "salesforce-users.csv")
	edit := func(old, new string) {
		b, err := os.ReadFile(csv)
		fatalOnError(t)(err)
		if !strings.Contains(string(b), old) {
			t.Fatalf("%s lacks %s", csv, old)
		}
		fatalOnError(t)(os.WriteFile(csv, []byte(strings.Replace(string(b), old, new, 1)), 0o600))
	}
	edit(`"6/14/2027 11:45 PM"`, `"9/30/2027 11:45 PM"`)
	later := filepath.Join(dir, "nhi-drift-saas.hcl")
	sameLines(t, at(later, "2027-09-20T00:00:00Z"), []string{
		`NHI005 low salesforce/billing-sync@acme.example: integration user salesforce/billing-sync@acme.example expires at 2027-09-30T00:00:00Z, in 10 days`,
	}, "")
	sameLines(t, at(later, "2027-10-02T00:00:00Z"), []string{
		`NHI004 critical salesforce/billing-sync@acme.example: integration user salesforce/billing-sync@acme.example expired at 2027-09-30T00:00:00Z (2 days ago) and still holds API Enabled, Billing Integration`,
	}, "")

	// Deactivated in Salesforce (Active 0): nothing left to report.
	edit(`"billing-sync@acme.example","Minimum Access - API Only Integrations","1"`, `"billing-sync@acme.example","Minimum Access - API Only Integrations","0"`)
	sameLines(t, at(later, "2027-10-02T00:00:00Z"), nil, "")
}

// copyExample copies the example configuration and its exports to a
// temporary directory, to break them.
func copyExample(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	must := fatalOnError(t)
	must(os.MkdirAll(filepath.Join(dir, "exports"), 0o700))
	for _, f := range []string{"nhi-drift-saas.hcl", "exports/salesforce-users.csv", "exports/slack-bots.json"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "examples", "drift", f))
		must(err)
		must(os.WriteFile(filepath.Join(dir, f), b, 0o600))
	}
	return dir
}

// A missing export, an empty one and a malformed one make the source
// incomplete (exit 3), never clean; the error names the file and, for bad
// input, the line and column. The other source is still reported.
func TestSaaSScenarioBadExports(t *testing.T) {
	state := saasState(t, saasDecls)
	for name, c := range map[string]struct {
		file, content string
		want          string
	}{
		"missing":   {"exports/slack-bots.json", "", "reading the slack export: open "},
		"no rows":   {"exports/slack-bots.json", `{"ok": true, "bots": []}`, "the export lists no identities: an export that lists nobody is more often a failed or filtered export"},
		"bad date":  {"exports/salesforce-users.csv", "", `salesforce-users.csv: 1 of 7 rows could not be read (the others were): `},
		"malformed": {"exports/slack-bots.json", `{"ok": true, "bots": [{"name": "a",}]}`, `slack-bots.json:1:`},
	} {
		t.Run(name, func(t *testing.T) {
			dir := copyExample(t)
			p := filepath.Join(dir, c.file)
			switch name {
			case "missing":
				fatalOnError(t)(os.Remove(p))
			case "bad date":
				b, err := os.ReadFile(p)
				fatalOnError(t)(err)
				fatalOnError(t)(os.WriteFile(p, []byte(strings.Replace(string(b), `"12/1/2026 5:05 PM"`, `"last winter"`, 1)), 0o600))
				c.want += p + `:8:`
			default:
				fatalOnError(t)(os.WriteFile(p, []byte(c.content), 0o600))
			}
			r := run(t, "--config", filepath.Join(dir, "nhi-drift-saas.hcl"), "--state", state, "--format", "json", "--at", "2027-06-15T12:00:00Z")
			if r.code != driftcmd.ExitIncomplete {
				t.Fatalf("exit %d, want %d (incomplete)\nstderr: %s", r.code, driftcmd.ExitIncomplete, r.stderr)
			}
			rep := parseJSON(t, r.stdout)
			var errs []string
			for _, s := range rep.Sources {
				if !s.Complete {
					errs = append(errs, s.Error)
				}
			}
			if rep.Complete || len(errs) != 1 || !strings.Contains(errs[0], c.want) || !strings.Contains(r.stderr, "Incomplete: source") {
				t.Errorf("sources %+v\nwant one incomplete with %q\nstderr: %s", rep.Sources, c.want, r.stderr)
			}
			if name == "bad date" && !strings.Contains(errs[0], `last_used_at (column "Last Login"): "last winter" is not a time`) {
				t.Errorf("the error does not name the field and its column: %s", errs[0])
			}
			// An incomplete source judges nothing missing.
			if got := findingLines(rep, func(f jsonFinding) bool { return f.RuleID == "NHI002" }); name != "bad date" && (len(got) != 1 || !strings.Contains(got[0], "ghost-sync")) {
				t.Errorf("NHI002 findings %v", got)
			}
		})
	}
}

// inventory blocks are checked where they are written.
func TestSaaSInventoryBlockErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(src string) string {
		p := filepath.Join(dir, "nhi-drift.hcl")
		fatalOnError(t)(os.WriteFile(p, []byte(src), 0o600))
		return p
	}
	for name, c := range map[string]struct{ src, want string }{
		"as a source block": {"source \"saas\" \"s\" {}\n", `:1:8: Error: Unsupported source type; "saas" sources are inventory blocks, such as inventory "salesforce" { system = "salesforce", file = "salesforce-users.csv" }.`},
		"bad system":        {"inventory \"s\" {\n  system = \"Salesforce\"\n  file = \"a.csv\"\n}\n", `:2:12: Error: Invalid system; system "Salesforce" is not a system name`},
		"unknown column":    {"inventory \"s\" {\n  system = \"s\"\n  file = \"a.csv\"\n  columns {\n    email = \"Email\"\n  }\n}\n", `:5:5: Error: Unsupported argument; An argument named "email" is not expected here.`},
		"duplicate":         {"inventory \"s\" {\n  system = \"s\"\n  file = \"a.csv\"\n}\ninventory \"s\" {\n  system = \"s\"\n  file = \"b.csv\"\n}\n", `:5:1: Error: Duplicate source; inventory "s" is already defined at`},
	} {
		t.Run(name, func(t *testing.T) {
			r := run(t, "--config", write(c.src))
			if r.code != driftcmd.ExitConfig || !strings.Contains(r.stderr, c.want) {
				t.Errorf("exit %d, stderr:\n%s\nwant %q", r.code, r.stderr, c.want)
			}
		})
	}
	// An exception names an inventory block as its source.
	r := run(t, "--config", write("inventory \"crm\" {\n  system = \"salesforce\"\n  file = \"a.csv\"\n}\nexception \"e\" {\n  identity = \"salesforce/*\"\n  source = \"crm\"\n  system = \"saas\"\n  rules = [\"NHI001\"]\n  reason = \"r\"\n  expires = \"2099-01-01\"\n}\n"))
	if r.code != driftcmd.ExitIncomplete { // a.csv does not exist
		t.Errorf("exit %d: %s", r.code, r.stderr)
	}
}

// --generate-imports writes nhi_identity blocks for the undeclared
// identities of the exports; filled in, the plan imports them and records
// their governance.
func TestSaaSScenarioAdoption(t *testing.T) {
	dir := t.TempDir()
	adopt := filepath.Join(dir, "adopt.tf")
	state := saasState(t, saasDecls)
	if r := run(t, "--config", saasExample, "--state", state, "--format", "json", "--fail-on", "none", "--at", "2027-06-15T12:00:00Z", "--generate-imports", adopt); r.code != driftcmd.ExitClean {
		t.Fatalf("--generate-imports: exit %d: %s", r.code, r.stderr)
	}
	b, err := os.ReadFile(adopt)
	fatalOnError(t)(err)
	gen := string(b)
	for _, want := range []string{
		"to = nhi_identity.salesforce__dataloader_acme_example", `id = "salesforce/dataloader@acme.example"`,
		`system     = "salesforce"`, `kind       = "integration_user"`, `name       = "dataloader@acme.example"`,
		"to = nhi_identity.slack__standup-bot", `scopes = ["channels:history", "chat:write"]`,
		"# Its current grants, as its source lists them. Remove what it does not need here and in its system.",
	} {
		if !strings.Contains(gen, want) {
			t.Errorf("generated imports lack %q:\n%s", want, gen)
		}
	}
	if strings.Count(gen, "import {") != 2 {
		t.Errorf("want two imports:\n%s", gen)
	}
	filled := strings.NewReplacer(
		`"FILL-IN: the person or team responsible"`, `"team:platform"`,
		`"FILL-IN: why this identity exists"`, `"adopted from drift"`,
		`"FILL-IN: YYYY-MM-DD"`, fmt.Sprintf("%q", time.Now().Add(90*24*time.Hour).Format("2006-01-02")),
	).Replace(gen)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		Steps: []resource.TestStep{{
			Config: "provider \"nhi\" {}\n" + filled,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				expectImporting("nhi_identity.salesforce__dataloader_acme_example"),
				plancheck.ExpectResourceAction("nhi_identity.slack__standup-bot", plancheck.ResourceActionUpdate),
			}},
		}},
	})
}
