package system

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

func attrs(t *testing.T, src string) hcl.Attributes {
	t.Helper()
	f, diags := hclsyntax.ParseConfig([]byte(src), "s.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	a, diags := f.Body.JustAttributes()
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return a
}

// The block helpers say what is wrong at file:line:col of the value.
func TestStringAndStrings(t *testing.T) {
	a := attrs(t, "s = \"x\"\nn = 5\nl = [\"a\", \"b\"]\nm = [\"a\", 1]\nv = var.x\n")
	if v, d := String(a["s"]); d.HasErrors() || v != "x" {
		t.Errorf("String(s) = %q %v", v, d)
	}
	if l, d := Strings(a["l"]); d.HasErrors() || strings.Join(l, ",") != "a,b" {
		t.Errorf("Strings(l) = %v %v", l, d)
	}
	for name, c := range map[string]struct {
		d    hcl.Diagnostics
		want string
	}{
		"string of a number":  {second(String(a["n"])), "s.hcl:2:5: Incorrect attribute value type; n must be a string."},
		"list of a string":    {second(Strings(a["s"])), "s.hcl:1:5: Incorrect attribute value type; s must be a list of strings, such as [\"a\", \"b\"]."},
		"list with a number":  {second(Strings(a["m"])), "s.hcl:4:5: Incorrect attribute value type; m must be a list of strings."},
		"string of variables": {second(String(a["v"])), "s.hcl:5:5: Variables not allowed"},
	} {
		if len(c.d) == 0 || !c.d.HasErrors() {
			t.Errorf("%s: no error", name)
			continue
		}
		d := c.d[0]
		if got := fmt.Sprintf("%s:%d:%d: %s; %s", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column, d.Summary, d.Detail); !strings.HasPrefix(got, c.want) {
			t.Errorf("%s: %q, want %q", name, got, c.want)
		}
	}
}

func second[T any](_ T, d hcl.Diagnostics) hcl.Diagnostics { return d }

func TestExpandPath(t *testing.T) {
	home, err := os.UserHomeDir()
	if err != nil {
		t.Skip(err)
	}
	for in, want := range map[string]string{
		"~/.kube/config": filepath.Join(home, ".kube/config"),
		"kubeconfig":     "/etc/nhi/kubeconfig",
		"/abs/config":    "/abs/config",
	} {
		if got := ExpandPath(in, "/etc/nhi"); got != want {
			t.Errorf("ExpandPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestComments(t *testing.T) {
	f := hclwrite.NewEmptyFile()
	f.Body().AppendUnstructuredTokens(Comments("one", "two"))
	if got := string(f.Bytes()); got != "# one\n# two\n" {
		t.Errorf("Comments = %q", got)
	}
}
