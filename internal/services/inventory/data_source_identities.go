package inventory

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/nhi-ops/terraform-provider-nhi/internal/framework"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

var _ datasource.DataSourceWithConfigure = &identitiesDataSource{}

// NewIdentities returns the factory of nhi_identities over the registered
// systems.
func NewIdentities(systems []framework.System) func() datasource.DataSource {
	return func() datasource.DataSource { return &identitiesDataSource{systems: systems} }
}

type identitiesDataSource struct {
	systems []framework.System
	pd      *framework.ProviderData
}

type identitiesModel struct {
	System     types.String `tfsdk:"system"`
	Namespace  types.String `tfsdk:"namespace"`
	Declared   types.Bool   `tfsdk:"declared"`
	Owner      types.String `tfsdk:"owner"`
	Identities types.List   `tfsdk:"identities"`
}

func (d *identitiesDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_identities"
}

func (d *identitiesDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The normalized inventory of non-human identities: every service account, declared or not, with its governance, effective scopes and long-lived credentials.",
		Attributes: map[string]schema.Attribute{
			"system": systemAttribute(d.systems),
			"namespace": schema.StringAttribute{
				Optional: true, MarkdownDescription: "Only identities in this namespace.",
				Validators: namespaceValidators(d.systems),
			},
			"declared": schema.BoolAttribute{Optional: true, MarkdownDescription: "`true`: only declared identities; `false`: only undeclared ones. Unset: both."},
			"owner": schema.StringAttribute{
				Optional: true, MarkdownDescription: "Only identities with this owner.",
				Validators: []validator.String{framework.NotBlank("owner")},
			},
			"identities": identitiesAttribute(d.systems, "The identities found, sorted by `id`."),
		},
	}
}

func (d *identitiesDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.pd = framework.ProviderDataFrom(req.ProviderData, &resp.Diagnostics)
}

func (d *identitiesDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m identitiesModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	opts := nhi.ListOptions{Owner: m.Owner.ValueString()}
	if ns := m.Namespace.ValueString(); ns != "" {
		opts.Locations = []string{ns}
	}
	if !m.Declared.IsNull() {
		v := m.Declared.ValueBool()
		opts.Declared = &v
	}
	ids := listAll(ctx, d.pd, m.System.ValueString(), opts, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	m.Identities = identityList(ctx, d.pd, ids, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
