package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	awsc "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/aws"
	k8s "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/kubernetes"
	pg "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/postgresql"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/system"
)

// Adopting must change nothing until a person reviews it: every adopted
// service account keeps its legacy token Secrets (the provider deletes them
// when allow_legacy_tokens is false, its default), and the comment above the
// setting names the Secrets that false would delete.
func TestImportsKeepLegacyTokens(t *testing.T) {
	sa := func(ns, name string, creds ...nhi.Credential) Adoption {
		return Adoption{Source: "prod", Identity: nhi.Identity{System: k8s.SystemName, Kind: k8s.KindServiceAccount,
			Ref: nhi.Ref{Location: ns, Name: name}, Credentials: creds}}
	}
	legacy := func(id string, declared bool) nhi.Credential {
		return nhi.Credential{ID: id, Kind: k8s.CredentialLegacyToken, Declared: declared}
	}
	var b bytes.Buffer
	err := Imports(&b, testSystems, []Adoption{
		sa("team-a", "runner", legacy("team-a/runner-token-b", false), legacy("team-a/runner-token-a", false),
			legacy("team-a/runner-governed", true)),
		sa("team-a", "plain"),
		{Source: "aws", Identity: nhi.Identity{System: awsc.SystemName, Kind: awsc.KindIAMUser, Ref: nhi.Ref{Location: "user", Name: "ci"},
			Credentials: []nhi.Credential{{ID: "AKIAEXAMPLE", Kind: awsc.CredentialAccessKey}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	out := b.String()
	f, diags := hclsyntax.ParseConfig(b.Bytes(), "adopt.tf", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatalf("generated imports do not parse: %s\n%s", diags, out)
	}
	allow := map[string]string{}
	for _, blk := range f.Body.(*hclsyntax.Body).Blocks {
		if blk.Type != "resource" {
			continue
		}
		a, ok := blk.Body.Attributes["allow_legacy_tokens"]
		if !ok {
			allow[blk.Labels[1]] = "unset"
			continue
		}
		v, d := a.Expr.Value(nil)
		if d.HasErrors() {
			t.Fatal(d)
		}
		allow[blk.Labels[1]] = v.GoString()
	}
	for name, want := range map[string]string{"team-a__runner": "cty.True", "team-a__plain": "cty.True", "user__ci": "unset"} {
		if allow[name] != want {
			t.Errorf("allow_legacy_tokens of %s = %s, want %s:\n%s", name, allow[name], want, out)
		}
	}

	// The comment right above the setting says what false deletes: the
	// undeclared Secrets by name, sorted, and not the declared one.
	block := func(name string) string {
		_, rest, _ := strings.Cut(out, `"nhi_kubernetes_service_account" "`+name+`" {`)
		blk, _, _ := strings.Cut(rest, "\n}\n")
		return blk + "\n"
	}
	runner := block("team-a__runner")
	want := "  # Kept true so that adopting deletes nothing. Setting it to false makes the apply delete these\n" +
		"  # legacy token Secrets, and breaks whatever still reads them:\n" +
		"  #   team-a/runner-token-a\n" +
		"  #   team-a/runner-token-b\n" +
		"  allow_legacy_tokens = true\n"
	if !strings.Contains(runner, want) {
		t.Errorf("runner's allow_legacy_tokens is not explained by the Secrets false would delete; want\n%s\nin\n%s", want, runner)
	}
	if strings.Contains(runner, "runner-governed") {
		t.Errorf("a declared token is not deleted by false and must not be listed:\n%s", runner)
	}
	plain := block("team-a__plain")
	if !strings.Contains(plain, "no legacy token Secret referenced it") || !strings.Contains(plain, "Setting it to false makes the apply delete every") {
		t.Errorf("plain's allow_legacy_tokens is not explained:\n%s", plain)
	}
	if strings.Contains(out, "AKIAEXAMPLE") {
		t.Errorf("an access key ID is written into the imports:\n%s", out)
	}
}

// The same reference in two sources (two clusters) is two identities: the
// second block says it needs a provider configured for its source, and the
// order does not depend on the order the sources were scanned in.
func TestImportsSameReferenceInTwoSources(t *testing.T) {
	id := nhi.Identity{System: k8s.SystemName, Kind: k8s.KindServiceAccount, Ref: nhi.Ref{Location: "ci", Name: "deployer"}}
	render := func(as ...Adoption) string {
		var b bytes.Buffer
		if err := Imports(&b, testSystems, as); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	one := render(Adoption{Source: "prod", Identity: id}, Adoption{Source: "staging", Identity: id})
	two := render(Adoption{Source: "staging", Identity: id}, Adoption{Source: "prod", Identity: id})
	if one != two {
		t.Errorf("output depends on the scan order:\n%s\n---\n%s", one, two)
	}
	if !strings.Contains(one, `# Source "prod" has a service account ci/deployer too`) || !strings.Contains(one, `configured for source "staging"`) {
		t.Errorf("the second source's block does not say it needs its own provider:\n%s", one)
	}
	if strings.Count(one, "has a service account") != 1 {
		t.Errorf("only the second block needs the note:\n%s", one)
	}
}

// A scope a system only reports (a PostgreSQL role's ownership of a
// database) is not copied into the generated scopes, which a plan would
// refuse; a comment names what was left out and why. Other scopes are
// kept, and a block left with none declares an empty list.
func TestImportsLeaveOutReadOnlyScopes(t *testing.T) {
	d := pg.Descriptor()
	if len(d.ReadOnlyScopes) == 0 {
		t.Fatal("the postgresql descriptor lists no ReadOnlyScopes")
	}
	systems := system.NewRegistry(d, system.Descriptor{
		Name: "acme", Title: "Acme", ReadOnlyScopes: []string{"owner:*"},
		Kinds: []system.Kind{{Kind: "bot", Label: "bot", ResourceType: "nhi_acme_bot", Location: "bot"}},
	})
	role := func(name string, scopes ...string) Adoption {
		return Adoption{Source: "db", Identity: nhi.Identity{System: pg.SystemName, Kind: pg.KindRole, Ref: pg.RoleRef(name), EffectiveScopes: scopes}}
	}
	var b bytes.Buffer
	err := Imports(&b, systems, []Adoption{
		role("root_bot", "attribute:SUPERUSER", "database:OWNER@analytics", "database:OWNER@botdb"),
		role("owner_only", "database:OWNER@botdb"),
		{Source: "acme", Identity: nhi.Identity{System: "acme", Kind: "bot", Ref: nhi.Ref{Location: "bot", Name: "b"}, EffectiveScopes: []string{"owner:x", "read:y"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	out := b.String()
	f, diags := hclsyntax.ParseConfig(b.Bytes(), "adopt.tf", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatalf("generated imports do not parse: %s\n%s", diags, out)
	}
	scopes := map[string]string{}
	for _, blk := range f.Body.(*hclsyntax.Body).Blocks {
		if blk.Type == "resource" {
			v, d := blk.Body.Attributes["scopes"].Expr.Value(nil)
			if d.HasErrors() {
				t.Fatal(d)
			}
			scopes[blk.Labels[1]] = v.GoString()
		}
	}
	for name, want := range map[string]string{
		"role__root_bot":   `cty.TupleVal([]cty.Value{cty.StringVal("attribute:SUPERUSER")})`,
		"role__owner_only": `cty.EmptyTupleVal`,
		"bot__b":           `cty.TupleVal([]cty.Value{cty.StringVal("read:y")})`,
	} {
		if scopes[name] != want {
			t.Errorf("scopes of %s = %s, want %s:\n%s", name, scopes[name], want, out)
		}
	}
	why := "  # Left out, as no declaration can hold them (the system reports them but never\n" +
		"  # grants them): database:OWNER@analytics, database:OWNER@botdb\n"
	if !strings.Contains(out, why) {
		t.Errorf("the block does not say what was left out and why; want\n%s\nin\n%s", why, out)
	}
}
