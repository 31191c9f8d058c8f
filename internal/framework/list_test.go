package framework

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/zclconf/go-cty/cty"

	"github.com/nhi-ops/terraform-provider-nhi/internal/clock"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/system"
)

// fakeInventory lists its identities as a connector does: filtered by
// location, declared and owner; opts records the last listing's options.
type fakeInventory struct {
	ids  []nhi.Identity
	opts nhi.ListOptions
}

func (f *fakeInventory) System() string { return "sys" }

func (f *fakeInventory) Get(context.Context, nhi.Ref) (nhi.Identity, error) {
	return nhi.Identity{}, nhi.ErrNotFound
}

func (f *fakeInventory) List(_ context.Context, opts nhi.ListOptions) (nhi.Page, error) {
	f.opts = opts
	var out []nhi.Identity
	for _, id := range f.ids {
		if len(opts.Locations) > 0 && !slices.Contains(opts.Locations, id.Ref.Location) ||
			opts.Declared != nil && id.Declared != *opts.Declared || opts.Owner != "" && id.Governance.Owner != opts.Owner {
			continue
		}
		out = append(out, id)
	}
	return nhi.Page{Identities: out}, nil
}

var listResourceSchema = schema.Schema{Attributes: map[string]schema.Attribute{
	"id":         schema.StringAttribute{Computed: true},
	"namespace":  schema.StringAttribute{Required: true},
	"name":       schema.StringAttribute{Required: true},
	"owner":      schema.StringAttribute{Required: true},
	"purpose":    schema.StringAttribute{Required: true},
	"expires_at": schema.StringAttribute{Optional: true, CustomType: ExpiryType{}},
	"scopes":     schema.SetAttribute{Required: true, ElementType: types.StringType},
	"labels":     schema.MapAttribute{Optional: true, ElementType: types.StringType},
	"automount":  schema.BoolAttribute{Optional: true},
}}

type listModel struct {
	ID        types.String `tfsdk:"id"`
	Namespace types.String `tfsdk:"namespace"`
	Name      types.String `tfsdk:"name"`
	Owner     types.String `tfsdk:"owner"`
	Purpose   types.String `tfsdk:"purpose"`
	ExpiresAt ExpiryValue  `tfsdk:"expires_at"`
	Scopes    types.Set    `tfsdk:"scopes"`
	Labels    types.Map    `tfsdk:"labels"`
	Automount types.Bool   `tfsdk:"automount"`
}

func listFixture() (*listResource, *fakeInventory) {
	yes := true
	inv := &fakeInventory{ids: []nhi.Identity{
		{System: "sys", Kind: "acct", Ref: nhi.Ref{Location: "team-a", Name: "web"}, Declared: true,
			Governance:  nhi.Governance{Owner: "team:web", Purpose: "serves"},
			Credentials: []nhi.Credential{{ID: "team-a/web-key", Kind: "key", Declared: true, Owner: "team:keys"}}},
		{System: "sys", Kind: "acct", Ref: nhi.Ref{Location: "team-a", Name: "old"}, AutomountToken: &yes,
			EffectiveScopes: []string{"role:view", "owner:db"}, Labels: map[string]string{"app": "old"},
			Credentials: []nhi.Credential{{ID: "team-a/old-key", Kind: "key"}}},
		{System: "sys", Kind: "acct", Ref: nhi.Ref{Location: "kube-system", Name: "controller"},
			Credentials: []nhi.Credential{{ID: "kube-system/controller-key", Kind: "key"}}},
		{System: "sys", Kind: "other", Ref: nhi.Ref{Location: "team-a", Name: "not-listed"}},
	}}
	reg := system.NewRegistry(system.Descriptor{
		Name: "sys", Title: "Sys", ReadOnlyScopes: []string{"owner:*"},
		Kinds: []system.Kind{{Kind: "acct", Label: "account", ResourceType: "nhi_sys_account", LocationAttr: "namespace", NameAttr: "name",
			Adopt: system.Adoption{
				Head: func(b *hclwrite.Body, id nhi.Identity) {
					b.SetAttributeValue("namespace", cty.StringVal(id.Ref.Location))
					b.SetAttributeValue("name", cty.StringVal(id.Ref.Name))
				},
				Tail: func(b *hclwrite.Body, id nhi.Identity) {
					b.SetAttributeValue("automount", cty.BoolVal(*id.AutomountToken))
				},
				LabelsAttr: "labels",
			}}},
		Credentials: []system.CredentialKind{{Kind: "key", Label: "key"}},
		Exclusions:  []system.Exclusion{{Reason: "system", Match: func(id nhi.Identity) bool { return id.Ref.Location == "kube-system" }}},
	})
	conn := &Lazy[*fakeInventory]{Name: "sys", Title: "Sys", Block: true, Build: func(context.Context) (*fakeInventory, error) { return inv, nil }}
	pd := NewProviderData(clock.Fixed(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)), nhi.DefaultPolicy(), "nhi.dev", reg, conn)
	k := ListKind{
		System: "sys", Kind: "acct",
		Identity: Identity{TypeName: "nhi_sys_account", Attrs: []IdentityAttr{{Name: "namespace"}, {Name: "name"}}},
		Location: &ListLocation{Attr: "namespace"},
		Values:   func(it ListItem) []string { return []string{it.Identity.Ref.Location, it.Identity.Ref.Name} },
		Resource: func(ctx context.Context, _ *ProviderData, it ListItem, res *tfsdk.Resource) diag.Diagnostics {
			var m listModel
			diags := res.Get(ctx, &m)
			m.ID = types.StringValue(it.Identity.Ref.String())
			m.Namespace, m.Name = types.StringValue(it.Identity.Ref.Location), types.StringValue(it.Identity.Ref.Name)
			m.Owner, m.Purpose = types.StringValue(it.Identity.Governance.Owner), types.StringValue(it.Identity.Governance.Purpose)
			m.Scopes = StringSet(it.Identity.EffectiveScopes)
			diags.Append(res.Set(ctx, &m)...)
			return diags
		},
	}
	return &listResource{k: k, pd: pd}, inv
}

type listed struct {
	ident, display string
	res            *tfsdk.Resource
}

func runList(t *testing.T, l *listResource, cfg map[string]tftypes.Value, include bool, limit int64) []listed {
	t.Helper()
	ctx := context.Background()
	var sresp list.ListResourceSchemaResponse
	l.ListResourceConfigSchema(ctx, list.ListResourceSchemaRequest{}, &sresp)
	typ := sresp.Schema.Type().TerraformType(ctx).(tftypes.Object)
	vals := map[string]tftypes.Value{}
	for name, at := range typ.AttributeTypes {
		vals[name] = tftypes.NewValue(at, nil)
		if v, ok := cfg[name]; ok {
			vals[name] = v
		}
	}
	req := list.ListRequest{
		Config:          tfsdk.Config{Schema: sresp.Schema, Raw: tftypes.NewValue(typ, vals)},
		IncludeResource: include, Limit: limit,
		ResourceSchema: listResourceSchema, ResourceIdentitySchema: l.k.Identity.Schema(),
	}
	var stream list.ListResultsStream
	l.List(ctx, req, &stream)
	var out []listed
	for r := range stream.Results {
		if r.Diagnostics.HasError() {
			t.Fatalf("list: %v", r.Diagnostics)
		}
		var ns, name string
		r.Identity.GetAttribute(ctx, path.Root("namespace"), &ns)
		r.Identity.GetAttribute(ctx, path.Root("name"), &name)
		out = append(out, listed{ident: ns + "/" + name, display: r.DisplayName, res: r.Resource})
	}
	return out
}

func idents(ls []listed) string {
	var s []string
	for _, l := range ls {
		s = append(s, l.ident)
	}
	return strings.Join(s, ",")
}

func TestListFilters(t *testing.T) {
	l, inv := listFixture()
	str := func(s string) tftypes.Value { return tftypes.NewValue(tftypes.String, s) }
	boolean := func(b bool) tftypes.Value { return tftypes.NewValue(tftypes.Bool, b) }
	for _, c := range []struct {
		name string
		cfg  map[string]tftypes.Value
		want string
	}{
		// Sorted by identity; the system's own are left out, and other
		// kinds never listed.
		{"all", nil, "team-a/old,team-a/web"},
		{"include_system", map[string]tftypes.Value{"include_system": boolean(true)}, "kube-system/controller,team-a/old,team-a/web"},
		{"undeclared", map[string]tftypes.Value{"declared": boolean(false)}, "team-a/old"},
		{"declared", map[string]tftypes.Value{"declared": boolean(true)}, "team-a/web"},
		{"owner", map[string]tftypes.Value{"owner": str("team:web")}, "team-a/web"},
		{"namespace", map[string]tftypes.Value{"namespace": str("kube-system"), "include_system": boolean(true)}, "kube-system/controller"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := idents(runList(t, l, c.cfg, false, 0)); got != c.want {
				t.Errorf("listed %s, want %s", got, c.want)
			}
		})
	}
	runList(t, l, map[string]tftypes.Value{"namespace": str("team-a")}, false, 0)
	if !slices.Equal(inv.opts.Locations, []string{"team-a"}) {
		t.Errorf("the namespace filter was not passed to the inventory: %+v", inv.opts)
	}
	// The limit keeps the first results in sort order.
	if got := runList(t, l, nil, false, 1); idents(got) != "team-a/old" {
		t.Errorf("Limit 1 listed %s, want team-a/old", idents(got))
	}
}

// An unknown filter value is refused on its attribute, never read as unset
// (which would list everything).
func TestListUnknownFilter(t *testing.T) {
	ctx := context.Background()
	for name, typ := range map[string]tftypes.Type{"declared": tftypes.Bool, "owner": tftypes.String, "include_system": tftypes.Bool, "namespace": tftypes.String} {
		t.Run(name, func(t *testing.T) {
			l, _ := listFixture()
			var sresp list.ListResourceSchemaResponse
			l.ListResourceConfigSchema(ctx, list.ListResourceSchemaRequest{}, &sresp)
			obj := sresp.Schema.Type().TerraformType(ctx).(tftypes.Object)
			vals := map[string]tftypes.Value{}
			for n, at := range obj.AttributeTypes {
				vals[n] = tftypes.NewValue(at, nil)
			}
			vals[name] = tftypes.NewValue(typ, tftypes.UnknownValue)
			req := list.ListRequest{Config: tfsdk.Config{Schema: sresp.Schema, Raw: tftypes.NewValue(obj, vals)},
				ResourceSchema: listResourceSchema, ResourceIdentitySchema: l.k.Identity.Schema()}
			var stream list.ListResultsStream
			l.List(ctx, req, &stream)
			var diags diag.Diagnostics
			n := 0
			for r := range stream.Results {
				n++
				diags.Append(r.Diagnostics...)
			}
			if n != 1 || !diags.HasError() {
				t.Fatalf("%d results, diagnostics %v; want only an error", n, diags)
			}
			d, ok := diags.Errors()[0].(diag.DiagnosticWithPath)
			if !ok || !d.Path().Equal(path.Root(name)) || d.Summary() != "Unknown list filter" || !strings.Contains(d.Detail(), name+" is not known yet") {
				t.Errorf("diagnostic %v, want Unknown list filter on %s", diags.Errors()[0], name)
			}
		})
	}
}

// An adoption value the resource schema lacks is an error, not dropped.
func TestSetAdoptionRefusesAttributesTheSchemaLacks(t *testing.T) {
	ctx := context.Background()
	res := &tfsdk.Resource{Schema: listResourceSchema}
	obj := listResourceSchema.Type().TerraformType(ctx).(tftypes.Object)
	vals := map[string]tftypes.Value{}
	for n, at := range obj.AttributeTypes {
		vals[n] = tftypes.NewValue(at, nil)
	}
	res.Raw = tftypes.NewValue(obj, vals)
	var diags diag.Diagnostics
	SetAdoption(ctx, res, map[string]cty.Value{"automount": cty.True, "allow_legacy_tokens": cty.True}, &diags)
	if !diags.HasError() || !strings.Contains(diagsText(diags), "sets allow_legacy_tokens, which the resource's schema does not have") {
		t.Errorf("diagnostics %v; want an error naming allow_legacy_tokens", diags)
	}
	var automount types.Bool
	res.GetAttribute(ctx, path.Root("automount"), &automount)
	if !automount.ValueBool() {
		t.Errorf("automount %v: the attributes the schema has are still set", automount)
	}
}

func diagsText(d diag.Diagnostics) string {
	var b strings.Builder
	for _, x := range d {
		b.WriteString(x.Summary() + ": " + x.Detail() + "\n")
	}
	return b.String()
}

func TestListDisplayNameAndAdoption(t *testing.T) {
	l, _ := listFixture()
	ctx := context.Background()
	got := runList(t, l, nil, true, 0)
	if len(got) != 2 || got[0].display != "account team-a/old (undeclared)" || got[1].display != "account team-a/web (owner team:web)" {
		t.Fatalf("results %+v", got)
	}
	var adopted, declared listModel
	if d := got[0].res.Get(ctx, &adopted); d.HasError() {
		t.Fatal(d)
	}
	var scopes []string
	adopted.Scopes.ElementsAs(ctx, &scopes, false)
	if adopted.Owner.ValueString() != "FILL-IN: the person or team responsible" || adopted.Purpose.ValueString() != "FILL-IN: why this identity exists" ||
		adopted.ExpiresAt.ValueString() != "FILL-IN: YYYY-MM-DD" || !adopted.Automount.ValueBool() ||
		strings.Join(scopes, ",") != "role:view" || adopted.Labels.Elements()["app"].String() != `"old"` || adopted.ID.ValueString() != "team-a/old" {
		t.Errorf("the undeclared result's resource is not the adoption --generate-imports writes: %+v", adopted)
	}
	if d := got[1].res.Get(ctx, &declared); d.HasError() {
		t.Fatal(d)
	}
	if declared.Owner.ValueString() != "team:web" || !declared.Automount.IsNull() {
		t.Errorf("a declared result's resource is not as read: %+v", declared)
	}
}

// A credential list filters on the credential's own markers.
func TestListCredentials(t *testing.T) {
	l, _ := listFixture()
	l.k.Credential = "key"
	l.k.Values = func(it ListItem) []string { return strings.SplitN(it.Credential.ID, "/", 2) }
	l.k.Resource = nil
	got := runList(t, l, map[string]tftypes.Value{"owner": tftypes.NewValue(tftypes.String, "team:keys")}, false, 0)
	if idents(got) != "team-a/web-key" || got[0].display != "key team-a/web-key of account team-a/web (owner team:keys)" {
		t.Errorf("results %+v", got)
	}
	// A long-lived credential is listed even when its identity is one the
	// system's exclusions leave out (a controller's, an unused default
	// account's): the exclusions are about identities nobody needs to declare.
	got = runList(t, l, map[string]tftypes.Value{"declared": tftypes.NewValue(tftypes.Bool, false)}, false, 0)
	if idents(got) != "kube-system/controller-key,team-a/old-key" {
		t.Errorf("undeclared keys %s", idents(got))
	}
}
