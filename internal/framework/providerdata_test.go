package framework

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// fakeInv is an inventory of one system.
type fakeInv struct {
	nhi.Inventory
	name string
}

func (f fakeInv) System() string { return f.name }

func lazy(name string, block, auto bool, unknown ...string) *Lazy[fakeInv] {
	return &Lazy[fakeInv]{Name: name, Title: strings.ToUpper(name), Hint: "configure " + name, Block: block, Auto: auto, Unknown: unknown,
		Build: func(context.Context) (fakeInv, error) { return fakeInv{name: name}, nil }}
}

func systemsOf(invs []nhi.Inventory) string {
	var names []string
	for _, i := range invs {
		names = append(names, i.System())
	}
	return strings.Join(names, ",")
}

// The inventory data sources list the systems whose block is present or,
// with none present, those listed without one: with today's two systems,
// "Kubernetes unless only AWS is configured; AWS when its block is present".
func TestInventories(t *testing.T) {
	for _, c := range []struct {
		name        string
		kube, other bool
		want        string
	}{
		{"no block", false, false, "implicit"},
		{"implicit's block", true, false, "implicit"},
		{"other's block only", false, true, "other"},
		{"both blocks", true, true, "implicit,other"},
	} {
		pd := NewProviderData(nil, nhi.Policy{}, "nhi.dev", nil, lazy("implicit", c.kube, true), lazy("other", c.other, false))
		invs, err := pd.Inventories(context.Background(), nil)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := systemsOf(invs); got != c.want {
			t.Errorf("%s: lists %q, want %q", c.name, got, c.want)
		}
	}
}

// A connector whose configuration is unknown fails the listing with the
// unknown-configuration error, naming the system and its attributes, and
// carries the system's hint.
func TestInventoriesUnknown(t *testing.T) {
	pd := NewProviderData(nil, nhi.Policy{}, "nhi.dev", nil, lazy("implicit", true, true, "host"))
	_, err := pd.Inventories(context.Background(), nil)
	if !errors.Is(err, ErrConfigUnknown) {
		t.Fatalf("err = %v, want ErrConfigUnknown", err)
	}
	var ce *ConnectorError
	if !errors.As(err, &ce) || ce.Hint != "configure implicit" || ce.System != "implicit" {
		t.Fatalf("err = %#v, want a ConnectorError with the hint", err)
	}
	if want := "implicit: provider configuration is not known yet: implicit.host depends on values"; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("err = %q, want prefix %q", err, want)
	}
}

// Connection finds a system's typed connector; without one, the connector
// fails on first use with a diagnostic, and a wrong type panics.
func TestConnection(t *testing.T) {
	l := lazy("implicit", true, true)
	pd := NewProviderData(nil, nhi.Policy{}, "nhi.dev", nil, l)
	if got := Connection[fakeInv](pd, "implicit"); got != l {
		t.Errorf("Connection returned %p, want %p", got, l)
	}
	var diags diag.Diagnostics
	if _, ok := Connection[fakeInv](pd, "missing").OrDiag(context.Background(), &diags); ok || !diags.HasError() ||
		!strings.Contains(diags[0].Detail(), "the provider has no missing connector") {
		t.Errorf("missing connector: ok %v, diags %v", ok, diags)
	}
	defer func() {
		if recover() == nil {
			t.Error("a connector of another type did not panic")
		}
	}()
	Connection[nhi.Inventory](pd, "implicit")
}

// ForPlan waits without a diagnostic while the configuration is unknown;
// OrDiag says it is not known yet.
func TestLazyUnknown(t *testing.T) {
	l := lazy("implicit", true, true, "host")
	var diags diag.Diagnostics
	if _, ok := l.ForPlan(context.Background(), &diags); ok || diags.HasError() {
		t.Errorf("ForPlan: ok %v, diags %v", ok, diags)
	}
	if _, ok := l.OrDiag(context.Background(), &diags); ok || len(diags) != 1 || diags[0].Summary() != "IMPLICIT connection is not known yet" {
		t.Errorf("OrDiag: ok %v, diags %v", ok, diags)
	}
}
