package driftcmd

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	pg "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/postgresql"

	awsc "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/aws"
	k8s "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/kubernetes"
	"github.com/nhi-ops/terraform-provider-nhi/internal/system"
)

// testSystems are the registered systems, as the provider registers them.
var testSystems = system.NewRegistry(k8s.Descriptor(), awsc.Descriptor(), pg.Descriptor())

// The example in docs/guides/drift-reporter.md parses, with its values.
func TestExampleConfigParses(t *testing.T) {
	p := filepath.Join("..", "..", "examples", "drift", "nhi-drift.hcl")
	src, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	cfg, diags := ParseConfig(p, src, testSystems)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	if len(cfg.Sources) != 3 {
		t.Fatalf("parsed %+v", cfg)
	}
	kube, _ := cfg.Sources[0].Config.(*k8s.SourceConfig)
	acct, _ := cfg.Sources[1].Config.(*awsc.SourceConfig)
	db, _ := cfg.Sources[2].Config.(*pg.SourceConfig)
	if cfg.Sources[2].Type != "postgresql" || db == nil || db.Host != "db.internal.example.com" || db.Port != 5432 || db.SSLMode != "verify-full" {
		t.Errorf("postgresql source %+v", cfg.Sources[2])
	}
	if kube == nil || kube.Context != "prod" || cfg.Sources[1].Type != "aws" || acct == nil || acct.Profile != "audit" ||
		acct.AssumeRole != "arn:aws:iam::123456789012:role/nhi-drift-reader" || cfg.Policy.StaleAfter != 45*24*time.Hour ||
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
	cfg, diags := ParseConfig("d.hcl", []byte(exception("  source = \"acct\"\n  system = \"aws\"\n")), testSystems)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	if ex := cfg.Exceptions[0]; ex.Source != "acct" || ex.System != "aws" {
		t.Errorf("exception %+v", ex)
	}
	// An exception before the source it names is fine.
	if _, diags := ParseConfig("d.hcl", []byte("exception \"e\" {\n  identity = \"a/*\"\n  rules = [\"NHI001\"]\n  reason = \"r\"\n  expires = \"2027-01-01\"\n  source = \"prod\"\n}\n"+sources), testSystems); diags.HasErrors() {
		t.Error(diags.Error())
	}
	for name, c := range map[string]struct{ attrs, want string }{
		"unknown system":  {"  system = \"gcp\"\n", `d.hcl:11:12: Error: Unknown system; system "gcp" is not a system the reporter scans`},
		"unknown source":  {"  source = \"staging\"\n", `d.hcl:11:12: Error: Unknown source; source "staging" names no source block of this file; use the second label of one ("prod", "acct")`},
		"disagree":        {"  source = \"prod\"\n  system = \"aws\"\n", `d.hcl:12:12: Error: Source and system disagree; source "prod" is a "kubernetes" source, so system "aws" would match nothing`},
		"not a string":    {"  source = [\"prod\"]\n", `d.hcl:11:12: Error: Incorrect attribute value type; source must be a string.`},
		"unknown rule ID": {"  rules = [\"NHI099\"]\n", `Unknown rule; rules: "NHI099" is not a rule ID; rules are NHI001 to NHI015`},
	} {
		t.Run(name, func(t *testing.T) {
			src := exception(c.attrs)
			if name == "unknown rule ID" {
				src = strings.Replace(src, "  rules    = [\"NHI001\"]\n", "", 1)
			}
			_, diags := ParseConfig("d.hcl", []byte(src), testSystems)
			var b strings.Builder
			printDiags(&b, diags)
			if !strings.Contains(b.String(), c.want) {
				t.Errorf("diagnostics:\n%s\nwant %q", b.String(), c.want)
			}
		})
	}
}

// The policy's owner_pattern is the provider's: a regular expression the
// whole owner must match; a bad one is an error at file:line:col.
func TestPolicyOwnerPattern(t *testing.T) {
	const src = "source \"kubernetes\" \"k\" {}\npolicy {\n  owner_pattern = %q\n}\n"
	cfg, diags := ParseConfig("d.hcl", []byte(fmt.Sprintf(src, `team:[a-z-]+|[a-z.]+@example\.com`)), testSystems)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	for owner, want := range map[string]bool{"team:payments": true, "alice@example.com": true, "team:payments ": false, "bob": false} {
		if got := cfg.Policy.OwnerAllowed(owner); got != want {
			t.Errorf("owner %q allowed = %v, want %v", owner, got, want)
		}
	}
	if cfg, _ := ParseConfig("d.hcl", []byte("source \"kubernetes\" \"k\" {}\n"), testSystems); cfg.Policy.OwnerPattern != nil {
		t.Error("an owner_pattern without a policy block")
	}
	for name, c := range map[string]struct{ value, want string }{
		"not a regular expression": {`"team:("`, `d.hcl:3:19: Error: Invalid regular expression; owner_pattern "team:(" is not a valid regular expression: error parsing regexp: missing closing ): ` + "`^(?:team:()$`."},
		"not a string":             {`["team:a"]`, `d.hcl:3:19: Error: Incorrect attribute value type; owner_pattern must be a string.`},
	} {
		t.Run(name, func(t *testing.T) {
			_, diags := ParseConfig("d.hcl", []byte("source \"kubernetes\" \"k\" {}\npolicy {\n  owner_pattern = "+c.value+"\n}\n"), testSystems)
			var b strings.Builder
			printDiags(&b, diags)
			if !strings.Contains(b.String(), c.want) {
				t.Errorf("diagnostics:\n%s\nwant %q", b.String(), c.want)
			}
		})
	}
}

// The messages built from the registered systems list them all, in
// registration order.
func TestSourceTypeMessagesFromTheRegistry(t *testing.T) {
	for name, c := range map[string]struct{ src, want string }{
		"unsupported source type": {"source \"gcp\" \"g\" {}\n",
			`d.hcl:1:8: Error: Unsupported source type; source type "gcp" is not supported; supported types: "kubernetes", "aws", "postgresql".`},
		"unknown exception system": {"source \"aws\" \"a\" {}\nexception \"e\" {\n  identity = \"a/*\"\n  rules = [\"NHI001\"]\n  reason = \"r\"\n  expires = \"2027-01-01\"\n  system = \"gcp\"\n}\n",
			`d.hcl:7:12: Error: Unknown system; system "gcp" is not a system the reporter scans; use "kubernetes", "aws" or "postgresql", or leave system out to match every system.`},
		"no sources": {"policy {}\n",
			`d.hcl:1:1: Error: No sources; The configuration declares no source to scan. Add one, for example: source "kubernetes" "prod" { kubeconfig = "~/.kube/config" }`},
		"kubernetes namespace":        {"source \"kubernetes\" \"k\" {\n  namespaces = [\"Bad_NS\"]\n}\n", `d.hcl:2:16: Error: Invalid namespace; namespaces: `},
		"kubernetes attribute of aws": {"source \"kubernetes\" \"k\" {\n  profile = \"x\"\n}\n", `d.hcl:2:3: Error: Unsupported argument`},
	} {
		t.Run(name, func(t *testing.T) {
			_, diags := ParseConfig("d.hcl", []byte(c.src), testSystems)
			var b strings.Builder
			printDiags(&b, diags)
			if !strings.Contains(b.String(), c.want) {
				t.Errorf("diagnostics:\n%s\nwant %q", b.String(), c.want)
			}
		})
	}
}
