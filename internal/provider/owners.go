package provider

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/nhi-ops/terraform-provider-nhi/internal/framework"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/owners"
	"github.com/nhi-ops/terraform-provider-nhi/internal/owners/ldap"
)

// ownersBlock is the provider's owners block: where people and teams come
// and go, checked at plan time (policy.owner_must_exist).
func ownersBlock() schema.SingleNestedBlock {
	str := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{Optional: true, MarkdownDescription: desc}
	}
	return schema.SingleNestedBlock{
		MarkdownDescription: "The owner directory plans check every `owner` against: an owners file, or an LDAP directory (OpenLDAP, Active Directory, FreeIPA). " +
			"A new identity (or a changed `owner`) whose owner is not an active person or team is refused; an existing identity whose owner has left warns on every plan " +
			"(fails with `policy.owner_must_exist = \"error\"`), and is never disabled or destroyed for it. A directory that cannot be read fails the plan. " +
			"The directory is read at most once per owner in one Terraform command. See the guide \"When someone leaves\".",
		Attributes: map[string]schema.Attribute{
			"file": str("Path of an owners file: one person or team per line, `#` starts a comment. Everyone listed is an active owner. " +
				"Relative paths are relative to the directory Terraform runs in (use `\"${path.module}/owners.txt\"`). Conflicts with `ldap`."),
		},
		Blocks: map[string]schema.Block{
			"ldap": schema.SingleNestedBlock{
				MarkdownDescription: "An LDAP directory. A person is an entry under `base_dn` matching `user_filter` whose `user_attributes` hold the owner; it is active unless it also matches `disabled_filter`. " +
					"A team (`team:<name>`, or a bare name that is no person's) is a group under `group_base_dn` matching `group_filter` whose `group_name_attribute` is the name; " +
					"it is active when a member (`member`, `uniqueMember`; nested groups followed) is an active person.",
				Attributes: map[string]schema.Attribute{
					"url": str("`ldaps://host[:636]`, or `ldap://host[:389]` (with `start_tls`). Scheme, host and port only: no DN, search or credentials (a URL with `user:password@` is refused; use `bind_dn` and `bind_password`). Required."),
					"start_tls": schema.BoolAttribute{Optional: true,
						MarkdownDescription: "Upgrade the `ldap://` connection with StartTLS before binding. Default `false`. An `ldap://` URL with `bind_dn` needs it (or use `ldaps://`): a password bind in clear text is refused. Only an anonymous bind may use plain `ldap://`."},
					"ca_certificate": str("PEM of the CA certificates that sign the directory's certificate, for `ldaps://` and StartTLS. Default: the system's trust store."),
					"bind_dn":        str("DN to bind as, a read-only account (`cn=nhi-reader,ou=services,dc=example,dc=com`, or an Active Directory `CN=...` DN). Both this and `bind_password` empty: an anonymous bind."),
					"bind_password": schema.StringAttribute{Optional: true, Sensitive: true,
						MarkdownDescription: "Password of `bind_dn`. Defaults to the `" + ldap.EnvBindPassword + "` environment variable; prefer that to a value in the configuration."},
					"base_dn":              str("DN under which people are searched (subtree). Required."),
					"user_attributes":      schema.ListAttribute{Optional: true, ElementType: types.StringType, MarkdownDescription: "Attributes that find a person by owner, any of them matching (case-insensitive), such as `[\"mail\", \"uid\"]` or Active Directory's `[\"mail\", \"userPrincipalName\", \"sAMAccountName\"]`. The first with a value names a suggested successor. Default `[\"mail\", \"uid\"]`."},
					"user_filter":          str("LDAP filter that selects people. Default `" + ldap.DefaultUserFilter + "`; Active Directory: `(&(objectCategory=person)(objectClass=user))`."),
					"disabled_filter":      str("LDAP filter that selects people who left, among `user_filter`'s: OpenLDAP with HR provisioning, such as `" + ldap.OpenLDAPDepartedFilter + "`; Active Directory's disabled accounts, `" + ldap.ActiveDirectoryDisabledFilter + "`. Default: none (everyone found is active)."),
					"group_base_dn":        str("DN under which groups are searched. Default `base_dn`."),
					"group_filter":         str("LDAP filter that selects groups. Default `" + ldap.DefaultGroupFilter + "`."),
					"group_name_attribute": str("Attribute holding a group's name, which `team:<name>` names. Default `" + ldap.DefaultGroupNameAttribute + "`."),
					"manager_attribute":    str("Attribute holding a person's manager as a DN (`manager`). When a departed owner names one, the messages suggest the nearest active manager as the new owner. Default: none."),
				},
			},
		},
	}
}

// ownerMustExistAttribute is policy.owner_must_exist.
func ownerMustExistAttribute() schema.StringAttribute {
	return schema.StringAttribute{
		Optional: true,
		MarkdownDescription: "What a plan does with an existing identity whose owner has left the owners directory: `\"warn\"` (the default with an `owners` block) warns on `owner` on every plan, " +
			"`\"error\"` fails the plan until `owner` is changed, `\"off\"` does not consult the directory at plan time. " +
			"Whatever the value (but `\"off\"`), a new identity or a changed `owner` must be an active person or team.",
		Validators: []validator.String{framework.OneOf(nhi.OwnerRequirements...)},
	}
}

type ownersModel struct {
	File types.String `tfsdk:"file"`
	LDAP *ldapModel   `tfsdk:"ldap"`
}

type ldapModel struct {
	URL                types.String `tfsdk:"url"`
	StartTLS           types.Bool   `tfsdk:"start_tls"`
	CACertificate      types.String `tfsdk:"ca_certificate"`
	BindDN             types.String `tfsdk:"bind_dn"`
	BindPassword       types.String `tfsdk:"bind_password"`
	BaseDN             types.String `tfsdk:"base_dn"`
	UserAttributes     types.List   `tfsdk:"user_attributes"`
	UserFilter         types.String `tfsdk:"user_filter"`
	DisabledFilter     types.String `tfsdk:"disabled_filter"`
	GroupBaseDN        types.String `tfsdk:"group_base_dn"`
	GroupFilter        types.String `tfsdk:"group_filter"`
	GroupNameAttribute types.String `tfsdk:"group_name_attribute"`
	ManagerAttribute   types.String `tfsdk:"manager_attribute"`
}

func (m *ownersModel) unknown() []string {
	vals := map[string]attr.Value{"file": m.File}
	if l := m.LDAP; l != nil {
		for k, v := range map[string]attr.Value{
			"url": l.URL, "start_tls": l.StartTLS, "ca_certificate": l.CACertificate, "bind_dn": l.BindDN, "bind_password": l.BindPassword,
			"base_dn": l.BaseDN, "user_attributes": l.UserAttributes, "user_filter": l.UserFilter, "disabled_filter": l.DisabledFilter,
			"group_base_dn": l.GroupBaseDN, "group_filter": l.GroupFilter, "group_name_attribute": l.GroupNameAttribute, "manager_attribute": l.ManagerAttribute,
		} {
			vals["ldap."+k] = v
		}
	}
	out := framework.UnknownAttrs(vals)
	for i := range out {
		out[i] = "owners." + out[i]
	}
	return out
}

// configureOwners reads the owners block and policy.owner_must_exist
// (mustExist, null when unset). Without an owners block plans do not
// consult a directory, and owner_must_exist "warn" or "error" is an error.
// While the block holds values Terraform learns only during apply, the
// check waits for them (Pending): the directory is never guessed.
func configureOwners(ctx context.Context, config tfsdk.Config, mustExist types.String) (framework.OwnerCheck, diag.Diagnostics) {
	var m *ownersModel
	diags := config.GetAttribute(ctx, path.Root("owners"), &m)
	if diags.HasError() {
		return framework.OwnerCheck{}, diags
	}
	req := nhi.OwnerRequirement(mustExist.ValueString())
	policyPath := path.Root("policy").AtName("owner_must_exist")
	if m == nil {
		if req == nhi.OwnerMustExistWarn || req == nhi.OwnerMustExistError {
			diags.AddAttributeError(policyPath, "No owner directory to check owners against",
				"policy.owner_must_exist = \""+string(req)+"\" needs an owners block: add owners { ldap { ... } } or owners { file = \"owners.txt\" }, or remove owner_must_exist.")
		}
		return framework.OwnerCheck{Require: nhi.OwnerMustExistOff}, diags
	}
	if req == "" {
		req = nhi.OwnerMustExistWarn
	}
	check, d := openOwnersBlock(ctx, m, req)
	diags.Append(d...)
	return check, diags
}

// openOwnersBlock opens the directory of an owners block whose values are
// read (m is not nil), with the diagnostics on the block's attributes.
func openOwnersBlock(ctx context.Context, m *ownersModel, req nhi.OwnerRequirement) (framework.OwnerCheck, diag.Diagnostics) {
	var diags diag.Diagnostics
	check := framework.OwnerCheck{Require: req}
	if check.Pending = m.unknown(); len(check.Pending) > 0 {
		return check, diags
	}
	root := path.Root("owners")
	var cfg owners.Config
	switch {
	case m.LDAP != nil && !m.File.IsNull():
		diags.AddAttributeError(root.AtName("file"), "Two owner directories",
			"The owners block takes one directory: remove file, or the ldap block.")
		return check, diags
	case !m.File.IsNull():
		cfg.File = m.File.ValueString()
		if strings.TrimSpace(cfg.File) == "" {
			diags.AddAttributeError(root.AtName("file"), "Empty owners file path", "owners.file must be the path of an owners file.")
			return check, diags
		}
	case m.LDAP != nil:
		l := m.LDAP
		c := &ldap.Config{
			URL: l.URL.ValueString(), StartTLS: l.StartTLS.ValueBool(), CACertificate: l.CACertificate.ValueString(),
			BindDN: l.BindDN.ValueString(), BindPassword: l.BindPassword.ValueString(), BaseDN: l.BaseDN.ValueString(),
			UserFilter: l.UserFilter.ValueString(), DisabledFilter: l.DisabledFilter.ValueString(),
			GroupBaseDN: l.GroupBaseDN.ValueString(), GroupFilter: l.GroupFilter.ValueString(),
			GroupNameAttribute: l.GroupNameAttribute.ValueString(), ManagerAttribute: l.ManagerAttribute.ValueString(),
		}
		if l.BindPassword.IsNull() {
			c.BindPassword = os.Getenv(ldap.EnvBindPassword)
		}
		if !l.UserAttributes.IsNull() {
			diags.Append(l.UserAttributes.ElementsAs(ctx, &c.UserAttributes, false)...)
		}
		for _, p := range c.Validate() {
			diags.AddAttributeError(root.AtName("ldap").AtName(p.Attribute), "Invalid owners.ldap."+p.Attribute, "owners.ldap."+p.Attribute+" "+p.Detail+".")
		}
		cfg.LDAP = c
	default:
		diags.AddAttributeError(root, "No owner directory", "The owners block needs a directory: file = \"owners.txt\", or an ldap block.")
	}
	if diags.HasError() {
		return check, diags
	}
	dir, err := cfg.Open()
	if err != nil {
		// The file is read now (an LDAP directory is contacted at plan
		// time, and its settings are checked above).
		at, fix := root.AtName("ldap"), ""
		var pathErr *fs.PathError
		if cfg.File != "" {
			at = root.AtName("file")
		}
		if cfg.File != "" && errors.As(err, &pathErr) {
			fix = " Set owners.file to a readable owners file (a relative path is relative to the directory Terraform runs in; use \"${path.module}/owners.txt\")."
		}
		diags.AddAttributeError(at, "Owner directory unavailable", "The owners block: "+err.Error()+"."+fix)
		return check, diags
	}
	check.Directory = dir
	return check, diags
}
