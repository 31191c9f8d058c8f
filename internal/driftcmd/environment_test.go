package driftcmd

import (
	"context"
	"errors"
	"strings"
	"testing"

	saasc "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/saas"
	"github.com/nhi-ops/terraform-provider-nhi/internal/drift"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/system"
)

// Every source block takes `environment`, whatever its system, and the
// system never sees it; a bad value is an error at the attribute.
func TestSourceEnvironment(t *testing.T) {
	systems := system.NewRegistry(append(testSystems.All(), saasc.Descriptor())...)
	src := `source "kubernetes" "prod-eu" {
  kubeconfig  = "x"
  environment = "prod"
}
source "aws" "acct" {
  environment = "staging"
}
source "postgresql" "db" {
  host = "db.example.com"
}
inventory "slack" {
  system      = "slack"
  file        = "bots.json"
  kind        = "bot"
  environment = "prod"
  columns {
    id = "id"
  }
}
`
	cfg, diags := ParseConfig("/cfg/nhi-drift.hcl", []byte(src), systems)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	var got []string
	for _, s := range cfg.Sources {
		got = append(got, s.Name+"="+s.Environment)
	}
	if strings.Join(got, " ") != "prod-eu=prod acct=staging db= slack=prod" {
		t.Errorf("environments: %v", got)
	}

	for _, c := range []struct{ body, want string }{
		{"source \"aws\" \"a\" {\n  environment = \"prod env\"\n}\n", `:2:17: Error: Invalid environment; environment "prod env" must be letters, digits, '-' or '_'`},
		{"source \"aws\" \"a\" {\n  environment = 3\n}\n", ":2:17:"},
		{"source \"aws\" \"a\" {\n  environmnt = \"prod\"\n}\n", ":2:3: Error: Unsupported argument"},
	} {
		_, diags := ParseConfig("c.hcl", []byte(c.body), systems)
		var b strings.Builder
		printDiags(&b, diags)
		if !strings.Contains(b.String(), c.want) {
			t.Errorf("%q: diagnostics\n%s\nwant %q", c.body, b.String(), c.want)
		}
	}
}

type fakeScanner struct {
	nhi.Scanner
	dels map[string]string
	err  error
}

func (f fakeScanner) Scan(context.Context, []string) ([]nhi.Identity, error) { return nil, nil }

func (f fakeScanner) ScanDeliveries(_ context.Context, locations []string) (map[string]string, error) {
	return f.dels, f.err
}

// A scanner that finds delivered credentials reports them in order; an
// error makes the source incomplete; other scanners have none.
func TestScanDeliveries(t *testing.T) {
	got, err := scanDeliveries(context.Background(), fakeScanner{dels: map[string]string{"b/s": "AKIA2", "a/s": "AKIA1"}}, nil)
	if err != nil || len(got) != 2 || got[0] != (drift.Delivery{Where: "a/s", CredentialID: "AKIA1"}) || got[1].Where != "b/s" {
		t.Errorf("deliveries %+v, %v", got, err)
	}
	if _, err := scanDeliveries(context.Background(), fakeScanner{err: errors.New("forbidden")}, nil); err == nil || err.Error() != "listing delivered credentials: forbidden" {
		t.Errorf("error %v", err)
	}
	if got, err := scanDeliveries(context.Background(), struct{ nhi.Scanner }{}, nil); got != nil || err != nil {
		t.Errorf("a scanner without deliveries: %v %v", got, err)
	}
}
