package github

import (
	"os"
	"strings"
	"testing"
)

// The drift reporter guide documents the github source by hand; keep it in
// step with the block's schema, the default exclusions and the scanner
// App's permissions, and the rules guide with the privileged scopes.
func TestSourceIsDocumented(t *testing.T) {
	b, err := os.ReadFile("../../../templates/guides/drift-reporter.md.tmpl")
	if err != nil {
		t.Fatal(err)
	}
	guide := string(b)
	start := strings.Index(guide, "### `source \"github\" \"<name>\"`")
	if start < 0 {
		t.Fatal("the guide has no source \"github\" section")
	}
	section := guide[start:]
	if end := strings.Index(section[1:], "\n### "); end > 0 {
		section = section[:end+1]
	}
	for _, a := range sourceSchema.Attributes {
		switch a.Name {
		case "token", "private_key":
			if !strings.Contains(section, "`"+a.Name+"`") {
				t.Errorf("the github section does not say %s is refused", a.Name)
			}
		default:
			if !strings.Contains(section, "| `"+a.Name+"` |") {
				t.Errorf("the github section's table lacks %s", a.Name)
			}
		}
	}
	for _, e := range Descriptor().Exclusions {
		if !strings.Contains(section, "`"+e.Reason+"`") || !strings.Contains(guide[strings.Index(guide, "## What is left out"):], "`"+e.Reason+"`") {
			t.Errorf("exclusion %s is not in the github section and under What is left out", e.Reason)
		}
	}
	for _, perm := range []string{"administration", "secrets", "organization_administration", "organization_personal_access_tokens", "organization_secrets", "organization_hooks", "members"} {
		if !strings.Contains(section, "(`"+perm+"`") {
			t.Errorf("the github section does not name the scanner App's %s permission", perm)
		}
	}
	if !strings.Contains(section, "`"+DefaultTokenEnv+"`") || !strings.Contains(section, DefaultBaseURL) {
		t.Errorf("the github section lacks the token_env or base_url default")
	}

	b, err = os.ReadFile("../../../templates/guides/drift-rules.md.tmpl")
	if err != nil {
		t.Fatal(err)
	}
	rules := string(b)
	for _, s := range PrivilegedScopes {
		name := strings.TrimSuffix(strings.TrimPrefix(s, tokenScopePrefix), ":write")
		if s == ScopeDeployKeyWriteAny {
			name = s
		}
		if !strings.Contains(rules, "`"+name+"`") {
			t.Errorf("the rules guide does not name privileged scope %s (as %q)", s, name)
		}
	}
}
