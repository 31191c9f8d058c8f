// Package actions holds the system-neutral incident-response actions
// (Terraform 1.14+): nhi_disable and nhi_revoke_credentials. They name an
// identity by system and id, as nhi_identities reports it, and dispatch to
// the system's connector through the optional interfaces of
// internal/framework/actions.go, so no system is named here.
package actions

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/action/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/nhi-ops/terraform-provider-nhi/internal/framework"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/system"
)

// identityAction is one action on one identity; the two actions differ in
// what they say and which connector interface runs them.
type identityAction struct {
	systems []framework.System
	pd      *framework.ProviderData

	// name is the action's type name without the provider prefix
	// ("disable"); doc its description; verb what it does, for messages
	// ("disabling"), done the outcome ("disabled").
	name, doc, verb, done string
	// nothing is said when the action changed nothing ("was already
	// disabled").
	nothing string
	// run finds the connector's interface and runs it; ok false when the
	// connector does not offer the action. usable and notes are the
	// connector's (see framework.Disabler).
	run func(ctx context.Context, inv nhi.Inventory, pd *framework.ProviderData, id nhi.Identity, changed func(string)) (usable, notes []string, ok bool, err error)
}

var (
	_ action.ActionWithConfigure      = (*identityAction)(nil)
	_ action.ActionWithValidateConfig = (*identityAction)(nil)
)

type identityModel struct {
	System types.String `tfsdk:"system"`
	ID     types.String `tfsdk:"id"`
}

func (a *identityAction) Metadata(_ context.Context, req action.MetadataRequest, resp *action.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_" + a.name
}

func (a *identityAction) Schema(_ context.Context, _ action.SchemaRequest, resp *action.SchemaResponse) {
	var names, forms []string
	for _, s := range a.systems {
		names = append(names, s.Core.Name)
		var fs []string
		for _, k := range s.Core.Kinds {
			if f, ok := idForm(k); ok {
				fs = append(fs, "`"+f+"` ("+k.Label+")")
			}
		}
		forms = append(forms, "`"+s.Core.Name+"`: "+strings.Join(fs, ", "))
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: a.doc + "\n\n" +
			"It acts only on identities this provider manages: one without the governance markers of the provider's `annotation_prefix` is refused, and nothing is changed. " +
			"Every change is reported as a progress message as it is made, and a summary ends the run. Requires Terraform 1.14 or later.",
		Attributes: map[string]schema.Attribute{
			"system": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "The identity's system: " + codes(names) + ".",
				Validators:          []validator.String{stringvalidator.OneOf(names...)},
			},
			"id": schema.StringAttribute{
				Required: true,
				MarkdownDescription: "The identity's ID, as `nhi_identities` and `nhi_undeclared` report it: " + strings.Join(forms, "; ") + ". " +
					"A resource's own `id` attribute holds it.",
			},
		},
	}
}

func (a *identityAction) Configure(_ context.Context, req action.ConfigureRequest, resp *action.ConfigureResponse) {
	a.pd = framework.ProviderDataFrom(req.ProviderData, &resp.Diagnostics)
}

func (a *identityAction) ValidateConfig(ctx context.Context, req action.ValidateConfigRequest, resp *action.ValidateConfigResponse) {
	var m identityModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || m.System.IsUnknown() || m.System.IsNull() || m.ID.IsUnknown() || m.ID.IsNull() {
		return
	}
	s, ok := a.system(m.System.ValueString())
	if !ok {
		return // the system's OneOf says so
	}
	if _, _, err := parseID(s.Core, m.ID.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("id"), "Invalid identity ID", "id "+err.Error())
	}
}

func (a *identityAction) system(name string) (framework.System, bool) {
	for _, s := range a.systems {
		if s.Core.Name == name {
			return s, true
		}
	}
	return framework.System{}, false
}

func (a *identityAction) Invoke(ctx context.Context, req action.InvokeRequest, resp *action.InvokeResponse) {
	var m identityModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	progress := func(msg string) {
		if resp.SendProgress != nil {
			resp.SendProgress(action.InvokeProgressEvent{Message: msg})
		}
	}
	s, ok := a.system(m.System.ValueString())
	if !ok {
		resp.Diagnostics.AddAttributeError(path.Root("system"), "Unknown system", fmt.Sprintf("system %q is not one of %s.", m.System.ValueString(), a.names()))
		return
	}
	ref, kind, err := parseID(s.Core, m.ID.ValueString())
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("id"), "Invalid identity ID", "id "+err.Error())
		return
	}
	what := kind.Label + " " + ref.String()
	if a.pd == nil {
		resp.Diagnostics.AddError("Provider not configured", "the provider was not configured before nhi_"+a.name+" ran; this is a bug in the provider, please report it")
		return
	}
	inv, ok := a.inventory(ctx, s, &resp.Diagnostics)
	if !ok {
		return
	}
	progress(fmt.Sprintf("reading %s", what))
	id, err := inv.Get(ctx, ref)
	switch {
	case errors.Is(err, nhi.ErrNotFound):
		resp.Diagnostics.AddAttributeError(path.Root("id"), "Identity not found",
			fmt.Sprintf("%s does not exist in %s (%v). Check id; nhi_identities lists the identities the provider sees.", what, s.Core.Title, err))
		return
	case err != nil:
		resp.Diagnostics.AddError("Reading the "+kind.Label+" failed", fmt.Sprintf("reading %s before %s it: %v\n\nNothing was changed.", what, a.verb, err))
		return
	}
	if !framework.Managed(id) {
		resp.Diagnostics.AddAttributeError(path.Root("id"), "Identity not managed by this provider",
			fmt.Sprintf("%s carries no governance markers of this provider (annotation_prefix %q), so nhi_%s refuses it and changed nothing: "+
				"the provider acts only on identities it manages. Declare it first (import it into a %s resource and apply), "+
				"or set annotation_prefix to the prefix that declared it.", what, a.pd.Prefix, a.name, kind.ResourceType))
		return
	}
	var changes []string
	changed := func(c string) {
		changes = append(changes, c)
		progress(c)
	}
	progress(fmt.Sprintf("%s %s", a.verb, what))
	usable, notes, supported, err := a.run(ctx, inv, a.pd, id, changed)
	if !supported {
		resp.Diagnostics.AddAttributeError(path.Root("system"), "Action not supported",
			fmt.Sprintf("the %s connector does not implement nhi_%s, so nothing was changed; use the system's own tools for %s.", s.Core.Title, a.name, what))
		return
	}
	if err != nil {
		done := "Nothing was changed before the failure."
		if len(changes) > 0 {
			done = "Changed before the failure:\n- " + strings.Join(changes, "\n- ")
		}
		resp.Diagnostics.AddError(capitalize(a.verb)+" the "+kind.Label+" failed", fmt.Sprintf("%s %s: %v\n\n%s\n\nRun the action again to finish; it skips what is done.", a.verb, what, err, done))
		return
	}
	for _, n := range notes {
		progress("note: " + n)
	}
	for _, u := range usable {
		progress("still usable: " + u)
		resp.Diagnostics.AddWarning("Credentials still usable after nhi_"+a.name,
			fmt.Sprintf("nhi_%s on %s could not end every credential: %s.", a.name, what, strings.TrimSuffix(u, ".")))
	}
	switch {
	case len(changes) == 0 && len(usable) == 0:
		progress(fmt.Sprintf("%s %s: nothing changed", what, a.nothing))
	case len(changes) == 0:
		progress(fmt.Sprintf("%s: nothing changed; some credentials are still usable (see the warnings)", what))
	case len(usable) == 0:
		progress(fmt.Sprintf("%s %s: %d %s", what, a.done, len(changes), pluralWord(len(changes), "change")))
	default:
		progress(fmt.Sprintf("%s: %d %s made; some credentials are still usable (see the warnings)", what, len(changes), pluralWord(len(changes), "change")))
	}
}

// inventory connects to the system, with the standard diagnostics of a
// missing or not yet known configuration.
func (a *identityAction) inventory(ctx context.Context, s framework.System, diags *diag.Diagnostics) (nhi.Inventory, bool) {
	conn := a.pd.Connector(s.Core.Name)
	if conn == nil || (!conn.Configured() && !conn.Implicit()) {
		diags.AddAttributeError(path.Root("system"), s.Core.Title+" is not configured",
			fmt.Sprintf("the provider configuration has no %s block, so nhi_%s cannot reach %s. Add a %s block to the provider configuration.", s.Core.Name, a.name, s.Core.Title, s.Core.Name))
		return nil, false
	}
	inv, err := conn.Inventory(ctx)
	switch {
	case errors.Is(err, framework.ErrConfigUnknown):
		diags.AddError(s.Core.Title+" connection is not known yet", err.Error()+framework.UnknownConfigDetail)
		return nil, false
	case err != nil:
		diags.AddError(s.Core.Title+" connection is not configured", fmt.Sprintf("%v\n\n%s", err, conn.ConfigHint()))
		return nil, false
	}
	return inv, true
}

func (a *identityAction) names() string {
	var names []string
	for _, s := range a.systems {
		names = append(names, s.Core.Name)
	}
	return codes(names)
}

// parseID reads an identity ID of a system ("team-a/ci", "user/alice") into
// its reference and kind. It accepts exactly the forms idForm documents: a
// kind of a fixed location takes "<location>/<name>" (the name may hold a
// slash), a kind whose location is an attribute "<location>/<name>" with
// no slash in either; a kind with neither is not addressable.
func parseID(d system.Descriptor, id string) (nhi.Ref, system.Kind, error) {
	var forms []string
	for _, k := range d.Kinds {
		if f, ok := idForm(k); ok {
			forms = append(forms, fmt.Sprintf("%q", f))
		}
	}
	bad := func() error {
		if len(forms) == 0 {
			return fmt.Errorf("%q: %s identities cannot be named by ID", id, d.Name)
		}
		return fmt.Errorf("%q is not a valid %s identity ID: expected %s", id, d.Name, strings.Join(forms, " or "))
	}
	loc, name, ok := strings.Cut(id, "/")
	if !ok || loc == "" || name == "" {
		return nhi.Ref{}, system.Kind{}, bad()
	}
	var free *system.Kind
	for i, k := range d.Kinds {
		if _, ok := idForm(k); !ok {
			continue
		}
		if k.Location != "" && k.Location == loc {
			return nhi.Ref{Location: loc, Name: name}, k, nil
		}
		if k.Location == "" && free == nil {
			free = &d.Kinds[i]
		}
	}
	// A location of the identity's own (a namespace) holds names without
	// a slash.
	if free == nil || strings.Contains(name, "/") {
		return nhi.Ref{}, system.Kind{}, bad()
	}
	return nhi.Ref{Location: loc, Name: name}, *free, nil
}

// idForm is the ID of identities of a kind: "namespace/name", "user/name";
// false for a kind with no location or name attribute, which no ID names.
func idForm(k system.Kind) (string, bool) {
	switch {
	case k.NameAttr == "":
		return "", false
	case k.Location != "":
		return k.Location + "/" + k.NameAttr, true
	case k.LocationAttr != "":
		return k.LocationAttr + "/" + k.NameAttr, true
	}
	return "", false
}

func codes(values []string) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = "`" + v + "`"
	}
	if len(q) <= 1 {
		return strings.Join(q, "")
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func pluralWord(n int, noun string) string {
	if n == 1 {
		return noun
	}
	return noun + "s"
}
