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
