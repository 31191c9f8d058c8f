package framework

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/nhi-ops/terraform-provider-nhi/internal/clock"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	pschema "github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/system"
)

// System is the provider's half of a system: its configuration block, how
// that block becomes a connector, and its resources. Each system's services
// package builds its own (services/<name>.System()); the provider registers
// them once (internal/provider/systems.go). Core is the Terraform-free half
// the reporter shares.
type System struct {
	Core system.Descriptor
	// Block is the provider configuration block named Core.Name; a system
	// with nothing to configure leaves it empty (see HasBlock).
	Block pschema.SingleNestedBlock
	// ConfigValidators check the block as a whole (attributes that go
	// together), at validate time.
	ConfigValidators []provider.ConfigValidator
	// PrefixCheck validates the provider's annotation_prefix for this
	// system's markers, when it constrains it.
	PrefixCheck func(string) error
	// Configure reads the block from the provider configuration and
	// returns the system's connector, connected lazily on first use; nil
	// for a system with no connector.
	Configure func(ctx context.Context, req ConfigureRequest) (Connector, diag.Diagnostics)
	// Resources, EphemeralResources and DataSources are the system's own.
	Resources          []func() resource.Resource
	EphemeralResources []func() ephemeral.EphemeralResource
	DataSources        []func() datasource.DataSource
	// ListResources are the list resources (Terraform 1.14+, `terraform
	// query`) of its resource types, built with NewList.
	ListResources []func() list.ListResource
	// LocationValidator validates a location filter of the inventory data
	// sources (a namespace), when Core.LocationFilter is set.
	LocationValidator validator.String
	// ScopeExamples are scope globs the provider's policy documentation
	// cites as examples of forbidden_scopes, such as an admin grant.
	ScopeExamples []string
	// Actions are the incident-response actions the system offers (see
	// actions.go): only these systems are accepted, and documented, by
	// each action. The client its Connector returns must implement the
	// matching interface.
	Actions Actions
}

// Actions are a system's incident-response actions (Terraform 1.14+).
type Actions struct {
	// Disable: nhi_disable; the client implements Disabler.
	Disable bool
	// RevokeCredentials: nhi_revoke_credentials; the client implements
	// CredentialRevoker.
	RevokeCredentials bool
}

// HasBlock reports whether the system has a provider configuration block.
func (s System) HasBlock() bool {
	return len(s.Block.Attributes) > 0 || len(s.Block.Blocks) > 0
}

// ConfigureRequest is what a system's Configure gets.
type ConfigureRequest struct {
	// Config is the whole provider configuration; a system reads its own
	// block at path.Root(Core.Name).
	Config tfsdk.Config
	// Prefix is the governance marker prefix (annotation_prefix).
	Prefix string
	// Clock is the provider's clock (evaluation_time), for connectors that
	// stamp times on what they write.
	Clock clock.Clock
}

// Connector is one configured system as the provider holds it.
type Connector interface {
	// System is the system's name.
	System() string
	// Configured reports whether the provider configuration has the
	// system's block.
	Configured() bool
	// Implicit reports whether the system is listed by the inventory data
	// sources when no system's block is present (Kubernetes, through
	// KUBECONFIG).
	Implicit() bool
	// Pending names the block's attributes whose values are not known yet.
	Pending() []string
	// Inventory connects (once) and returns the system's inventory.
	Inventory(ctx context.Context) (nhi.Inventory, error)
	// ConfigHint says how to configure the system, for connection errors.
	ConfigHint() string
}

// Lazy is a Connector that builds its client on first use, never while its
// configuration is unknown.
type Lazy[C nhi.Inventory] struct {
	// Name and Title are the system's (Core.Name, Core.Title).
	Name, Title string
	// Hint says how to configure the system, shown with connection errors.
	Hint string
	// Block is whether the configuration has the system's block; Auto
	// whether the system is listed without one (see Connector.Implicit).
	Block, Auto bool
	// Unknown names the attributes whose values are not known yet.
	Unknown []string
	// Build makes the client.
	Build func(ctx context.Context) (C, error)

	once   sync.Once
	client C
	err    error
}

var _ Connector = (*Lazy[nhi.Inventory])(nil)

func (l *Lazy[C]) System() string     { return l.Name }
func (l *Lazy[C]) Configured() bool   { return l.Block }
func (l *Lazy[C]) Implicit() bool     { return l.Auto }
func (l *Lazy[C]) Pending() []string  { return l.Unknown }
func (l *Lazy[C]) ConfigHint() string { return l.Hint }

// Get returns the client, building it on first use.
func (l *Lazy[C]) Get(ctx context.Context) (C, error) {
	if len(l.Unknown) > 0 {
		var zero C
		return zero, unknownErr(l.Name, l.Unknown)
	}
	l.once.Do(func() { l.client, l.err = l.Build(ctx) })
	return l.client, l.err
}

// Inventory implements Connector.
func (l *Lazy[C]) Inventory(ctx context.Context) (nhi.Inventory, error) {
	c, err := l.Get(ctx)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// OrDiag returns the client, or false after adding the standard
// diagnostic: the configuration is not known yet, or unusable.
func (l *Lazy[C]) OrDiag(ctx context.Context, diags *diag.Diagnostics) (C, bool) {
	c, err := l.Get(ctx)
	switch {
	case errors.Is(err, ErrConfigUnknown):
		diags.AddError(l.Title+" connection is not known yet", err.Error()+UnknownConfigDetail)
		return c, false
	case err != nil:
		diags.AddError(l.Title+" connection is not configured", fmt.Sprintf("%v\n\n%s", err, l.Hint))
		return c, false
	}
	return c, true
}

// ForPlan is OrDiag for a plan-time check: while the configuration is not
// known yet it returns false without a diagnostic, and the caller plans
// unknown values and leaves the check to the apply.
func (l *Lazy[C]) ForPlan(ctx context.Context, diags *diag.Diagnostics) (C, bool) {
	if len(l.Unknown) > 0 {
		var zero C
		return zero, false
	}
	return l.OrDiag(ctx, diags)
}

// UnknownAttrs names the attributes whose values are not fully known (a
// list with one unknown element counts), sorted.
func UnknownAttrs(vals map[string]attr.Value) []string {
	var out []string
	for name, v := range vals {
		if v == nil {
			continue
		}
		tv, err := v.ToTerraformValue(context.Background())
		if v.IsUnknown() || (err == nil && !tv.IsFullyKnown()) {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}
