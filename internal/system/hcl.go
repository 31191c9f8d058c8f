package system

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// Helpers for a system's drift `source` block (Source.Decode) and for its
// generated resource blocks (Adoption), shared with the drift command so
// that every block reads and reports the same way.

// Errorf returns an error diagnostic for the range r, so that users see
// file:line:col.
func Errorf(r hcl.Range, summary, format string, args ...any) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: fmt.Sprintf(format, args...), Subject: r.Ptr()}
}

// value evaluates an attribute that needs no variables.
func value(a *hcl.Attribute) (cty.Value, hcl.Diagnostics) {
	v, d := a.Expr.Value(nil)
	if d.HasErrors() {
		return cty.NilVal, d
	}
	return v, nil
}

// String reads a string attribute. On error the diagnostics say what is
// wrong, at the attribute's value.
func String(a *hcl.Attribute) (string, hcl.Diagnostics) {
	v, d := value(a)
	if d.HasErrors() {
		return "", d
	}
	if v.IsNull() || !v.Type().Equals(cty.String) {
		return "", hcl.Diagnostics{Errorf(a.Expr.Range(), "Incorrect attribute value type", "%s must be a string.", a.Name)}
	}
	return v.AsString(), nil
}

// Strings reads a list of strings.
func Strings(a *hcl.Attribute) ([]string, hcl.Diagnostics) {
	v, d := value(a)
	if d.HasErrors() {
		return nil, d
	}
	if v.IsNull() || !(v.Type().IsListType() || v.Type().IsTupleType() || v.Type().IsSetType()) {
		return nil, hcl.Diagnostics{Errorf(a.Expr.Range(), "Incorrect attribute value type", "%s must be a list of strings, such as [\"a\", \"b\"].", a.Name)}
	}
	var out []string
	for it := v.ElementIterator(); it.Next(); {
		_, el := it.Element()
		if el.IsNull() || !el.Type().Equals(cty.String) {
			return nil, hcl.Diagnostics{Errorf(a.Expr.Range(), "Incorrect attribute value type", "%s must be a list of strings.", a.Name)}
		}
		out = append(out, el.AsString())
	}
	return out, nil
}

// ExpandPath resolves a path of a configuration file: "~/" is the home
// directory, and a relative path is relative to dir, the file's directory.
func ExpandPath(p, dir string) string {
	if strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, p[2:])
		}
	}
	if !filepath.IsAbs(p) {
		return filepath.Join(dir, p)
	}
	return p
}

// Comment is one "# " comment line of a generated block.
func Comment(s string) hclwrite.Tokens {
	return hclwrite.Tokens{{Type: hclsyntax.TokenComment, Bytes: []byte("# " + s + "\n")}}
}

// Comments is a comment of several lines.
func Comments(lines ...string) hclwrite.Tokens {
	var t hclwrite.Tokens
	for _, l := range lines {
		t = append(t, Comment(l)...)
	}
	return t
}

// Placeholders are the values an adopted identity's generated resource
// block leaves for a person to fill in, by attribute. Each starts with
// nhi.Placeholder, which the provider's validators refuse, so that adopting
// cannot skip taking ownership. `drift --generate-imports` and the list
// resources' results for `terraform query -generate-config-out` both write
// them (WriteAdoption, AdoptionValues).
var Placeholders = []struct{ Attr, Value string }{
	{"owner", nhi.Placeholder + ": the person or team responsible"},
	{"purpose", nhi.Placeholder + ": why this identity exists"},
	{"expires_at", nhi.Placeholder + ": YYYY-MM-DD"},
}

// WriteAdoption writes the attributes of an undeclared identity's generated
// resource block, of kind k of system d: the attributes that identify it
// (Adopt.Head), the Placeholders, its current grants as scopes (less the
// scopes a declaration refuses, Descriptor.ReadOnlyScopes, named in a
// comment), what keeps adopting from changing anything (Adopt.Tail) and its
// labels.
func WriteAdoption(res *hclwrite.Body, d Descriptor, k Kind, id nhi.Identity) {
	if k.Adopt.Head != nil {
		k.Adopt.Head(res, id)
	}
	for _, p := range Placeholders {
		res.SetAttributeValue(p.Attr, cty.StringVal(p.Value))
	}
	// Scopes the system only reports (such as owning a database) are
	// refused in a declaration: copied, they would make the generated
	// block fail its plan.
	scopes := make([]cty.Value, 0, len(id.EffectiveScopes))
	var readOnly []string
	for _, s := range id.EffectiveScopes {
		if matchesAny(d.ReadOnlyScopes, s) {
			readOnly = append(readOnly, s)
			continue
		}
		scopes = append(scopes, cty.StringVal(s))
	}
	if len(scopes) > 0 {
		comment := "Its current grants. Remove what it does not need: the apply revokes it."
		if k.GovernedInState {
			// Nothing the provider applies reaches the system.
			comment = "Its current grants, as its source lists them. Remove what it does not need here and in its system."
		}
		res.AppendUnstructuredTokens(Comment(comment))
	}
	if len(readOnly) > 0 {
		res.AppendUnstructuredTokens(Comments(
			"Left out, as no declaration can hold them (the system reports them but never",
			"grants them): "+strings.Join(readOnly, ", "),
		))
	}
	if len(scopes) == 0 {
		res.SetAttributeValue("scopes", cty.ListValEmpty(cty.String))
	} else {
		res.SetAttributeValue("scopes", cty.ListVal(scopes))
	}
	if k.Adopt.Tail != nil {
		k.Adopt.Tail(res, id)
	}
	if len(id.Labels) > 0 && k.Adopt.LabelsAttr != "" {
		m := map[string]cty.Value{}
		for lk, lv := range id.Labels {
			m[lk] = cty.StringVal(lv)
		}
		res.SetAttributeValue(k.Adopt.LabelsAttr, cty.MapVal(m))
	}
}

// AdoptionValues returns the attributes WriteAdoption writes for an
// identity, as values: what a list resource's result carries for an
// undeclared identity, so that the configuration Terraform generates from
// it (`terraform query -generate-config-out`) is the block
// `drift --generate-imports` writes, comments aside.
func AdoptionValues(d Descriptor, k Kind, id nhi.Identity) (map[string]cty.Value, error) {
	f := hclwrite.NewEmptyFile()
	WriteAdoption(f.Body(), d, k, id)
	parsed, diags := hclsyntax.ParseConfig(f.Bytes(), "adoption.tf", hcl.InitialPos)
	if diags.HasErrors() {
		return nil, diags
	}
	attrs, diags := parsed.Body.JustAttributes()
	if diags.HasErrors() {
		return nil, diags
	}
	out := make(map[string]cty.Value, len(attrs))
	for name, a := range attrs {
		v, diags := a.Expr.Value(nil)
		if diags.HasErrors() {
			return nil, diags
		}
		out[name] = v
	}
	return out, nil
}

// matchesAny reports whether scope matches one of the globs.
func matchesAny(patterns []string, scope string) bool {
	for _, p := range patterns {
		if nhi.MatchScope(p, scope) {
			return true
		}
	}
	return false
}
