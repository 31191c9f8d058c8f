package system

import (
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// The values a list resource's result carries for an undeclared identity
// are the attributes of the block --generate-imports writes for it.
func TestAdoptionValuesAreTheGeneratedBlock(t *testing.T) {
	d := Descriptor{Name: "sys", ReadOnlyScopes: []string{"database:OWNER@*"}}
	k := Kind{Kind: "role", ResourceType: "nhi_sys_role", Adopt: Adoption{
		Head:       func(b *hclwrite.Body, id nhi.Identity) { b.SetAttributeValue("name", cty.StringVal(id.Ref.Name)) },
		Tail:       func(b *hclwrite.Body, id nhi.Identity) { b.SetAttributeValue("keep", cty.True) },
		LabelsAttr: "tags",
	}}
	id := nhi.Identity{Ref: nhi.Ref{Name: "app"}, EffectiveScopes: []string{"database:CONNECT@app", "database:OWNER@app"}, Labels: map[string]string{"team": "a"}}

	vals, err := AdoptionValues(d, k, id)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]cty.Value{
		"name":       cty.StringVal("app"),
		"owner":      cty.StringVal("FILL-IN: the person or team responsible"),
		"purpose":    cty.StringVal("FILL-IN: why this identity exists"),
		"expires_at": cty.StringVal("FILL-IN: YYYY-MM-DD"),
		"scopes":     cty.TupleVal([]cty.Value{cty.StringVal("database:CONNECT@app")}),
		"keep":       cty.True,
		"tags":       cty.ObjectVal(map[string]cty.Value{"team": cty.StringVal("a")}),
	}
	if len(vals) != len(want) {
		t.Errorf("attributes = %v, want %v", vals, want)
	}
	for name, w := range want {
		if got, ok := vals[name]; !ok || !got.RawEquals(w) {
			t.Errorf("%s = %#v, want %#v", name, got, w)
		}
	}
	for _, p := range Placeholders {
		if !strings.HasPrefix(p.Value, nhi.Placeholder) {
			t.Errorf("placeholder of %s = %q does not start with %q, which the validators refuse", p.Attr, p.Value, nhi.Placeholder)
		}
	}

	f := hclwrite.NewEmptyFile()
	WriteAdoption(f.Body(), d, k, id)
	if !strings.Contains(string(f.Bytes()), "# Left out, as no declaration can hold them") {
		t.Errorf("the block does not name the read-only scope it leaves out:\n%s", f.Bytes())
	}
}
