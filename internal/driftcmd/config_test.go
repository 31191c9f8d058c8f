package driftcmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The example in docs/guides/drift-reporter.md parses, with its values.
func TestExampleConfigParses(t *testing.T) {
	p := filepath.Join("..", "..", "examples", "drift", "nhi-drift.hcl")
	src, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	cfg, diags := ParseConfig(p, src)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	if len(cfg.Sources) != 2 || cfg.Sources[0].Context != "prod" || cfg.Sources[1].Type != "aws" || cfg.Sources[1].Profile != "audit" ||
		cfg.Sources[1].AssumeRole != "arn:aws:iam::123456789012:role/nhi-drift-reader" || cfg.Policy.StaleAfter != 45*24*time.Hour ||
		len(cfg.Exceptions) != 1 || cfg.Exceptions[0].Ticket != "SEC-142" || cfg.Exceptions[0].Source != "prod" || cfg.Exceptions[0].System != "kubernetes" || filepath.Base(cfg.OwnersFile) != "owners.txt" {
		t.Errorf("parsed %+v", cfg)
	}
	o, err := LoadOwners(cfg.OwnersFile)
	if err != nil {
		t.Fatal(err)
	}
	if !o.Has("alice@example.com") || o.Has("# Owners directory for the drift reporter (NHI006).") || len(o.Owners()) != 3 {
		t.Errorf("owners %v", o.Owners())
	}
}

// An exception may be limited to a source and a system; both are checked
// with file:line:col errors.
func TestExceptionSourceAndSystem(t *testing.T) {
	const sources = "source \"kubernetes\" \"prod\" {\n  kubeconfig = \"x\"\n}\nsource \"aws\" \"acct\" {\n}\n"
	exception := func(attrs string) string {
		return sources + "exception \"e\" {\n  identity = \"user/*\"\n  rules    = [\"NHI001\"]\n  reason   = \"r\"\n  expires  = \"2027-01-01\"\n" + attrs + "}\n"
	}
	cfg, diags := ParseConfig("d.hcl", []byte(exception("  source = \"acct\"\n  system = \"aws\"\n")))
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	if ex := cfg.Exceptions[0]; ex.Source != "acct" || ex.System != "aws" {
		t.Errorf("exception %+v", ex)
	}
	// An exception before the source it names is fine.
	if _, diags := ParseConfig("d.hcl", []byte("exception \"e\" {\n  identity = \"a/*\"\n  rules = [\"NHI001\"]\n  reason = \"r\"\n  expires = \"2027-01-01\"\n  source = \"prod\"\n}\n"+sources)); diags.HasErrors() {
		t.Error(diags.Error())
	}
	for name, c := range map[string]struct{ attrs, want string }{
		"unknown system":  {"  system = \"gcp\"\n", `d.hcl:11:12: Error: Unknown system; system "gcp" is not a system the reporter scans`},
		"unknown source":  {"  source = \"staging\"\n", `d.hcl:11:12: Error: Unknown source; source "staging" names no source block of this file; use the second label of one ("prod", "acct")`},
		"disagree":        {"  source = \"prod\"\n  system = \"aws\"\n", `d.hcl:12:12: Error: Source and system disagree; source "prod" is a "kubernetes" source, so system "aws" would match nothing`},
		"not a string":    {"  source = [\"prod\"]\n", `d.hcl:11:12: Error: Incorrect attribute value type; source must be a string.`},
		"unknown rule ID": {"  rules = [\"NHI099\"]\n", `Unknown rule; rules: "NHI099" is not a rule ID; rules are NHI001 to NHI014`},
	} {
		t.Run(name, func(t *testing.T) {
			src := exception(c.attrs)
			if name == "unknown rule ID" {
				src = strings.Replace(src, "  rules    = [\"NHI001\"]\n", "", 1)
			}
			_, diags := ParseConfig("d.hcl", []byte(src))
			var b strings.Builder
			printDiags(&b, diags)
			if !strings.Contains(b.String(), c.want) {
				t.Errorf("diagnostics:\n%s\nwant %q", b.String(), c.want)
			}
		})
	}
}
