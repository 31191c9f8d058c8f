// Package provider is the nhi provider: its configuration (one block per
// connector, plus policy) and the list of resources and data sources.
package provider

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/nhi-ops/terraform-provider-nhi/internal/clock"
	"github.com/nhi-ops/terraform-provider-nhi/internal/framework"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/services/actions"
	"github.com/nhi-ops/terraform-provider-nhi/internal/services/inventory"
	"github.com/nhi-ops/terraform-provider-nhi/internal/system"
)

// EnvEvaluationTime overrides "now" for expiry evaluation.
const EnvEvaluationTime = "NHI_EVALUATION_TIME"

var (
	_ provider.Provider                       = &nhiProvider{}
	_ provider.ProviderWithEphemeralResources = &nhiProvider{}
	_ provider.ProviderWithConfigValidators   = &nhiProvider{}
	_ provider.ProviderWithListResources      = &nhiProvider{}
	_ provider.ProviderWithActions            = &nhiProvider{}
)

type nhiProvider struct {
	version string
	clock   clock.Clock
	// systems are the registered systems (Systems()), registry their
	// Terraform-free halves.
	systems  []framework.System
	registry *system.Registry
}

// New returns a provider factory. Tests fix the clock with evaluation_time.
func New(version string) func() provider.Provider {
	return func() provider.Provider {
		systems := Systems()
		return &nhiProvider{version: version, clock: clock.System{}, systems: systems, registry: registryOf(systems)}
	}
}

type policyModel struct {
	MaxLifetime        types.String `tfsdk:"max_lifetime"`
	WarnBefore         types.String `tfsdk:"warn_before"`
	ForbiddenScopes    types.List   `tfsdk:"forbidden_scopes"`
	ForbiddenCaps      types.List   `tfsdk:"forbidden_capabilities"`
	OwnerPattern       types.String `tfsdk:"owner_pattern"`
	MaxTokenExpiration types.String `tfsdk:"max_token_expiration"`
	MaxCredentialAge   types.String `tfsdk:"max_credential_age"`
	RequireOIDCSubject types.Bool   `tfsdk:"require_oidc_subject"`
	OwnerMustExist     types.String `tfsdk:"owner_must_exist"`
}

func (p *nhiProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "nhi"
	resp.Version = p.version
}

func (p *nhiProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	var prefixChecks []validator.String
	var scopeExamples, capabilityIDs, catalogs []string
	blocks := map[string]schema.Block{}
	for _, s := range p.systems {
		if s.HasBlock() {
			blocks[s.Core.Name] = s.Block
		}
		if s.PrefixCheck != nil {
			prefixChecks = append(prefixChecks, framework.StringCheck{
				Summary: "Invalid annotation prefix", Desc: "a marker prefix " + s.Core.Title + " accepts",
				Check: s.PrefixCheck,
			})
		}
		for _, e := range s.ScopeExamples {
			scopeExamples = append(scopeExamples, fmt.Sprintf("`%q`", e))
		}
		capabilityIDs = append(capabilityIDs, s.Core.Capabilities...)
		if len(s.Core.Capabilities) > 0 {
			catalogs = append(catalogs, s.Core.Title+": "+strings.Join(nhi.SortedUnique(s.Core.Capabilities), ", "))
		}
	}
	capabilityIDs = nhi.SortedUnique(capabilityIDs)
	quotedIDs := make([]string, len(capabilityIDs))
	for i, id := range capabilityIDs {
		quotedIDs[i] = fmt.Sprintf("`%q`", id)
	}
	blocks["policy"] = schema.SingleNestedBlock{
		MarkdownDescription: "Organisation policy, enforced at plan time with errors that name the offending attribute.",
		Attributes: map[string]schema.Attribute{
			"max_lifetime": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Longest time from now that `expires_at` may be set to, such as `\"90d\"`. Default `\"365d\"`. Checked when an identity is created and whenever its `expires_at` changes.",
				Validators:          []validator.String{framework.Duration()},
			},
			"warn_before": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "How long before `expires_at` plans start to warn. Default `\"30d\"`.",
				Validators:          []validator.String{framework.Duration()},
			},
			"forbidden_scopes": schema.ListAttribute{
				Optional:            true,
				ElementType:         types.StringType,
				MarkdownDescription: "Scopes no declaration may hold, as globs: " + strings.Join(scopeExamples, ", ") + ". `*` matches any characters, `/` included.",
				Validators:          []validator.List{listvalidator.ValueStringsAre(framework.ScopePattern())},
			},
			"forbidden_capabilities": schema.ListAttribute{
				Optional:    true,
				ElementType: types.StringType,
				MarkdownDescription: "Risky capabilities no declared scope may grant, by ID: " + strings.Join(quotedIDs, ", ") + ". " +
					"A plan that declares a scope whose role or policy grants one fails on `scopes`, naming the rule or statement; other risky capabilities only warn when a scope is added.",
				Validators: []validator.List{listvalidator.ValueStringsAre(capabilityID(capabilityIDs, catalogs))},
			},
			"max_token_expiration": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Longest `expiration` a short-lived token may have. Default `\"24h\"`.",
				Validators:          []validator.String{framework.Duration()},
			},
			"max_credential_age": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Longest a long-lived credential may live before a plan rotates it; `rotate_after` may not exceed it. Default `\"90d\"`.",
				Validators:          []validator.String{framework.Duration()},
			},
			"require_oidc_subject": schema.BoolAttribute{
				Optional: true,
				MarkdownDescription: "Make it an error, instead of a warning, when a role's trust policy lets an OIDC issuer's tokens assume the role " +
					"without a condition on their subject (`<issuer>:sub`), or with one every subject matches (`\"*\"`, GitHub's `\"repo:*\"`). Default `false`.",
			},
			"owner_pattern": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Regular expression every `owner` must match in full, such as `\"team:[a-z-]+|[a-z.]+@example\\\\.com\"`.",
				Validators:          []validator.String{framework.Regex()},
			},
			"owner_must_exist": ownerMustExistAttribute(),
		},
	}
	blocks["owners"] = ownersBlock()
	resp.Schema = schema.Schema{
		MarkdownDescription: "Governs non-human identities (service accounts, tokens, keys) with an owner, a purpose, scopes and an expiry.",
		Attributes: map[string]schema.Attribute{
			"annotation_prefix": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Prefix of the governance annotations written on declared identities (`<prefix>/owner`, `<prefix>/purpose`, `<prefix>/expires-at`, ...). Defaults to `nhi.dev`. Must be a DNS subdomain.",
				Validators:          prefixChecks,
			},
			"evaluation_time": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Evaluate expiry and policy as of this instant (RFC 3339 or `YYYY-MM-DD`) instead of now, to preview " +
					"what a plan will look like later (\"at quarter end\"). Can also be set with the `NHI_EVALUATION_TIME` environment variable; the attribute wins.",
				Validators: []validator.String{framework.Expiry()},
			},
		},
		Blocks: blocks,
	}
}

// ConfigValidators are the systems' checks of their blocks as a whole.
func (p *nhiProvider) ConfigValidators(context.Context) []provider.ConfigValidator {
	var out []provider.ConfigValidator
	for _, s := range p.systems {
		out = append(out, s.ConfigValidators...)
	}
	return out
}

func (p *nhiProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	// Each setting is read on its own: the systems read their blocks.
	var prefixValue, evaluationTime types.String
	var cp *policyModel
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("annotation_prefix"), &prefixValue)...)
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("evaluation_time"), &evaluationTime)...)
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("policy"), &cp)...)
	if resp.Diagnostics.HasError() {
		return
	}

	var c clock.Clock = p.clock
	if at, src := evaluationTime.ValueString(), "evaluation_time"; at != "" || os.Getenv(EnvEvaluationTime) != "" {
		if at == "" {
			at, src = os.Getenv(EnvEvaluationTime), EnvEvaluationTime
		}
		t, err := nhi.ParseExpiry(at)
		if err != nil {
			if src == "evaluation_time" {
				resp.Diagnostics.AddAttributeError(path.Root("evaluation_time"), "Invalid evaluation time", "evaluation_time "+err.Error())
			} else {
				resp.Diagnostics.AddError("Invalid "+EnvEvaluationTime, fmt.Sprintf("The environment variable %s %v. Unset it to evaluate as of now.", EnvEvaluationTime, err))
			}
			return
		}
		c = clock.Fixed(t)
	}

	pol := nhi.DefaultPolicy()
	if cp != nil {
		for _, d := range []struct {
			name  string
			value types.String
			dst   *time.Duration
		}{
			{"max_lifetime", cp.MaxLifetime, &pol.MaxLifetime},
			{"warn_before", cp.WarnBefore, &pol.WarnBefore},
			{"max_token_expiration", cp.MaxTokenExpiration, &pol.MaxTokenExpiration},
			{"max_credential_age", cp.MaxCredentialAge, &pol.MaxCredentialAge},
		} {
			if v := d.value.ValueString(); v != "" {
				parsed, err := nhi.ParseDuration(v)
				if err != nil {
					resp.Diagnostics.AddAttributeError(path.Root("policy").AtName(d.name), "Invalid duration", "policy."+d.name+" "+err.Error())
				}
				*d.dst = parsed
			}
		}
		if len(cp.unknown()) == 0 {
			resp.Diagnostics.Append(cp.ForbiddenScopes.ElementsAs(ctx, &pol.ForbiddenScopes, false)...)
			resp.Diagnostics.Append(cp.ForbiddenCaps.ElementsAs(ctx, &pol.ForbiddenCapabilities, false)...)
		}
		if v := cp.OwnerPattern.ValueString(); v != "" {
			re, err := nhi.CompileOwnerPattern(v)
			if err != nil {
				resp.Diagnostics.AddAttributeError(path.Root("policy").AtName("owner_pattern"), "Invalid regular expression", "policy.owner_pattern "+err.Error())
			}
			pol.OwnerPattern = re
		}
	}
	if resp.Diagnostics.HasError() {
		return
	}

	// Values Terraform learns only during apply (a cluster endpoint from
	// another resource) are unknown here on a first plan. The settings every
	// plan depends on must be known; a system's connector whose block has
	// unknown values waits for them (see its Configure) and is never built
	// from ambient settings instead, which may describe another cluster or
	// account.
	for _, u := range []struct {
		name string
		v    attr.Value
	}{{"annotation_prefix", prefixValue}, {"evaluation_time", evaluationTime}} {
		if u.v.IsUnknown() {
			resp.Diagnostics.AddAttributeError(path.Root(u.name), "Value must be known when planning",
				u.name+" decides what every plan shows, so it cannot depend on values known only after apply. Set it from a variable or a literal.")
		}
	}
	if cp != nil {
		for _, a := range cp.unknown() {
			resp.Diagnostics.AddAttributeError(path.Root("policy").AtName(a), "Value must be known when planning",
				"policy."+a+" decides what every plan allows, so it cannot depend on values known only after apply. Set it from a variable or a literal.")
		}
	}
	if resp.Diagnostics.HasError() {
		return
	}

	prefix := nhi.DefaultMarkerPrefix
	if v := prefixValue.ValueString(); v != "" {
		prefix = v
	}
	conns := make([]framework.Connector, 0, len(p.systems))
	for _, s := range p.systems {
		if s.Configure == nil {
			continue // nothing to reach (a system with no connector)
		}
		conn, d := s.Configure(ctx, framework.ConfigureRequest{Config: req.Config, Prefix: prefix, Clock: c})
		resp.Diagnostics.Append(d...)
		if conn != nil {
			conns = append(conns, conn)
		}
	}
	if resp.Diagnostics.HasError() {
		return
	}

	mustExist := types.StringNull()
	if cp != nil {
		mustExist = cp.OwnerMustExist
	}
	ownerCheck, d := configureOwners(ctx, req.Config, mustExist)
	resp.Diagnostics.Append(d...)
	if resp.Diagnostics.HasError() {
		return
	}

	pd := framework.NewProviderData(c, pol, prefix, p.registry, conns...)
	pd.Owners = ownerCheck
	if cp != nil {
		pd.RequireOIDCSubject = cp.RequireOIDCSubject.ValueBool()
	}
	resp.ResourceData = pd
	resp.DataSourceData = pd
	resp.EphemeralResourceData = pd
	resp.ListResourceData = pd
	resp.ActionData = pd
}

// capabilityID accepts an ID of a registered system's risky-capability
// catalog; the error lists each system's catalog.
func capabilityID(ids, catalogs []string) validator.String {
	known := map[string]bool{}
	for _, id := range ids {
		known[id] = true
	}
	return framework.StringCheck{
		Summary: "Unknown capability",
		Desc:    "a risky-capability ID",
		Check: func(s string) error {
			if known[s] {
				return nil
			}
			return fmt.Errorf("%q is not a risky-capability ID; use one of %s", s, strings.Join(catalogs, "; "))
		},
	}
}

func (p *policyModel) unknown() []string {
	return framework.UnknownAttrs(map[string]attr.Value{
		"max_lifetime": p.MaxLifetime, "warn_before": p.WarnBefore, "owner_pattern": p.OwnerPattern,
		"max_token_expiration": p.MaxTokenExpiration, "max_credential_age": p.MaxCredentialAge,
		"require_oidc_subject": p.RequireOIDCSubject, "forbidden_scopes": p.ForbiddenScopes,
		"forbidden_capabilities": p.ForbiddenCaps,
		"owner_must_exist":       p.OwnerMustExist,
	})
}

func (p *nhiProvider) Resources(context.Context) []func() resource.Resource {
	var out []func() resource.Resource
	for _, s := range p.systems {
		out = append(out, s.Resources...)
	}
	return out
}

func (p *nhiProvider) EphemeralResources(context.Context) []func() ephemeral.EphemeralResource {
	var out []func() ephemeral.EphemeralResource
	for _, s := range p.systems {
		out = append(out, s.EphemeralResources...)
	}
	return out
}

// ListResources are the systems' list resources (Terraform 1.14+).
func (p *nhiProvider) ListResources(context.Context) []func() list.ListResource {
	var out []func() list.ListResource
	for _, s := range p.systems {
		out = append(out, s.ListResources...)
	}
	return out
}

// Actions are the incident-response actions (Terraform 1.14+), over every
// system with a connector.
func (p *nhiProvider) Actions(context.Context) []func() action.Action {
	return actions.All(p.systems)
}

func (p *nhiProvider) DataSources(context.Context) []func() datasource.DataSource {
	out := []func() datasource.DataSource{
		inventory.NewIdentities(p.listable()),
		inventory.NewUndeclared(p.listable()),
	}
	for _, s := range p.systems {
		out = append(out, s.DataSources...)
	}
	return out
}

// listable are the systems the inventory data sources can list: those with
// a connector (a system without one, such as identities declared only in
// Terraform, has nothing to list).
func (p *nhiProvider) listable() []framework.System {
	var out []framework.System
	for _, s := range p.systems {
		if s.Configure != nil {
			out = append(out, s)
		}
	}
	return out
}
