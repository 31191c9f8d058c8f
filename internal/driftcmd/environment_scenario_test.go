package driftcmd_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
	"github.com/nhi-ops/terraform-provider-nhi/internal/driftcmd"
)

// Environment isolation against a real IAM server (a private one, so the
// identities are exactly those seeded): one account reached through a
// prod and a staging source has every user in two environments (NHI015,
// naming both sources); a source with no environment is not one. A run per
// source, merged, finds the same, with the same fingerprints.
func TestEnvironmentScenarioIAM(t *testing.T) {
	srv, _, raw := acctest.PrivateIAMClients(t)
	ctx := context.Background()
	for _, u := range []string{"deployer", "reader"} {
		if _, err := raw.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(u)}); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	block := func(name, env string) string {
		b := fmt.Sprintf("source \"aws\" %q {\n  endpoint = %q\n  region   = \"us-east-1\"\n", name, srv.Endpoint)
		if env != "" {
			b += fmt.Sprintf("  environment = %q\n", env)
		}
		return b + "}\n"
	}
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	all := write("all.hcl", block("aws-prod", "prod")+block("aws-staging", "staging")+block("aws-lab", ""))
	r := run(t, "--config", all, "--format", "json")
	if r.code != driftcmd.ExitFindings {
		t.Fatalf("exit %d, want 2\nstderr: %s", r.code, r.stderr)
	}
	want := []string{
		`NHI015 high user/deployer: IAM user user/deployer is used from 2 environments: prod (source "aws-prod"), staging (source "aws-staging")`,
		`NHI015 high user/reader: IAM user user/reader is used from 2 environments: prod (source "aws-prod"), staging (source "aws-staging")`,
	}
	one := parseJSON(t, r.stdout)
	env := findingLines(one, func(f jsonFinding) bool { return f.RuleID == "NHI015" })
	sameLines(t, env, want, r.stdout)
	fps := map[string]string{}
	for _, f := range one.Findings {
		if f.RuleID == "NHI015" {
			fps[f.Identity.ID] = f.Fingerprint + " " + f.Identity.Source
			if f.Identity.Source != "aws-lab" || f.OWASP != "NHI8:2025 Environment Isolation" {
				t.Errorf("NHI015 on %s: source %s, OWASP %q", f.Identity.ID, f.Identity.Source, f.OWASP)
			}
		}
	}

	// One job per source, merged.
	var shards []string
	for _, s := range []struct{ name, env string }{{"aws-prod", "prod"}, {"aws-staging", "staging"}, {"aws-lab", ""}} {
		p := filepath.Join(dir, s.name+".json")
		if r := run(t, "--config", write(s.name+".hcl", block(s.name, s.env)), "--format", "text", "--output", "json="+p, "--fail-on", "none"); r.code != driftcmd.ExitClean {
			t.Fatalf("%s: exit %d\n%s", s.name, r.code, r.stderr)
		}
		if b, _ := os.ReadFile(p); strings.Contains(string(b), `"NHI015"`) {
			t.Errorf("%s alone reported NHI015", s.name)
		}
		shards = append(shards, p)
	}
	m := run(t, append([]string{"merge", "--format", "json", "--expect", "3"}, shards...)...)
	if m.code != driftcmd.ExitFindings {
		t.Fatalf("merge: exit %d\n%s", m.code, m.stderr)
	}
	merged := parseJSON(t, m.stdout)
	sameLines(t, findingLines(merged, func(f jsonFinding) bool { return f.RuleID == "NHI015" }), want, m.stdout)
	for _, f := range merged.Findings {
		if f.RuleID == "NHI015" && fps[f.Identity.ID] != f.Fingerprint+" "+f.Identity.Source {
			t.Errorf("merged NHI015 on %s: %s %s, one run: %s", f.Identity.ID, f.Fingerprint, f.Identity.Source, fps[f.Identity.ID])
		}
	}
	// The rest is the one run's, each finding once: one run reports the
	// same users once per source; the merge counts them once (in the
	// source of the smallest name).
	var rest []string
	for _, f := range merged.Findings {
		if f.RuleID != "NHI015" {
			rest = append(rest, f.RuleID+" "+f.Identity.Source+":"+f.Identity.ID)
		}
	}
	sameLines(t, rest, []string{"NHI001 aws-lab:user/deployer", "NHI001 aws-lab:user/reader"}, m.stdout)
	if n := len(findingLines(one, func(f jsonFinding) bool { return f.RuleID == "NHI001" })); n != 6 {
		t.Errorf("one run over three sources: %d NHI001, want 6", n)
	}
}
