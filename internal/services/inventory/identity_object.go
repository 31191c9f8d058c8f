// Package inventory holds the system-agnostic data sources over every
// configured connector's inventory: nhi_identities and nhi_undeclared.
package inventory

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/nhi-ops/terraform-provider-nhi/internal/framework"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/system"
)

var credentialType = types.ObjectType{AttrTypes: map[string]attr.Type{
	"id":           types.StringType,
	"kind":         types.StringType,
	"created_at":   types.StringType,
	"expires_at":   types.StringType,
	"active":       types.BoolType,
	"last_used_at": types.StringType,
}}

var capabilityType = types.ObjectType{AttrTypes: map[string]attr.Type{
	"id":       types.StringType,
	"title":    types.StringType,
	"severity": types.StringType,
	"reach":    types.StringType,
	"path":     types.StringType,
	"why":      types.StringType,
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
	"capabilities":     types.ListType{ElemType: capabilityType},
}}

// identitiesAttribute documents the identity object both data sources
// return, from what the registered systems say about their kinds.
func identitiesAttribute(systems []framework.System, desc string) schema.ListNestedAttribute {
	str := func(d string) schema.StringAttribute {
		return schema.StringAttribute{Computed: true, MarkdownDescription: d}
	}
	strList := func(d string) schema.ListAttribute {
		return schema.ListAttribute{Computed: true, ElementType: types.StringType, MarkdownDescription: d}
	}
	var names, kinds, ids, credKinds, locations []string
	uids := map[string][]string{}
	var uidAttrs []string
	for _, s := range systems {
		names = append(names, s.Core.Name)
		var fixed []string
		locAttr := ""
		for _, k := range s.Core.Kinds {
			kinds = append(kinds, k.Kind)
			ids = append(ids, fmt.Sprintf("`%s` (`%s`)", idForm(k), k.ResourceType))
			if k.UIDAttr != "" {
				if _, seen := uids[k.UIDAttr]; !seen {
					uidAttrs = append(uidAttrs, k.UIDAttr)
				}
				uids[k.UIDAttr] = append(uids[k.UIDAttr], k.ResourceType)
			}
			if k.Location != "" {
				fixed = append(fixed, k.Location)
			} else if locAttr == "" {
				locAttr = k.LocationAttr
			}
		}
		for _, c := range s.Core.Credentials {
			credKinds = append(credKinds, c.Kind)
		}
		switch {
		case locAttr != "":
			locations = append(locations, s.Core.Title+" "+locAttr)
		case len(fixed) > 0:
			locations = append(locations, "for "+s.Core.Title+" identities "+codes(fixed, "or"))
		}
	}
	uidDocs := make([]string, len(uidAttrs))
	for i, a := range uidAttrs {
		uidDocs[i] = "the `" + a + "` of " + codes(uids[a], "and")
	}
	return schema.ListNestedAttribute{
		Computed:            true,
		MarkdownDescription: desc,
		NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
			"id":               str("The ID, which is the import ID of the resource that declares the identity: " + sentence(ids, "or") + "."),
			"system":           str("System the identity lives in: " + codes(names, "or") + "."),
			"kind":             str("Kind of identity: " + codes(kinds, "or") + "."),
			"uid":              str("The system's stable identifier: " + strings.Join(uidDocs, "; ") + "."),
			"namespace":        str(capitalize(strings.Join(locations, "; ")) + "."),
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
					"id":           str("The credential's ID in its system, such as `namespace/secret-name` for a token Secret or the key ID for an access key."),
					"kind":         str(codes(credKinds, "or") + "."),
					"created_at":   str("Creation time, RFC 3339."),
					"expires_at":   str("Expiry, when the credential has one."),
					"active":       schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether the credential is switched on (`false` for a deactivated key)."},
					"last_used_at": str("When it was last used, where the data source asks the system (null otherwise)."),
				}},
			},
			"capabilities": schema.ListNestedAttribute{
				Computed: true,
				MarkdownDescription: "Risky things the identity can do through its effective grants (directly or through the groups it belongs to), " +
					"one entry per capability and grant, sorted by `id`, from its system's catalog of risky capabilities (the drift rules guide lists them under NHI008): " +
					"reading Secrets, running code as other identities, impersonation, granting roles and the like. Empty for systems that do not resolve effective access; null when it could not be resolved because the provider's identity may not read the roles that grant it.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"id":       str("The capability's ID in its system's catalog, such as `secrets-read`."),
					"title":    str("What the identity can do, for people."),
					"severity": str("`critical`, `high`, `medium` or `low`; a grant of wide reach (a whole cluster or account) ranks above the same grant in one namespace or on named resources."),
					"reach":    str("Where the grant applies, in its system's terms: `cluster` or `namespace <name>`; `the account` or `the named resources`."),
					"path":     str("The grant it comes through, from binding to role to rule, such as `ClusterRoleBinding ci -> ClusterRole deployer -> rule get, list on secrets`, or from policy to statement to action and resource."),
					"why":      str("What the capability lets the identity do."),
				}},
			},
		}},
	}
}

// idForm is the ID of identities of a kind, for the documentation:
// "namespace/name", "user/name".
func idForm(k system.Kind) string {
	if k.Location != "" {
		return k.Location + "/" + k.NameAttr
	}
	return k.LocationAttr + "/" + k.NameAttr
}

// idForms are the ID forms of every kind: "`namespace/name`", "`user/name`".
func idForms(systems []framework.System) []string {
	var out []string
	for _, s := range systems {
		for _, k := range s.Core.Kinds {
			out = append(out, "`"+idForm(k)+"`")
		}
	}
	return out
}

// codes renders values as code in a sentence: "`a`, `b` or `c`".
func codes(values []string, conj string) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = "`" + v + "`"
	}
	return sentence(q, conj)
}

// sentence joins parts as a sentence does: "a, b and c".
func sentence(parts []string, conj string) string {
	if len(parts) <= 1 {
		return strings.Join(parts, "")
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " " + conj + " " + parts[len(parts)-1]
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
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
	capabilities := make([]attr.Value, 0, len(id.Capabilities))
	for _, c := range nhi.SortCapabilities(id.Capabilities) {
		capabilities = append(capabilities, types.ObjectValueMust(capabilityType.AttrTypes, map[string]attr.Value{
			"id": types.StringValue(c.ID), "title": types.StringValue(c.Title), "severity": types.StringValue(c.Severity),
			"reach": types.StringValue(c.Reach), "path": types.StringValue(c.Path), "why": types.StringValue(c.Why),
		}))
	}
	expires := types.StringNull()
	if !id.Governance.ExpiresAt.IsZero() {
		expires = types.StringValue(nhi.FormatTime(id.Governance.ExpiresAt))
	}
	status := types.StringNull()
	if id.Declared {
		status = types.StringValue(string(nhi.IdentityStatus(id, pd.Clock.Now(), pd.Policy.WarnBefore)))
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
		"capabilities":     capabilitiesValue(id, capabilities),
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

// locationFilter is what the data sources' namespace filters are: a
// system whose descriptor has another location filter (or none) is left out
// when one is set.
const locationFilter = "namespace"

// listAll lists every configured inventory with the given options.
// system, when set, keeps one system; a namespace in opts keeps the systems
// whose locations are namespaces.
func listAll(ctx context.Context, pd *framework.ProviderData, system string, opts nhi.ListOptions, diags *diag.Diagnostics) []nhi.Identity {
	// Leave out what the filters exclude before connecting to it.
	invs, err := pd.Inventories(ctx, func(name string) bool {
		if system != "" && name != system {
			return false
		}
		d, _ := pd.Systems.Get(name)
		return len(opts.Locations) == 0 || d.LocationFilter == locationFilter
	})
	if errors.Is(err, framework.ErrConfigUnknown) {
		diags.AddError("Provider configuration is not known yet", err.Error()+framework.UnknownConfigDetail)
		return nil
	}
	if err != nil {
		detail := err.Error()
		var ce *framework.ConnectorError
		if errors.As(err, &ce) && ce.Hint != "" {
			detail += "\n\n" + ce.Hint
		}
		diags.AddError("A connector is not configured", detail)
		return nil
	}
	var out []nhi.Identity
	for _, inv := range invs {
		if system != "" && inv.System() != system {
			continue
		}
		opts := opts
		if d, _ := pd.Systems.Get(inv.System()); len(opts.Locations) > 0 && d.LocationFilter != locationFilter {
			continue // namespaces mean nothing there
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
func systemAttribute(systems []framework.System) schema.StringAttribute {
	var names, located []string
	for _, s := range systems {
		names = append(names, s.Core.Name)
		if s.Core.LocationFilter == locationFilter {
			located = append(located, s.Core.Title)
		}
	}
	desc := "Only identities of this system: " + codes(names, "or") + ". Unset: the systems whose block the provider configuration has or, " +
		"when it has none, those listed without one (see the provider's blocks)."
	if len(located) > 0 {
		desc += " A namespace filter keeps " + sentence(located, "and") + " only."
	}
	return schema.StringAttribute{
		Optional:            true,
		MarkdownDescription: desc,
		Validators:          []validator.String{stringvalidator.OneOf(names...)},
	}
}

// namespaceValidators check a namespace filter as every system whose
// locations are namespaces would.
func namespaceValidators(systems []framework.System) []validator.String {
	var out []validator.String
	for _, s := range systems {
		if s.Core.LocationFilter == locationFilter && s.LocationValidator != nil {
			out = append(out, s.LocationValidator)
		}
	}
	return out
}

// capabilitiesValue is null when the capabilities could not be resolved
// (the provider's identity may not read the roles), not an empty list.
func capabilitiesValue(id nhi.Identity, caps []attr.Value) types.List {
	if id.CapabilitiesUnknown {
		return types.ListNull(capabilityType)
	}
	return types.ListValueMust(capabilityType, caps)
}
