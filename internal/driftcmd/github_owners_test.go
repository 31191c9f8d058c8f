package driftcmd_test

import (
	"strings"
	"testing"

	"github.com/nhi-ops/terraform-provider-nhi/internal/driftcmd"
)

// owners { source = "<name>" } takes a source whose system serves as a
// directory of people (a GitHub organisation's members); an unknown source,
// one that cannot serve, or a second directory is an error on the
// attribute, naming it.
func TestOwnersSourceConfig(t *testing.T) {
	const gh = "source \"github\" \"gh\" {\n  organization = \"acme\"\n}\n"
	const kube = "source \"kubernetes\" \"prod\" {\n  kubeconfig = \"kubeconfig\"\n}\n"
	for name, c := range map[string]struct {
		body string
		want []string // in the error; none: no error
	}{
		"github source":                          {gh + "owners {\n  source = \"gh\"\n}\n", nil},
		"source declared after the owners block": {"owners {\n  source = \"gh\"\n}\n" + gh, nil},
		"unknown source":                         {gh + kube + "owners {\n  source = \"ghh\"\n}\n", []string{"d.hcl:8,", "Unknown owners source", `owners.source "ghh" names no source`, `"gh" (github), "prod" (kubernetes)`}},
		"cannot serve":                           {gh + kube + "owners {\n  source = \"prod\"\n}\n", []string{"d.hcl:8,", "Source cannot serve as owners directory", `owners.source "prod" is a kubernetes source`, `Set it to a source that can ("gh")`}},
		"and a file":                             {gh + "owners {\n  source = \"gh\"\n  file = \"owners.txt\"\n}\n", []string{"Two owner directories", "keep one of file, source and the ldap block"}},
		"not a string":                           {gh + "owners {\n  source = [\"gh\"]\n}\n", []string{"d.hcl:5,"}},
	} {
		t.Run(name, func(t *testing.T) {
			cfg, diags := driftcmd.ParseConfig("d.hcl", []byte(c.body), githubRegistry())
			if len(c.want) == 0 {
				if diags.HasErrors() {
					t.Fatalf("unexpected error: %s", diags.Error())
				}
				if cfg.Owners.Source != "gh" {
					t.Errorf("owners source %q, want gh", cfg.Owners.Source)
				}
				return
			}
			if !diags.HasErrors() {
				t.Fatalf("no error, want %q", c.want)
			}
			for _, w := range c.want {
				if !strings.Contains(diags.Error(), w) {
					t.Errorf("error %q lacks %q", diags.Error(), w)
				}
			}
		})
	}
}
