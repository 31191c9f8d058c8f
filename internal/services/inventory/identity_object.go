// Package inventory holds the system-agnostic data sources over every
// configured connector's inventory: nhi_identities and nhi_undeclared.
package inventory

import (
	"context"
	"sort"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/nhi-ops/terraform-provider-nhi/internal/framework"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

var credentialType = types.ObjectType{AttrTypes: map[string]attr.Type{
	"id":         types.StringType,
	"kind":       types.StringType,
	"created_at": types.StringType,
	"expires_at": types.StringType,
}}

var identityType = types.ObjectType{AttrTypes: map[string]attr.Type{
	"id":               types.StringType,
	"system":           types.StringType,
	"kind":             types.StringType,
	"uid":              types.StringType,
	"namespace":        types.StringType,
	"name":             types.StringType,
	"declared":         types.BoolType,
	"owner":            types.StringType,
	"purpose":          types.StringType,
	"expires_at":       types.StringType,
	"status":           types.StringType,
	"scopes":           types.ListType{ElemType: types.StringType},
	"effective_scopes": types.ListType{ElemType: types.StringType},
	"labels":           types.MapType{ElemType: types.StringType},
	"created_at":       types.StringType,
	"credentials":      types.ListType{ElemType: credentialType},
}}

// identitiesAttribute documents the identity object both data sources return.
func identitiesAttribute(desc string) schema.ListNestedAttribute {
	str := func(d string) schema.StringAttribute {
		return schema.StringAttribute{Computed: true, MarkdownDescription: d}
	}
	strList := func(d string) schema.ListAttribute {
		return schema.ListAttribute{Computed: true, ElementType: types.StringType, MarkdownDescription: d}
	}
	return schema.ListNestedAttribute{
		Computed:            true,
		MarkdownDescription: desc,
		NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
			"id":               str("`namespace/name`: the import ID of `nhi_kubernetes_service_account`."),
			"system":           str("System the identity lives in: `kubernetes`."),
			"kind":             str("Kind of identity: `service_account`."),
			"uid":              str("The system's stable identifier."),
			"namespace":        str("Kubernetes namespace."),
			"name":             str("Name."),
			"declared":         schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether it carries the managed-by marker of this provider."},
			"owner":            str("Declared owner (empty when undeclared)."),
			"purpose":          str("Declared purpose (empty when undeclared)."),
			"expires_at":       str("Declared expiry, RFC 3339 (null when undeclared)."),
			"status":           str("For declared identities, `active`, `expiring`, `expired` or `disabled` as of the provider's evaluation time; null when undeclared."),
			"scopes":           strList("Declared scopes."),
			"effective_scopes": strList("Every grant the identity holds, declared or not, sorted."),
			"labels":           schema.MapAttribute{Computed: true, ElementType: types.StringType, MarkdownDescription: "Labels, without the provider's markers."},
			"created_at":       str("Creation time, RFC 3339."),
			"credentials": schema.ListNestedAttribute{
				Computed:            true,
				MarkdownDescription: "Long-lived credentials the identity holds, such as legacy service account token Secrets. Never their values.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"id":         str("`namespace/secret-name` for token Secrets."),
					"kind":       str("`legacy_service_account_token`."),
					"created_at": str("Creation time, RFC 3339."),
					"expires_at": str("Expiry, when the credential has one."),
				}},
			},
		}},
	}
}

// identityValue converts one identity to its Terraform object.
func identityValue(ctx context.Context, pd *framework.ProviderData, id nhi.Identity, diags *diag.Diagnostics) attr.Value {
	creds := make([]attr.Value, 0, len(id.Credentials))
	for _, c := range id.Credentials {
		exp := types.StringNull()
		if c.ExpiresAt != nil {
			exp = types.StringValue(nhi.FormatTime(*c.ExpiresAt))
		}
		creds = append(creds, types.ObjectValueMust(credentialType.AttrTypes, map[string]attr.Value{
			"id": types.StringValue(c.ID), "kind": types.StringValue(c.Kind),
			"created_at": types.StringValue(nhi.FormatTime(c.CreatedAt)), "expires_at": exp,
		}))
	}
	expires := types.StringNull()
	if !id.Governance.ExpiresAt.IsZero() {
		expires = types.StringValue(nhi.FormatTime(id.Governance.ExpiresAt))
	}
	status := types.StringNull()
	if id.Declared {
		status = types.StringValue(string(framework.ReadStatus(pd, id)))
	}
	labels, d := types.MapValueFrom(ctx, types.StringType, nonNil(id.Labels))
	diags.Append(d...)
	scopes, d := types.ListValueFrom(ctx, types.StringType, nhi.SortedUnique(id.Governance.Scopes))
	diags.Append(d...)
	eff, d := types.ListValueFrom(ctx, types.StringType, nhi.SortedUnique(id.EffectiveScopes))
	diags.Append(d...)
	v, d := types.ObjectValue(identityType.AttrTypes, map[string]attr.Value{
		"id":               types.StringValue(id.Ref.String()),
		"system":           types.StringValue(id.System),
		"kind":             types.StringValue(id.Kind),
		"uid":              types.StringValue(id.ID),
		"namespace":        types.StringValue(id.Ref.Location),
		"name":             types.StringValue(id.Ref.Name),
		"declared":         types.BoolValue(id.Declared),
		"owner":            types.StringValue(id.Governance.Owner),
		"purpose":          types.StringValue(id.Governance.Purpose),
		"expires_at":       expires,
		"status":           status,
		"scopes":           scopes,
		"effective_scopes": eff,
		"labels":           labels,
		"created_at":       types.StringValue(nhi.FormatTime(id.CreatedAt)),
		"credentials":      types.ListValueMust(credentialType, creds),
	})
	diags.Append(d...)
	return v
}

func identityList(ctx context.Context, pd *framework.ProviderData, ids []nhi.Identity, diags *diag.Diagnostics) types.List {
	sort.Slice(ids, func(i, j int) bool { return ids[i].Ref.String() < ids[j].Ref.String() })
	vals := make([]attr.Value, 0, len(ids))
	for _, id := range ids {
		vals = append(vals, identityValue(ctx, pd, id, diags))
	}
	return types.ListValueMust(identityType, vals)
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// listAll lists every configured inventory with the given options.
func listAll(ctx context.Context, pd *framework.ProviderData, opts nhi.ListOptions, diags *diag.Diagnostics) []nhi.Identity {
	invs, err := pd.Inventories()
	if err != nil {
		framework.KubernetesDiag(diags, err)
		return nil
	}
	var out []nhi.Identity
	for _, inv := range invs {
		ids, err := nhi.ListAll(ctx, inv, opts)
		if err != nil {
			diags.AddError("Listing "+inv.System()+" identities failed", err.Error())
			return nil
		}
		out = append(out, ids...)
	}
	return out
}
