package inventory

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/nhi-ops/terraform-provider-nhi/internal/drift"
	"github.com/nhi-ops/terraform-provider-nhi/internal/framework"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/services/kubernetes"
)

var _ datasource.DataSourceWithConfigure = &undeclaredDataSource{}

// NewUndeclaredDataSource is the factory of nhi_undeclared.
func NewUndeclaredDataSource() datasource.DataSource { return &undeclaredDataSource{} }

type undeclaredDataSource struct{ pd *framework.ProviderData }

type undeclaredModel struct {
	System        types.String `tfsdk:"system"`
	Namespaces    []string     `tfsdk:"namespaces"`
	Ignore        []string     `tfsdk:"ignore"`
	IncludeSystem types.Bool   `tfsdk:"include_system"`
	IDs           types.List   `tfsdk:"ids"`
	Identities    types.List   `tfsdk:"identities"`
	Excluded      types.List   `tfsdk:"excluded"`
}

var excludedType = types.ObjectType{AttrTypes: map[string]attr.Type{
	"id": types.StringType, "reason": types.StringType, "pattern": types.StringType,
}}

func (d *undeclaredDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_undeclared"
}

func (d *undeclaredDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Identities that exist but that nobody declared: service accounts, IAM users and IAM roles without the provider's managed-by marker. " +
			"Use it in a `check` block so that every plan reports them.\n\n" +
			"Left out by default, so that results are not noise: every service account in `kube-system`, `kube-public` and `kube-node-lease`; " +
			"a namespace's `default` service account while no binding grants it anything; AWS service-linked roles (path `/aws-service-role/`) and " +
			"the roles AWS IAM Identity Center creates (path `/aws-reserved/`, names `AWSReservedSSO_*`), which only AWS can change. `include_system = true` reports them too, and " +
			"`excluded` lists what was left out and why.",
		Attributes: map[string]schema.Attribute{
			"system": systemAttribute(),
			"namespaces": schema.ListAttribute{
				Optional: true, ElementType: types.StringType,
				MarkdownDescription: "Only look in these namespaces. Default: all.",
				Validators:          []validator.List{framework.Each(kubernetes.NamespaceValidator())},
			},
			"ignore": schema.ListAttribute{
				Optional: true, ElementType: types.StringType,
				MarkdownDescription: "Glob patterns over the `id` (`namespace/name`, or `user/name` and `role/name` for AWS) to leave out, such as `\"monitoring/*\"`, `\"*/runner-*\"` or `\"user/ci-*\"`. `*` does not cross `/`.",
				Validators: []validator.List{framework.Each(framework.StringCheck{
					Summary: "Invalid ignore pattern", Desc: "a glob over namespace/name", Check: drift.ValidateIgnorePattern,
				})},
			},
			"include_system": schema.BoolAttribute{Optional: true, MarkdownDescription: "Report system identities too (see above). Default `false`."},
			"ids":            schema.ListAttribute{Computed: true, ElementType: types.StringType, MarkdownDescription: "IDs (`namespace/name`, `user/name`, `role/name`) of the undeclared identities, sorted."},
			"identities":     identitiesAttribute("The undeclared identities, sorted by `id`."),
			"excluded": schema.ListNestedAttribute{
				Computed:            true,
				MarkdownDescription: "Undeclared identities left out, with `reason` `system_namespace`, `default_service_account`, `aws_service_linked_role`, `aws_reserved_sso_role` or `ignore_pattern` (and the `pattern` that matched).",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"id":      schema.StringAttribute{Computed: true},
					"reason":  schema.StringAttribute{Computed: true},
					"pattern": schema.StringAttribute{Computed: true},
				}},
			},
		},
	}
}

func (d *undeclaredDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.pd = framework.ProviderDataFrom(req.ProviderData, &resp.Diagnostics)
}

func (d *undeclaredDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m undeclaredModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	no := false
	ids := listAll(ctx, d.pd, m.System.ValueString(), nhi.ListOptions{Locations: m.Namespaces, Declared: &no}, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	report, excluded := drift.Undeclared(ids, drift.UndeclaredOptions{Ignore: m.Ignore, IncludeSystem: m.IncludeSystem.ValueBool()})
	m.Identities = identityList(ctx, d.pd, report, &resp.Diagnostics)
	idVals := make([]attr.Value, 0, len(report))
	for _, id := range report {
		idVals = append(idVals, types.StringValue(id.Ref.String()))
	}
	m.IDs = types.ListValueMust(types.StringType, idVals)
	ex := make([]attr.Value, 0, len(excluded))
	for _, e := range excluded {
		pat := types.StringNull()
		if e.Pattern != "" {
			pat = types.StringValue(e.Pattern)
		}
		ex = append(ex, types.ObjectValueMust(excludedType.AttrTypes, map[string]attr.Value{
			"id": types.StringValue(e.Identity.Ref.String()), "reason": types.StringValue(e.Reason), "pattern": pat,
		}))
	}
	m.Excluded = types.ListValueMust(excludedType, ex)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
