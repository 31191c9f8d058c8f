package actions

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/nhi-ops/terraform-provider-nhi/internal/clock"
	"github.com/nhi-ops/terraform-provider-nhi/internal/framework"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/system"
)

// fakeSystem is a system with one kind whose location is a namespace.
var fakeSystem = framework.System{
	Core: system.Descriptor{Name: "fake", Title: "Fake", Kinds: []system.Kind{{
		Kind: "robot", Label: "robot", ResourceType: "nhi_fake_robot", LocationAttr: "namespace", NameAttr: "name",
	}}},
	Configure: func(context.Context, framework.ConfigureRequest) (framework.Connector, diag.Diagnostics) {
		return nil, nil
	},
	Actions: framework.Actions{Disable: true, RevokeCredentials: true},
}

// fakeInventory holds one identity and records what the actions asked.
type fakeInventory struct {
	id      nhi.Identity
	changes []string
	fail    error
	at      time.Time
	// usable is what DisableIdentity says still authenticates.
	usable []string
}

func (f *fakeInventory) System() string { return "fake" }
func (f *fakeInventory) List(context.Context, nhi.ListOptions) (nhi.Page, error) {
	return nhi.Page{}, nil
}
func (f *fakeInventory) Get(_ context.Context, ref nhi.Ref) (nhi.Identity, error) {
	if ref != f.id.Ref {
		return nhi.Identity{}, fmt.Errorf("robot %s: %w", ref, nhi.ErrNotFound)
	}
	return f.id, nil
}

// disablingInventory also implements framework.Disabler.
type disablingInventory struct{ *fakeInventory }

func (f disablingInventory) DisableIdentity(_ context.Context, _ nhi.Identity, at time.Time, changed func(string)) ([]string, []string, error) {
	f.at = at
	for _, c := range f.changes {
		changed(c)
	}
	return f.usable, []string{"a note"}, f.fail
}

type fakeConnector struct{ inv nhi.Inventory }

func (c fakeConnector) System() string     { return "fake" }
func (c fakeConnector) Configured() bool   { return true }
func (c fakeConnector) Implicit() bool     { return false }
func (c fakeConnector) Pending() []string  { return nil }
func (c fakeConnector) ConfigHint() string { return "" }
func (c fakeConnector) Inventory(context.Context) (nhi.Inventory, error) {
	return c.inv, nil
}

func invokeDisable(t *testing.T, inv nhi.Inventory, id string) (progress []string, diags diag.Diagnostics) {
	t.Helper()
	a := NewDisable([]framework.System{fakeSystem})().(*identityAction)
	var sr action.SchemaResponse
	a.Schema(context.Background(), action.SchemaRequest{}, &sr)
	now := time.Date(2027, 3, 31, 12, 0, 0, 0, time.UTC)
	a.pd = framework.NewProviderData(clock.Fixed(now), nhi.Policy{}, "nhi.dev", system.NewRegistry(fakeSystem.Core), fakeConnector{inv})
	raw := tftypes.NewValue(tftypes.Object{AttributeTypes: map[string]tftypes.Type{"system": tftypes.String, "id": tftypes.String}},
		map[string]tftypes.Value{"system": tftypes.NewValue(tftypes.String, "fake"), "id": tftypes.NewValue(tftypes.String, id)})
	resp := action.InvokeResponse{SendProgress: func(e action.InvokeProgressEvent) { progress = append(progress, e.Message) }}
	a.Invoke(context.Background(), action.InvokeRequest{Config: tfsdk.Config{Raw: raw, Schema: sr.Schema}}, &resp)
	return progress, resp.Diagnostics
}

func managedRobot() *fakeInventory {
	return &fakeInventory{id: nhi.Identity{System: "fake", Kind: "robot", Ref: nhi.Ref{Location: "ns", Name: "r"},
		Declared: true, Governance: nhi.Governance{Owner: "team:a"}}}
}

func diagText(d diag.Diagnostics) string {
	var b strings.Builder
	for _, x := range d {
		b.WriteString(x.Summary() + ": " + x.Detail() + "\n")
	}
	return b.String()
}

func TestInvokeDisable(t *testing.T) {
	t.Run("reports each change, the notes and a summary", func(t *testing.T) {
		inv := managedRobot()
		inv.changes = []string{"removed grant a", "turned b off"}
		progress, diags := invokeDisable(t, disablingInventory{inv}, "ns/r")
		if diags.HasError() {
			t.Fatal(diagText(diags))
		}
		want := []string{"reading robot ns/r", "disabling robot ns/r", "removed grant a", "turned b off", "note: a note", "robot ns/r disabled: 2 changes"}
		if strings.Join(progress, "|") != strings.Join(want, "|") {
			t.Errorf("progress %q, want %q", progress, want)
		}
		if want := time.Date(2027, 3, 31, 12, 0, 0, 0, time.UTC); !inv.at.Equal(want) {
			t.Errorf("disabled at %v, want the provider's evaluation time %v", inv.at, want)
		}
	})
	t.Run("credentials still usable are warnings, and the summary claims no more than was done", func(t *testing.T) {
		inv := managedRobot()
		inv.changes = []string{"removed grant a"}
		inv.usable = []string{"tokens of robot ns/r stay valid until they expire"}
		progress, diags := invokeDisable(t, disablingInventory{inv}, "ns/r")
		if diags.HasError() {
			t.Fatal(diagText(diags))
		}
		if len(diags) != 1 || diags[0].Severity() != diag.SeverityWarning ||
			diagText(diags) != "Credentials still usable after nhi_disable: nhi_disable on robot ns/r could not end every credential: tokens of robot ns/r stay valid until they expire.\n" {
			t.Errorf("diagnostics %q, want one warning naming the tokens", diagText(diags))
		}
		if got, want := progress[len(progress)-1], "robot ns/r: 1 change made; some credentials are still usable (see the warnings)"; got != want {
			t.Errorf("summary %q, want %q", got, want)
		}
		inv.changes = nil
		progress, _ = invokeDisable(t, disablingInventory{inv}, "ns/r")
		if got, want := progress[len(progress)-1], "robot ns/r: nothing changed; some credentials are still usable (see the warnings)"; got != want {
			t.Errorf("summary with no change %q, want %q", got, want)
		}
	})
	t.Run("nothing to change", func(t *testing.T) {
		progress, diags := invokeDisable(t, disablingInventory{managedRobot()}, "ns/r")
		if diags.HasError() || progress[len(progress)-1] != "robot ns/r was already disabled: nothing changed" {
			t.Errorf("progress %q, diagnostics %s", progress, diagText(diags))
		}
	})
	t.Run("a failure half-way names what changed before it", func(t *testing.T) {
		inv := managedRobot()
		inv.changes = []string{"removed grant a"}
		inv.fail = errors.New("the server went away")
		_, diags := invokeDisable(t, disablingInventory{inv}, "ns/r")
		got := diagText(diags)
		for _, w := range []string{"Disabling the robot failed", "disabling robot ns/r: the server went away", "Changed before the failure:\n- removed grant a", "Run the action again"} {
			if !strings.Contains(got, w) {
				t.Errorf("diagnostics do not say %q:\n%s", w, got)
			}
		}
	})
	t.Run("unmanaged identities are refused before anything runs", func(t *testing.T) {
		for name, id := range map[string]nhi.Identity{
			"undeclared":             {Ref: nhi.Ref{Location: "ns", Name: "r"}},
			"marker without owner":   {Ref: nhi.Ref{Location: "ns", Name: "r"}, Declared: true},
			"owner without a marker": {Ref: nhi.Ref{Location: "ns", Name: "r"}, Governance: nhi.Governance{Owner: "x"}},
		} {
			inv := &fakeInventory{id: id, changes: []string{"must not run"}}
			progress, diags := invokeDisable(t, disablingInventory{inv}, "ns/r")
			got := diagText(diags)
			if !strings.Contains(got, `Identity not managed by this provider: robot ns/r carries no governance markers of this provider (annotation_prefix "nhi.dev")`) ||
				!strings.Contains(got, "import it into a nhi_fake_robot resource") || strings.Contains(strings.Join(progress, "|"), "must not run") {
				t.Errorf("%s: progress %q, diagnostics %s", name, progress, got)
			}
			if p := diags[0].(diag.DiagnosticWithPath).Path().String(); p != "id" {
				t.Errorf("%s: the diagnostic is on %q, want id", name, p)
			}
		}
	})
	t.Run("missing identity", func(t *testing.T) {
		_, diags := invokeDisable(t, disablingInventory{managedRobot()}, "ns/other")
		if got := diagText(diags); !strings.Contains(got, "Identity not found: robot ns/other does not exist in Fake") {
			t.Errorf("diagnostics %s", got)
		}
	})
	t.Run("a connector without the action", func(t *testing.T) {
		_, diags := invokeDisable(t, managedRobot(), "ns/r")
		if got := diagText(diags); !strings.Contains(got, "Action not supported: the Fake connector does not implement nhi_disable, so nothing was changed") {
			t.Errorf("diagnostics %s", got)
		}
	})
	t.Run("malformed id", func(t *testing.T) {
		_, diags := invokeDisable(t, disablingInventory{managedRobot()}, "just-a-name")
		if got := diagText(diags); !strings.Contains(got, `Invalid identity ID: id "just-a-name" is not a valid fake identity ID: expected "namespace/name"`) {
			t.Errorf("diagnostics %s", got)
		}
	})
}
