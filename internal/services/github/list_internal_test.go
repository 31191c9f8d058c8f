package github

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	gh "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/github"
	"github.com/nhi-ops/terraform-provider-nhi/internal/framework"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/system"
	"github.com/nhi-ops/terraform-provider-nhi/internal/testenv/githubfake"
)

// A repository filter of another owner is an error on repository that
// names the provider's organization and the repository to write instead;
// the organization's own (any case), a bare name or no filter pass.
func TestDeployKeyListRefusesAnotherOwner(t *testing.T) {
	s := githubfake.New()
	t.Cleanup(s.Close)
	ctx := context.Background()
	lazy := &framework.Lazy[*gh.Client]{Name: gh.SystemName, Title: "GitHub", Block: true, Build: func(ctx context.Context) (*gh.Client, error) {
		return gh.New(ctx, gh.Config{Organization: "acme", BaseURL: s.URL(), Token: s.Token()})
	}}
	pd := framework.NewProviderData(nil, nhi.Policy{}, "", system.NewRegistry(gh.Descriptor()), lazy)
	l := ListResources()[0]().(*deployKeyList)
	var cresp resource.ConfigureResponse
	l.Configure(ctx, resource.ConfigureRequest{ProviderData: pd}, &cresp)
	if cresp.Diagnostics.HasError() {
		t.Fatal(cresp.Diagnostics)
	}
	var sresp list.ListResourceSchemaResponse
	l.ListResourceConfigSchema(ctx, list.ListResourceSchemaRequest{}, &sresp)
	typ := sresp.Schema.Type().TerraformType(ctx).(tftypes.Object)
	config := func(repo *string) tfsdk.Config {
		vals := map[string]tftypes.Value{}
		for name, at := range typ.AttributeTypes {
			vals[name] = tftypes.NewValue(at, nil)
		}
		if repo != nil {
			vals["repository"] = tftypes.NewValue(tftypes.String, *repo)
		}
		return tfsdk.Config{Schema: sresp.Schema, Raw: tftypes.NewValue(typ, vals)}
	}
	for _, ok := range []string{"acme/app", "ACME/app", "app"} {
		if d := l.checkOwner(ctx, config(&ok)); d.HasError() {
			t.Errorf("%s: %v", ok, d)
		}
	}
	if d := l.checkOwner(ctx, config(nil)); d.HasError() {
		t.Errorf("no filter: %v", d)
	}
	other := "someone-else/app"
	d := l.checkOwner(ctx, config(&other))
	if len(d) != 1 || !d.HasError() {
		t.Fatalf("another owner: %v, want one error", d)
	}
	ad, ok := d[0].(interface{ Path() path.Path })
	if !ok || !ad.Path().Equal(path.Root("repository")) {
		t.Errorf("the error is not on repository: %#v", d[0])
	}
	for _, want := range []string{"organization acme only", `"acme/app"`, "someone-else"} {
		if !strings.Contains(d[0].Detail(), want) {
			t.Errorf("the detail %q does not say %q", d[0].Detail(), want)
		}
	}
}
