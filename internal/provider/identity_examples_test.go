package provider

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/terraform-plugin-framework/resource"
)

// Every resource type documents its import by identity
// (examples/resources/<type>/import-by-identity.tf, rendered by tfplugindocs),
// and the example names exactly the attributes of its identity schema.
func TestImportByIdentityExamples(t *testing.T) {
	ctx := context.Background()
	p := New("test")().(*nhiProvider)
	for _, f := range p.Resources(ctx) {
		r := f()
		var md resource.MetadataResponse
		r.Metadata(ctx, resource.MetadataRequest{ProviderTypeName: "nhi"}, &md)
		ri, ok := r.(resource.ResourceWithIdentity)
		if !ok {
			continue // TestListResourcesAndIdentities reports it
		}
		var is resource.IdentitySchemaResponse
		ri.IdentitySchema(ctx, resource.IdentitySchemaRequest{}, &is)
		var want []string
		for name := range is.IdentitySchema.Attributes {
			want = append(want, name)
		}
		sort.Strings(want)

		file := filepath.Join("..", "..", "examples", "resources", md.TypeName, "import-by-identity.tf")
		src, err := os.ReadFile(file)
		if err != nil {
			t.Errorf("%s: write an import block by identity there (%v)", md.TypeName, err)
			continue
		}
		f, diags := hclsyntax.ParseConfig(src, file, hcl.InitialPos)
		if diags.HasErrors() {
			t.Errorf("%s: %s", file, diags)
			continue
		}
		body := f.Body.(*hclsyntax.Body)
		found := false
		for _, b := range body.Blocks {
			if b.Type != "import" {
				continue
			}
			found = true
			to, ok := b.Body.Attributes["to"]
			if !ok || !strings.HasPrefix(string(to.SrcRange.SliceBytes(src)), "to") {
				t.Errorf("%s: the import block has no to", file)
			} else if expr := string(to.Expr.Range().SliceBytes(src)); !strings.HasPrefix(expr, md.TypeName+".") {
				t.Errorf("%s: the import block imports into %s, not a %s", file, expr, md.TypeName)
			}
			id, ok := b.Body.Attributes["identity"]
			if !ok {
				t.Errorf("%s: the import block has no identity", file)
				continue
			}
			obj, ok := id.Expr.(*hclsyntax.ObjectConsExpr)
			if !ok {
				t.Errorf("%s: identity is not an object", file)
				continue
			}
			var got []string
			for _, item := range obj.Items {
				got = append(got, string(item.KeyExpr.Range().SliceBytes(src)))
			}
			sort.Strings(got)
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("%s: identity names %v; %s's identity schema has %v", file, got, md.TypeName, want)
			}
		}
		if !found {
			t.Errorf("%s: no import block", file)
		}
	}
}
