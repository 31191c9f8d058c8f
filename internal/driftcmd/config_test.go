package driftcmd

import (
	"os"
	"path/filepath"
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
		len(cfg.Exceptions) != 1 || cfg.Exceptions[0].Ticket != "SEC-142" || filepath.Base(cfg.OwnersFile) != "owners.txt" {
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
