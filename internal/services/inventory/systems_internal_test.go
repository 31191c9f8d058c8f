package inventory

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/nhi-ops/terraform-provider-nhi/internal/clock"
	"github.com/nhi-ops/terraform-provider-nhi/internal/framework"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/services/aws"
	"github.com/nhi-ops/terraform-provider-nhi/internal/services/kubernetes"
	"github.com/nhi-ops/terraform-provider-nhi/internal/system"
)

var testSystems = []framework.System{kubernetes.System(), aws.System()}

func schemaOf(t *testing.T, ds datasource.DataSource) schema.Schema {
	t.Helper()
	var resp datasource.SchemaResponse
	ds.Schema(context.Background(), datasource.SchemaRequest{}, &resp)
	if resp.Diagnostics.HasError() {
		t.Fatal(resp.Diagnostics)
	}
	return resp.Schema
}

func validateString(vs []validator.String, v string) diag.Diagnostics {
	var diags diag.Diagnostics
	for _, val := range vs {
		r := &validator.StringResponse{}
		val.ValidateString(context.Background(), validator.StringRequest{Path: path.Root("x"), ConfigValue: types.StringValue(v)}, r)
		diags.Append(r.Diagnostics...)
	}
	return diags
}

// The system filter accepts the registered systems only, and the namespace
// filter is checked by the systems whose locations are namespaces.
func TestFiltersFromRegistry(t *testing.T) {
	s := schemaOf(t, NewIdentities(testSystems)())
	sys := s.Attributes["system"].(schema.StringAttribute)
	for _, ok := range []string{"kubernetes", "aws"} {
		if d := validateString(sys.Validators, ok); d.HasError() {
			t.Errorf("system %q refused: %v", ok, d)
		}
	}
	if d := validateString(sys.Validators, "gcp"); !d.HasError() {
		t.Error(`system "gcp" accepted`)
	}
	if !strings.Contains(sys.MarkdownDescription, "`kubernetes` or `aws`") || !strings.Contains(sys.MarkdownDescription, "keeps Kubernetes only") {
		t.Errorf("system description: %s", sys.MarkdownDescription)
	}
	ns := s.Attributes["namespace"].(schema.StringAttribute)
	if d := validateString(ns.Validators, "Not_A_Namespace"); !d.HasError() || d[0].Summary() != "Invalid namespace" {
		t.Errorf("namespace validation: %v", d)
	}
	u := schemaOf(t, NewUndeclared(testSystems)())
	excluded := u.Attributes["excluded"].(schema.ListNestedAttribute).MarkdownDescription
	if want := "`system_namespace`, `default_service_account`, `aws_service_linked_role`, `aws_reserved_sso_role` or `ignore_pattern`"; !strings.Contains(excluded, want) {
		t.Errorf("excluded description %q does not list %s", excluded, want)
	}
}

type fakeInv struct{ name string }

func (f fakeInv) System() string { return f.name }
func (f fakeInv) List(_ context.Context, opts nhi.ListOptions) (nhi.Page, error) {
	loc := "fixed"
	if len(opts.Locations) > 0 {
		loc = opts.Locations[0]
	}
	return nhi.Page{Identities: []nhi.Identity{{System: f.name, Ref: nhi.Ref{Location: loc, Name: f.name}}}}, nil
}
func (f fakeInv) Get(context.Context, nhi.Ref) (nhi.Identity, error) {
	return nhi.Identity{}, nhi.ErrNotFound
}

// A namespace filter keeps the systems whose descriptor says their
// locations are namespaces; the system filter keeps one system.
func TestListAllLocationFilter(t *testing.T) {
	conn := func(name string) framework.Connector {
		return &framework.Lazy[fakeInv]{Name: name, Title: name, Block: true,
			Build: func(context.Context) (fakeInv, error) { return fakeInv{name}, nil }}
	}
	reg := system.NewRegistry(system.Descriptor{Name: "ns", LocationFilter: "namespace"}, system.Descriptor{Name: "flat"})
	pd := framework.NewProviderData(clock.System{}, nhi.DefaultPolicy(), "nhi.dev", reg, conn("ns"), conn("flat"))
	names := func(ids []nhi.Identity) string {
		var out []string
		for _, id := range ids {
			out = append(out, id.System)
		}
		return strings.Join(out, ",")
	}
	for _, c := range []struct {
		system, namespace, want string
	}{
		{"", "", "ns,flat"},
		{"", "team-a", "ns"},
		{"flat", "", "flat"},
		{"flat", "team-a", ""},
	} {
		var opts nhi.ListOptions
		if c.namespace != "" {
			opts.Locations = []string{c.namespace}
		}
		var diags diag.Diagnostics
		if got := names(listAll(context.Background(), pd, c.system, opts, &diags)); got != c.want || diags.HasError() {
			t.Errorf("system %q namespace %q: listed %q (%v), want %q", c.system, c.namespace, got, diags, c.want)
		}
	}
}

// A connector that cannot connect fails the listing with its system's hint.
func TestListAllConnectionHint(t *testing.T) {
	c := &framework.Lazy[fakeInv]{Name: "flat", Title: "Flat", Hint: "Configure the provider's flat block.", Block: true,
		Build: func(context.Context) (fakeInv, error) { return fakeInv{}, context.DeadlineExceeded }}
	pd := framework.NewProviderData(clock.System{}, nhi.DefaultPolicy(), "nhi.dev", nil, c)
	var diags diag.Diagnostics
	listAll(context.Background(), pd, "", nhi.ListOptions{}, &diags)
	if len(diags) != 1 || diags[0].Summary() != "A connector is not configured" ||
		diags[0].Detail() != "flat: context deadline exceeded\n\nConfigure the provider's flat block." {
		t.Errorf("diags = %v", diags)
	}
}
