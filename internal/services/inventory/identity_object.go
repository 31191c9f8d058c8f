// Package inventory holds the system-agnostic data sources over every
// configured connector's inventory: nhi_identities and nhi_undeclared.
package inventory

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/nhi-ops/terraform-provider-nhi/internal/framework"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

var credentialType = types.ObjectType{AttrTypes: map[string]attr.Type{
	"id":           types.StringType,
	"kind":         types.StringType,
	"created_at":   types.StringType,
	"expires_at":   types.StringType,
	"active":       types.BoolType,
	"last_used_at": types.StringType,
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
			"id":               str("`namespace/name` (the import ID of `nhi_kubernetes_service_account`), or `user/name` / `role/name` for AWS (the `id` of `nhi_aws_iam_user` / `nhi_aws_iam_role`)."),
			"system":           str("System the identity lives in: `kubernetes` or `aws`."),
			"kind":             str("Kind of identity: `service_account`, `iam_user` or `iam_role`."),
			"uid":              str("The system's stable identifier (Kubernetes UID, IAM unique ID)."),
			"namespace":        str("Kubernetes namespace; for AWS identities `user` or `role`."),
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
					"id":           str("`namespace/secret-name` for token Secrets; the access key ID for AWS access keys."),
					"kind":         str("`legacy_service_account_token` or `aws_access_key`."),
					"created_at":   str("Creation time, RFC 3339."),
					"expires_at":   str("Expiry, when the credential has one."),
					"active":       schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether the credential is switched on (an inactive AWS access key is `false`)."},
					"last_used_at": str("When it was last used, where the data source asks the system (null otherwise)."),
				}},
			},
		}},
	}
}

// identityValue converts one identity to its Terraform object.
func identityValue(ctx context.Context, pd *framework.ProviderData, id nhi.Identity, diags *diag.Diagnostics) attr.Value {
	creds := make([]attr.Value, 0, len(id.Credentials))
	for _, c := range id.Credentials {
		exp, lastUsed := types.StringNull(), types.StringNull()
		if c.ExpiresAt != nil {
			exp = types.StringValue(nhi.FormatTime(*c.ExpiresAt))
		}
		if c.LastUsedAt != nil {
			lastUsed = types.StringValue(nhi.FormatTime(*c.LastUsedAt))
		}
		creds = append(creds, types.ObjectValueMust(credentialType.AttrTypes, map[string]attr.Value{
			"id": types.StringValue(c.ID), "kind": types.StringValue(c.Kind),
			"created_at": types.StringValue(nhi.FormatTime(c.CreatedAt)), "expires_at": exp,
			"active": types.BoolValue(!c.Inactive), "last_used_at": lastUsed,
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
// system, when set, keeps one system; a namespace in opts keeps Kubernetes.
func listAll(ctx context.Context, pd *framework.ProviderData, system string, opts nhi.ListOptions, diags *diag.Diagnostics) []nhi.Identity {
	invs, err := pd.Inventories(ctx)
	if errors.Is(err, framework.ErrConfigUnknown) {
		diags.AddError("Provider configuration is not known yet", err.Error()+framework.UnknownConfigDetail)
		return nil
	}
	if err != nil {
		diags.AddError("A connector is not configured", fmt.Sprintf("%v\n\nConfigure the provider's kubernetes block (or KUBECONFIG) and, for AWS, its aws block.", err))
		return nil
	}
	var out []nhi.Identity
	for _, inv := range invs {
		if system != "" && inv.System() != system {
			continue
		}
		opts := opts
		if len(opts.Locations) > 0 && inv.System() != nhi.SystemKubernetes {
			continue // namespaces are Kubernetes'
		}
		ids, err := nhi.ListAll(ctx, inv, opts)
		if err != nil {
			diags.AddError("Listing "+inv.System()+" identities failed", err.Error())
			return nil
		}
		out = append(out, ids...)
	}
	return out
}

// systemAttribute is the optional filter on one system.
func systemAttribute() schema.StringAttribute {
	return schema.StringAttribute{
		Optional: true,
		MarkdownDescription: "Only identities of this system: `kubernetes` or `aws`. Unset: every configured system (Kubernetes unless only an `aws` block is configured; AWS when the provider has an `aws` block). " +
			"A namespace filter keeps Kubernetes only.",
		Validators: []validator.String{framework.OneOf(nhi.SystemKubernetes, nhi.SystemAWS)},
	}
}
