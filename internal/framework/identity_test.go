package framework

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

var testIdentity = Identity{
	TypeName: "nhi_thing",
	Attrs: []IdentityAttr{
		{Name: "namespace"},
		{Name: "name", Check: func(s string) error {
			if strings.Contains(s, "/") {
				return fmt.Errorf("%q contains a slash", s)
			}
			return nil
		}},
	},
	ID: func(v []string) string { return v[0] + "/" + v[1] },
}

var testSchema = schema.Schema{Attributes: map[string]schema.Attribute{
	"id":        schema.StringAttribute{Computed: true},
	"namespace": schema.StringAttribute{Required: true},
	"name":      schema.StringAttribute{Required: true},
}}

func testState(ctx context.Context, vals map[string]string) tfsdk.State {
	typ := testSchema.Type().TerraformType(ctx)
	if vals == nil {
		return tfsdk.State{Schema: testSchema, Raw: tftypes.NewValue(typ, nil)}
	}
	obj := map[string]tftypes.Value{}
	for _, a := range []string{"id", "namespace", "name"} {
		if v, ok := vals[a]; ok {
			obj[a] = tftypes.NewValue(tftypes.String, v)
		} else {
			obj[a] = tftypes.NewValue(tftypes.String, nil)
		}
	}
	return tfsdk.State{Schema: testSchema, Raw: tftypes.NewValue(typ, obj)}
}

func nullIdentity(ctx context.Context) *tfsdk.ResourceIdentity {
	s := testIdentity.Schema()
	return &tfsdk.ResourceIdentity{Schema: s, Raw: tftypes.NewValue(s.Type().TerraformType(ctx), nil)}
}

func identityValues(t *testing.T, ctx context.Context, ident *tfsdk.ResourceIdentity) string {
	t.Helper()
	var ns, name string
	if d := ident.GetAttribute(ctx, path.Root("namespace"), &ns); d.HasError() {
		t.Fatal(d)
	}
	if d := ident.GetAttribute(ctx, path.Root("name"), &name); d.HasError() {
		t.Fatal(d)
	}
	return ns + "/" + name
}

// A Read that finds the object gone still answers with an identity: state
// written by Terraform 1.11 has none, and the framework refuses a Read
// whose identity is null.
func TestIdentityAfterReadOfRemovedResource(t *testing.T) {
	ctx := context.Background()
	prior := testState(ctx, map[string]string{"id": "ci/deployer", "namespace": "ci", "name": "deployer"})
	resp := &resource.ReadResponse{State: prior, Identity: nullIdentity(ctx)}
	resp.State.RemoveResource(ctx)
	testIdentity.AfterRead(ctx, resource.ReadRequest{State: prior}, resp)
	if resp.Diagnostics.HasError() {
		t.Fatal(resp.Diagnostics)
	}
	if got := identityValues(t, ctx, resp.Identity); got != "ci/deployer" {
		t.Fatalf("identity = %s, want ci/deployer", got)
	}
}

func TestIdentityAfterCreateFollowsState(t *testing.T) {
	ctx := context.Background()
	resp := &resource.CreateResponse{State: testState(ctx, map[string]string{"id": "a/b", "namespace": "a", "name": "b"}), Identity: nullIdentity(ctx)}
	testIdentity.AfterCreate(ctx, resp)
	if got := identityValues(t, ctx, resp.Identity); got != "a/b" {
		t.Fatalf("identity = %s, want a/b", got)
	}
	// A failed create that recorded nothing leaves the identity null.
	resp = &resource.CreateResponse{State: testState(ctx, nil), Identity: nullIdentity(ctx)}
	testIdentity.AfterCreate(ctx, resp)
	if !resp.Identity.Raw.IsNull() {
		t.Fatalf("identity = %s, want null", resp.Identity.Raw)
	}
}

func importRequest(ctx context.Context, ns, name string) resource.ImportStateRequest {
	s := testIdentity.Schema()
	raw := tftypes.NewValue(s.Type().TerraformType(ctx), map[string]tftypes.Value{
		"namespace": tftypes.NewValue(tftypes.String, ns), "name": tftypes.NewValue(tftypes.String, name),
	})
	return resource.ImportStateRequest{Identity: &tfsdk.ResourceIdentity{Schema: s, Raw: raw}}
}

func TestImportByIdentity(t *testing.T) {
	ctx := context.Background()
	resp := &resource.ImportStateResponse{State: testState(ctx, nil), Identity: nullIdentity(ctx)}
	if !testIdentity.ImportByIdentity(ctx, importRequest(ctx, "ci", "deployer"), resp) {
		t.Fatal("an import by identity was not handled")
	}
	if resp.Diagnostics.HasError() {
		t.Fatal(resp.Diagnostics)
	}
	for attr, want := range map[string]string{"id": "ci/deployer", "namespace": "ci", "name": "deployer"} {
		var got string
		resp.State.GetAttribute(ctx, path.Root(attr), &got)
		if got != want {
			t.Errorf("state %s = %q, want %q", attr, got, want)
		}
	}

	// An import by ID is the resource's.
	if testIdentity.ImportByIdentity(ctx, resource.ImportStateRequest{ID: "ci/deployer"}, &resource.ImportStateResponse{State: testState(ctx, nil)}) {
		t.Fatal("an import by ID was taken as one by identity")
	}
}

func TestImportByIdentityRefusesBadValues(t *testing.T) {
	ctx := context.Background()
	resp := &resource.ImportStateResponse{State: testState(ctx, nil), Identity: nullIdentity(ctx)}
	testIdentity.ImportByIdentity(ctx, importRequest(ctx, " ", "a/b"), resp)
	if resp.Diagnostics.ErrorsCount() != 2 {
		t.Fatalf("diagnostics = %v, want an error on each attribute", resp.Diagnostics)
	}
	for _, d := range resp.Diagnostics {
		if !strings.Contains(d.Detail(), "import {") {
			t.Errorf("%q does not show how to import", d.Detail())
		}
	}
	if !strings.Contains(resp.Diagnostics[1].Detail(), `identity.name "a/b" contains a slash`) {
		t.Errorf("detail = %q", resp.Diagnostics[1].Detail())
	}
}
