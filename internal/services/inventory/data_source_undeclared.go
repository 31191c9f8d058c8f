package inventory

import (
	"context"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/nhi-ops/terraform-provider-nhi/internal/drift"
	"github.com/nhi-ops/terraform-provider-nhi/internal/framework"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

var _ datasource.DataSourceWithConfigure = &undeclaredDataSource{}

// NewUndeclared returns the factory of nhi_undeclared over the registered
// systems.
func NewUndeclared(systems []framework.System) func() datasource.DataSource {
	return func() datasource.DataSource { return &undeclaredDataSource{systems: systems} }
}

type undeclaredDataSource struct {
	systems []framework.System
	pd      *framework.ProviderData
}

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
	var labels, exclusions, reasons []string
	for _, sys := range d.systems {
		for _, k := range sys.Core.Kinds {
			labels = append(labels, k.Label+"s")
		}
		var docs []string
		for _, e := range sys.Core.Exclusions {
			docs = append(docs, e.Doc)
			reasons = append(reasons, e.Reason)
		}
		if len(docs) > 0 {
			exclusions = append(exclusions, "- "+sys.Core.Title+": "+strings.Join(docs, "; ")+".")
		}
	}
	reasons = append(reasons, drift.ReasonIgnored)
	forms := idForms(d.systems)
	resp.Schema = schema.Schema{
		MarkdownDescription: "Identities that exist but that nobody declared: " + sentence(labels, "and") + " without the provider's managed-by marker. " +
			"Use it in a `check` block so that every plan reports them.\n\n" +
			"Left out by default, so that results are not noise:\n\n" + strings.Join(exclusions, "\n\n") + "\n\n" +
			"`include_system = true` reports them too, and `excluded` lists what was left out and why.",
		Attributes: map[string]schema.Attribute{
			"system": systemAttribute(d.systems),
			"namespaces": schema.ListAttribute{
				Optional: true, ElementType: types.StringType,
				MarkdownDescription: "Only look in these namespaces. Default: all.",
				Validators:          []validator.List{listvalidator.ValueStringsAre(namespaceValidators(d.systems)...)},
			},
			"ignore": schema.ListAttribute{
				Optional: true, ElementType: types.StringType,
				MarkdownDescription: "Glob patterns over the `id` (" + sentence(forms, "or") + ") to leave out, such as `\"monitoring/*\"`, `\"*/runner-*\"` or `\"user/ci-*\"`. `*` does not cross `/`.",
				Validators: []validator.List{listvalidator.ValueStringsAre(framework.StringCheck{
					Summary: "Invalid ignore pattern", Desc: "a glob over namespace/name", Check: drift.ValidateIgnorePattern,
				})},
			},
			"include_system": schema.BoolAttribute{Optional: true, MarkdownDescription: "Report system identities too (see above). Default `false`."},
			"ids":            schema.ListAttribute{Computed: true, ElementType: types.StringType, MarkdownDescription: "IDs (" + strings.Join(forms, ", ") + ") of the undeclared identities, sorted."},
			"identities":     identitiesAttribute(d.systems, "The undeclared identities, sorted by `id`."),
			"excluded": schema.ListNestedAttribute{
				Computed:            true,
				MarkdownDescription: "Undeclared identities left out, with `reason` " + codes(reasons, "or") + " (and the `pattern` that matched).",
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
	report, excluded := drift.Undeclared(ids, drift.UndeclaredOptions{Ignore: m.Ignore, IncludeSystem: m.IncludeSystem.ValueBool(), Systems: d.pd.Systems})
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
