package framework

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/nhi-ops/terraform-provider-nhi/internal/clock"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/system"
)

// ProviderData is what the provider's Configure hands every resource and
// data source: the clock, the policy, the marker prefix and one connector
// per registered system. A system's resources reach their connector with
// Connection.
type ProviderData struct {
	Clock  clock.Clock
	Policy nhi.Policy
	// RequireOIDCSubject turns the open-federated-trust warning of a role's
	// trust policy into an error.
	RequireOIDCSubject bool
	// Prefix is the governance marker prefix (annotation_prefix).
	Prefix string
	// Systems are the registered systems.
	Systems *system.Registry
	// Owners is the owner directory plans check owners against.
	Owners OwnerCheck

	conns []Connector
}

// NewProviderData builds provider data. The connectors come from each
// system's Configure; they connect on first use, so configurations that
// never touch a system need no access to it.
func NewProviderData(c clock.Clock, p nhi.Policy, prefix string, reg *system.Registry, conns ...Connector) *ProviderData {
	return &ProviderData{Clock: c, Policy: p, Prefix: prefix, Systems: reg, conns: conns}
}

// Connector returns the connector of a system, or nil when the provider has
// none.
func (d *ProviderData) Connector(name string) Connector {
	if d == nil {
		return nil
	}
	for _, c := range d.conns {
		if c.System() == name {
			return c
		}
	}
	return nil
}

// Connection returns a system's connector, typed for the system's own
// resources: framework.Connection[*k8s.Client](pd, k8s.SystemName). Without
// one (provider data built by a test) the connector fails on first use with
// an error that says so. A connector of another client type is a bug in the
// caller, and panics.
func Connection[C nhi.Inventory](pd *ProviderData, name string) *Lazy[C] {
	c := pd.Connector(name)
	if c == nil {
		title := name
		if d, ok := pd.registry().Get(name); ok && d.Title != "" {
			title = d.Title
		}
		return &Lazy[C]{Name: name, Title: title, Build: func(context.Context) (C, error) {
			var zero C
			return zero, fmt.Errorf("the provider has no %s connector", name)
		}}
	}
	l, ok := c.(*Lazy[C])
	if !ok {
		var want *Lazy[C]
		panic(fmt.Sprintf("framework: the %s connector is a %T, not a %T", name, c, want))
	}
	return l
}

func (d *ProviderData) registry() *system.Registry {
	if d == nil {
		return nil
	}
	return d.Systems
}

// ConnectorError is the error of one connector, with the hint on how to
// configure its system.
type ConnectorError struct {
	System, Hint string
	Err          error
}

func (e *ConnectorError) Error() string { return e.System + ": " + e.Err.Error() }
func (e *ConnectorError) Unwrap() error { return e.Err }

// Inventories returns the inventories the inventory data sources list: every
// connector whose block the configuration has or, when it has none, those
// listed without a block (Connector.Implicit). A connector that cannot
// connect fails the call with a *ConnectorError. keep, when set, leaves out
// the systems a filter excludes before they are connected, so a data source
// filtered to one system works while another's configuration is unknown or
// broken.
func (d *ProviderData) Inventories(ctx context.Context, keep func(system string) bool) ([]nhi.Inventory, error) {
	var listed []Connector
	for _, c := range d.conns {
		if c.Configured() {
			listed = append(listed, c)
		}
	}
	if len(listed) == 0 {
		for _, c := range d.conns {
			if c.Implicit() {
				listed = append(listed, c)
			}
		}
	}
	out := make([]nhi.Inventory, 0, len(listed))
	for _, c := range listed {
		if keep != nil && !keep(c.System()) {
			continue
		}
		inv, err := c.Inventory(ctx)
		if err != nil {
			return nil, &ConnectorError{System: c.System(), Hint: c.ConfigHint(), Err: err}
		}
		out = append(out, inv)
	}
	return out, nil
}

// ErrConfigUnknown is wrapped by the errors of connectors whose provider
// configuration is not known yet.
var ErrConfigUnknown = errors.New("provider configuration is not known yet")

func unknownErr(block string, attrs []string) error {
	names := make([]string, len(attrs))
	for i, a := range attrs {
		names[i] = block + "." + a
	}
	return fmt.Errorf("%w: %s depends on values Terraform learns only during apply (other resources' attributes), "+
		"so the provider does not know which %s to connect to and will not guess from ambient settings (environment variables, files)", ErrConfigUnknown, strings.Join(names, ", "), block)
}

// UnknownConfigDetail is the fix offered with an unknown configuration.
const UnknownConfigDetail = "\n\nResources whose plan can wait plan with unknown values; this one must read the system now. " +
	"Create what the provider configuration depends on first (terraform apply -target=<that resource>), " +
	"or configure the provider from values known at plan time (variables, data sources of another provider, files)."

// ProviderDataFrom extracts provider data in Configure of a resource or data
// source. It returns nil (and no error) before the provider is configured.
func ProviderDataFrom(raw any, diags *diag.Diagnostics) *ProviderData {
	if raw == nil {
		return nil
	}
	pd, ok := raw.(*ProviderData)
	if !ok {
		diags.AddError("Unexpected provider data", fmt.Sprintf("expected *framework.ProviderData, got %T; this is a bug in the provider, please report it", raw))
		return nil
	}
	return pd
}
