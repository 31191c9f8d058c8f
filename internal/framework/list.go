package framework

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	lschema "github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/zclconf/go-cty/cty"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/system"
)

// This file is the one list resource implementation (Terraform 1.14+,
// `terraform query`) every governed resource type shares: it lists the
// system's inventory (nhi.Inventory, as nhi_identities does), filters it by
// location, declared and owner, leaves out the system's own identities
// unless asked (as nhi_undeclared does), and answers each result with its
// identity, a display name and, with include_resource, the full resource.
// An undeclared identity's resource carries what `drift --generate-imports`
// writes for it (system.AdoptionValues): `terraform query
// -generate-config-out` then writes the same block, with FILL-IN
// placeholders the validators refuse. A system supplies only what differs
// (ListKind).

// ListKind is what one resource type's list resource needs from its system.
type ListKind struct {
	// System is the system's name (Core.Name), whose connector lists.
	System string
	// Kind is the identity kind listed (nhi.Identity.Kind).
	Kind string
	// Credential, when set, lists the credentials of this kind that the
	// identities of Kind hold, instead of the identities.
	Credential string
	// Identity is the resource type's identity (TypeName names the type).
	Identity Identity
	// Inventory, when set, is the inventory the list reads instead of the
	// connector's whole one (a kind a system can list on its own, with
	// fewer reads and permissions than a full inventory needs).
	Inventory func(ctx context.Context, inv nhi.Inventory) nhi.Inventory
	// Location is the system's location filter attribute, if it has one.
	Location *ListLocation
	// Values are the identity's values of a result, in Identity.Attrs
	// order.
	Values func(ListItem) []string
	// Declared and Owner say whether a result is governed by this
	// provider and by whom; nil means the listed object's own markers (the
	// credential's when Credential is set, else the identity's).
	Declared func(ListItem) bool
	Owner    func(ListItem) string
	// Govern, when set, settles the governance of a query's credential
	// results before they are filtered, for credentials whose markers are
	// not on them (an access key, governed when its delivery Secret
	// records it): it may set each item's Credential.Declared and Owner,
	// which Declared and Owner nil then read. Called once per query with
	// every result of the location filter.
	Govern func(ctx context.Context, pd *ProviderData, items []ListItem, diags *diag.Diagnostics)
	// Resource fills the full resource object of a result, as a Read after
	// an import would; it may read the system. res holds every attribute
	// null: Get the model from it, fill it and Set it. For an undeclared result
	// the shared code then sets what adopting it declares.
	Resource func(ctx context.Context, pd *ProviderData, it ListItem, res *tfsdk.Resource) diag.Diagnostics
	// Description is the list resource's documentation (what it lists).
	Description string
	// DeclaredDoc says, for the `declared` filter's documentation, what
	// makes a result governed when it is not the listed object's own
	// markers ("its user is declared and ..."); empty for the default.
	DeclaredDoc string
}

// ListLocation is a system's location filter of a list resource.
type ListLocation struct {
	// Attr is the filter attribute ("namespace", "path").
	Attr        string
	Description string
	Validators  []validator.String
	// Match filters the listed identities in memory (an IAM path
	// prefix); nil passes the value to the inventory as the location
	// (nhi.ListOptions.Locations).
	Match func(id nhi.Identity, value string) bool
}

// ListItem is one result: an identity, or a credential it holds.
type ListItem struct {
	Identity   nhi.Identity
	Credential *nhi.Credential
}

func (k ListKind) declared(it ListItem) bool {
	switch {
	case k.Declared != nil:
		return k.Declared(it)
	case it.Credential != nil:
		return it.Credential.Declared
	}
	return it.Identity.Declared
}

func (k ListKind) owner(it ListItem) string {
	switch {
	case k.Owner != nil:
		return k.Owner(it)
	case it.Credential != nil:
		return it.Credential.Owner
	}
	return it.Identity.Governance.Owner
}

// NewList returns the factory of the list resource of k.
func NewList(k ListKind) func() list.ListResource {
	return func() list.ListResource { return &listResource{k: k} }
}

type listResource struct {
	k  ListKind
	pd *ProviderData
}

var (
	_ list.ListResource              = &listResource{}
	_ list.ListResourceWithConfigure = &listResource{}
)

func (l *listResource) Metadata(_ context.Context, _ resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = l.k.Identity.TypeName
}

func (l *listResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	l.pd = ProviderDataFrom(req.ProviderData, &resp.Diagnostics)
}

func (l *listResource) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	what := "identities"
	if l.k.Credential != "" {
		what = "credentials"
	}
	rule := l.k.DeclaredDoc
	if rule == "" {
		rule = "they carry this provider's governance markers, as the `declared` of `nhi_identities` reports"
	}
	attrs := map[string]lschema.Attribute{
		"declared": lschema.BoolAttribute{Optional: true, MarkdownDescription: "`true`: only " + what + " this provider governs (" + rule + "); " +
			"`false`: only those nobody declared, ready for `terraform query -generate-config-out`. Unset: both. Must be known when the query runs."},
		"owner": lschema.StringAttribute{Optional: true, MarkdownDescription: "Only " + what + " with this owner.",
			Validators: []validator.String{NotBlank("owner")}},
		"include_system": lschema.BoolAttribute{Optional: true, MarkdownDescription: "List the system's own identities too (those `nhi_undeclared` leaves out by default, " +
			"such as a namespace's unused `default` service account). Default `false`."},
	}
	if loc := l.k.Location; loc != nil {
		attrs[loc.Attr] = lschema.StringAttribute{Optional: true, MarkdownDescription: loc.Description, Validators: loc.Validators}
	}
	resp.Schema = lschema.Schema{
		MarkdownDescription: l.k.Description + " Each result's display name says whether it is declared and by whom. " +
			"With `include_resource` (and with `terraform query -generate-config-out`), an undeclared one's resource is what adopting it declares: " +
			"its current grants and settings, and `" + nhi.Placeholder + "` placeholders for its owner, purpose and expiry that a plan refuses until a person fills them in, " +
			"the block `drift --generate-imports` writes.",
		Attributes: attrs,
	}
}

type listQuery struct {
	location      string
	declared      *bool
	owner         string
	includeSystem bool
}

func (l *listResource) query(ctx context.Context, cfg tfsdk.Config, diags *diag.Diagnostics) listQuery {
	var q listQuery
	var declared, includeSystem types.Bool
	var owner, location types.String
	diags.Append(cfg.GetAttribute(ctx, path.Root("declared"), &declared)...)
	diags.Append(cfg.GetAttribute(ctx, path.Root("owner"), &owner)...)
	diags.Append(cfg.GetAttribute(ctx, path.Root("include_system"), &includeSystem)...)
	filters := map[string]attr.Value{"declared": declared, "owner": owner, "include_system": includeSystem}
	if loc := l.k.Location; loc != nil {
		diags.Append(cfg.GetAttribute(ctx, path.Root(loc.Attr), &location)...)
		filters[loc.Attr] = location
	}
	if diags.HasError() {
		return q
	}
	// An unknown filter would list more than asked for: refuse it.
	for _, name := range nhi.SortedKeys(filters) {
		if filters[name].IsUnknown() {
			diags.AddAttributeError(path.Root(name), "Unknown list filter",
				name+" is not known yet, and a list block's config must be known when `terraform query` runs, or the listing would ignore the filter. "+
					"Use a literal, a variable or a local, not a value computed by a resource.")
		}
	}
	if diags.HasError() {
		return q
	}
	if !declared.IsNull() {
		v := declared.ValueBool()
		q.declared = &v
	}
	q.location = location.ValueString()
	q.owner = owner.ValueString()
	q.includeSystem = includeSystem.ValueBool()
	return q
}

func (l *listResource) List(ctx context.Context, req list.ListRequest, stream *list.ListResultsStream) {
	var diags diag.Diagnostics
	q := l.query(ctx, req.Config, &diags)
	var items []ListItem
	if !diags.HasError() {
		items = l.items(ctx, q, &diags)
	}
	if diags.HasError() {
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	if req.Limit > 0 && int64(len(items)) > req.Limit {
		items = items[:req.Limit]
	}
	stream.Results = func(push func(list.ListResult) bool) {
		for _, it := range items {
			res := req.NewListResult(ctx)
			res.Diagnostics.Append(diags...)
			diags = nil
			l.k.Identity.Set(ctx, res.Identity, l.k.Values(it), &res.Diagnostics)
			res.DisplayName = l.displayName(it)
			if req.IncludeResource {
				l.resource(ctx, it, res.Resource, &res.Diagnostics)
			}
			if !push(res) {
				return
			}
		}
	}
}

// items lists the results the query asks for, sorted by identity.
func (l *listResource) items(ctx context.Context, q listQuery, diags *diag.Diagnostics) []ListItem {
	if l.pd == nil {
		diags.AddError("Provider not configured", "The provider's configuration was not received before the query; this is a bug in the provider, please report it.")
		return nil
	}
	conn := l.pd.Connector(l.k.System)
	title := l.k.System
	d, _ := l.pd.Systems.Get(l.k.System)
	if d.Title != "" {
		title = d.Title
	}
	if conn == nil {
		diags.AddError("The provider has no "+title+" connector", "Listing "+l.k.Identity.TypeName+" needs the provider's "+l.k.System+" block.")
		return nil
	}
	inv, err := conn.Inventory(ctx)
	switch {
	case errors.Is(err, ErrConfigUnknown):
		diags.AddError(title+" connection is not known yet", err.Error()+UnknownConfigDetail)
		return nil
	case err != nil:
		diags.AddError(title+" connection is not configured", fmt.Sprintf("%v\n\n%s", err, conn.ConfigHint()))
		return nil
	}
	if l.k.Inventory != nil {
		inv = l.k.Inventory(ctx, inv)
	}
	opts := nhi.ListOptions{}
	if k, ok := l.pd.Systems.Kind(l.k.System, l.k.Kind); ok && k.Location != "" {
		opts.Locations = []string{k.Location}
	}
	if loc := l.k.Location; loc != nil && loc.Match == nil && q.location != "" {
		opts.Locations = []string{q.location}
	}
	if l.k.Credential == "" {
		// The identities' own markers: let the inventory filter.
		opts.Declared, opts.Owner = q.declared, q.owner
	}
	ids, err := nhi.ListAll(ctx, inv, opts)
	if err != nil {
		diags.AddError("Listing "+title+" identities failed", err.Error())
		return nil
	}
	var cands []ListItem
	for _, id := range ids {
		if id.Kind != l.k.Kind {
			continue
		}
		if loc := l.k.Location; loc != nil && loc.Match != nil && q.location != "" && !loc.Match(id, q.location) {
			continue
		}
		if l.k.Credential == "" {
			cands = append(cands, ListItem{Identity: id})
			continue
		}
		for i := range id.Credentials {
			if id.Credentials[i].Kind == l.k.Credential {
				cands = append(cands, ListItem{Identity: id, Credential: &id.Credentials[i]})
			}
		}
	}
	if l.k.Govern != nil && len(cands) > 0 {
		if l.k.Govern(ctx, l.pd, cands, diags); diags.HasError() {
			return nil
		}
	}
	var out []ListItem
	for _, it := range cands {
		dec := l.k.declared(it)
		if q.declared != nil && dec != *q.declared {
			continue
		}
		if q.owner != "" && l.k.owner(it) != q.owner {
			continue
		}
		// What nhi_undeclared leaves out by default (a system's own
		// identities) is left out here too; a credential is not: a
		// long-lived token of an unused default account is still a
		// credential somebody can use.
		if !dec && !q.includeSystem && it.Credential == nil && l.pd.Systems.Exclusion(it.Identity) != "" {
			continue
		}
		out = append(out, it)
	}
	sort.SliceStable(out, func(i, j int) bool {
		return strings.Join(l.k.Values(out[i]), "\x00") < strings.Join(l.k.Values(out[j]), "\x00")
	})
	return out
}

// displayName is "<label> <reference> (<owner or undeclared>)".
func (l *listResource) displayName(it ListItem) string {
	reg := l.pd.Systems
	name := reg.KindLabel(it.Identity.Kind) + " " + it.Identity.Ref.String()
	if it.Credential != nil {
		name = reg.CredentialLabel(it.Credential.Kind) + " " + it.Credential.ID + " of " + name
	}
	switch owner := l.k.owner(it); {
	case !l.k.declared(it):
		return name + " (undeclared)"
	case owner != "":
		return name + " (owner " + owner + ")"
	}
	return name
}

// resource fills the full resource of a result; an undeclared one gets
// what adopting it declares.
func (l *listResource) resource(ctx context.Context, it ListItem, res *tfsdk.Resource, diags *diag.Diagnostics) {
	if l.k.Resource == nil {
		return
	}
	// Every attribute null, so that the system's Resource can Get its
	// model from res and fill it.
	if obj, ok := res.Schema.Type().TerraformType(ctx).(tftypes.Object); ok {
		vals := make(map[string]tftypes.Value, len(obj.AttributeTypes))
		for name, t := range obj.AttributeTypes {
			vals[name] = tftypes.NewValue(t, nil)
		}
		res.Raw = tftypes.NewValue(obj, vals)
	}
	diags.Append(l.k.Resource(ctx, l.pd, it, res)...)
	if diags.HasError() || l.k.declared(it) {
		return
	}
	vals := map[string]cty.Value{}
	if it.Credential == nil {
		d, _ := l.pd.Systems.Get(l.k.System)
		k, _ := l.pd.Systems.Kind(l.k.System, l.k.Kind)
		av, err := system.AdoptionValues(d, k, it.Identity)
		if err != nil {
			diags.AddError("Writing the adoption of "+it.Identity.Ref.String()+" failed", err.Error()+"\n\nThis is a bug in the provider, please report it.")
			return
		}
		vals = av
	} else {
		// A credential's resource has the placeholders it has (an access
		// key has no owner of its own); its Resource wrote the rest.
		for _, p := range system.Placeholders {
			if _, d := res.Schema.AttributeAtPath(ctx, path.Root(p.Attr)); !d.HasError() {
				vals[p.Attr] = cty.StringVal(p.Value)
			}
		}
	}
	SetAdoption(ctx, res, vals, diags)
}

// SetAdoption sets the attributes of vals in res to those values: strings,
// bools, lists of strings and maps of strings, as system.AdoptionValues
// returns them. An attribute res's schema lacks is an error (the adoption
// and the resource schema disagree, a bug), never silently dropped: the
// generated block would lose a setting, and the adopting apply change it.
func SetAdoption(ctx context.Context, res *tfsdk.Resource, vals map[string]cty.Value, diags *diag.Diagnostics) {
	for _, name := range nhi.SortedKeys(vals) {
		p := path.Root(name)
		if _, d := res.Schema.AttributeAtPath(ctx, p); d.HasError() {
			diags.AddAttributeError(p, "Writing the adoption failed",
				"the adoption sets "+name+", which the resource's schema does not have, so the generated block would lose it; this is a bug in the provider, please report it.")
			continue
		}
		v, err := goValue(vals[name])
		if err != nil {
			diags.AddAttributeError(p, "Writing the adoption failed", name+" "+err.Error()+"; this is a bug in the provider, please report it.")
			continue
		}
		// An object attribute (a delivery Secret's namespace and name)
		// takes the map as an object of strings.
		if m, ok := v.(map[string]string); ok {
			if a, d := res.Schema.AttributeAtPath(ctx, p); !d.HasError() {
				if ot, isObj := a.GetType().(basetypes.ObjectType); isObj {
					attrs := make(map[string]attr.Value, len(m))
					for k, s := range m {
						attrs[k] = types.StringValue(s)
					}
					obj, d := types.ObjectValue(ot.AttrTypes, attrs)
					diags.Append(d...)
					v = obj
				}
			}
		}
		diags.Append(res.SetAttribute(ctx, p, v)...)
	}
}

// goValue converts a generated attribute's value for tfsdk.
func goValue(v cty.Value) (any, error) {
	t := v.Type()
	switch {
	case v.IsNull():
		return nil, fmt.Errorf("is null")
	case t == cty.String:
		return v.AsString(), nil
	case t == cty.Bool:
		return v.True(), nil
	case t.IsListType() || t.IsSetType() || t.IsTupleType():
		out := []string{}
		for it := v.ElementIterator(); it.Next(); {
			_, el := it.Element()
			if el.IsNull() || el.Type() != cty.String {
				return nil, fmt.Errorf("is not a list of strings")
			}
			out = append(out, el.AsString())
		}
		return out, nil
	case t.IsMapType() || t.IsObjectType():
		out := map[string]string{}
		for it := v.ElementIterator(); it.Next(); {
			k, el := it.Element()
			if el.IsNull() || el.Type() != cty.String {
				return nil, fmt.Errorf("is not a map of strings")
			}
			out[k.AsString()] = el.AsString()
		}
		return out, nil
	}
	return nil, fmt.Errorf("has type %s", t.FriendlyName())
}
