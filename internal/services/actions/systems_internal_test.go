package actions

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/action/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	gh "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/github"
	"github.com/nhi-ops/terraform-provider-nhi/internal/framework"
	"github.com/nhi-ops/terraform-provider-nhi/internal/services/aws"
	"github.com/nhi-ops/terraform-provider-nhi/internal/services/github"
	"github.com/nhi-ops/terraform-provider-nhi/internal/services/kubernetes"
	"github.com/nhi-ops/terraform-provider-nhi/internal/services/postgresql"
	"github.com/nhi-ops/terraform-provider-nhi/internal/services/saas"
)

// registered are the provider's systems, as internal/provider/systems.go
// registers them.
func registered() []framework.System {
	return []framework.System{kubernetes.System(), aws.System(), postgresql.System(), github.System(), saas.System()}
}

func actionSchema(t *testing.T, a action.Action) schema.Schema {
	t.Helper()
	var sr action.SchemaResponse
	a.Schema(context.Background(), action.SchemaRequest{}, &sr)
	if sr.Diagnostics.HasError() {
		t.Fatalf("schema: %v", sr.Diagnostics)
	}
	return sr.Schema
}

// TestActionsOfferOnlySupportingSystems: each action documents and accepts
// only the systems whose connector implements it (System.Actions); GitHub,
// whose client is neither a Disabler nor a CredentialRevoker, is refused at
// validate time with the supported systems named.
func TestActionsOfferOnlySupportingSystems(t *testing.T) {
	for _, factory := range All(registered()) {
		a := factory()
		var mr action.MetadataResponse
		a.Metadata(context.Background(), action.MetadataRequest{ProviderTypeName: "nhi"}, &mr)
		t.Run(mr.TypeName, func(t *testing.T) {
			s := actionSchema(t, a)
			sys := s.Attributes["system"].(schema.StringAttribute)
			if want := "The identity's system: `kubernetes`, `aws` or `postgresql`."; sys.MarkdownDescription != want {
				t.Errorf("system description = %q, want %q", sys.MarkdownDescription, want)
			}
			id := s.Attributes["id"].(schema.StringAttribute).MarkdownDescription
			for _, text := range []string{s.MarkdownDescription, id} {
				for _, banned := range []string{"GitHub", "github", "repository", "saas"} {
					if strings.Contains(text, banned) {
						t.Errorf("docs mention %q, a system without %s:\n%s", banned, mr.TypeName, text)
					}
				}
			}
			for _, form := range []string{"`namespace/name` (service account)", "`user/name` (IAM user)", "`role/name` (IAM role)", "`role/name` (login role)"} {
				if !strings.Contains(id, form) {
					t.Errorf("id description lacks %s: %s", form, id)
				}
			}
			var resp validator.StringResponse
			for _, v := range sys.Validators {
				v.ValidateString(context.Background(), validator.StringRequest{Path: path.Root("system"), ConfigValue: types.StringValue(gh.SystemName)}, &resp)
			}
			if !resp.Diagnostics.HasError() {
				t.Fatalf("system = %q accepted", gh.SystemName)
			}
			msg := resp.Diagnostics.Errors()[0].Detail()
			for _, name := range []string{`"kubernetes"`, `"aws"`, `"postgresql"`} {
				if !strings.Contains(msg, name) {
					t.Errorf("refusal does not name %s: %s", name, msg)
				}
			}
		})
	}
}

// TestParseIDGitHub: a GitHub descriptor's kinds have no ID form the
// actions parse ("owner/repo/key_id" holds a slash in its location, the
// others have no location attribute), so parseID documents only forms it
// accepts, and refuses the rest.
func TestParseIDGitHub(t *testing.T) {
	d := gh.Descriptor()
	var forms []string
	for _, k := range d.Kinds {
		if f, ok := idForm(k); ok {
			forms = append(forms, f)
			if _, _, err := parseID(d, strings.ReplaceAll(strings.ReplaceAll(f, k.LocationAttr, "loc"), k.NameAttr, "n")); err != nil {
				t.Errorf("documented form %q refused: %v", f, err)
			}
		}
	}
	if _, _, err := parseID(d, "acme/app/123"); err == nil {
		t.Errorf("parseID accepted a location with a slash; documented forms %q", forms)
	}
	for _, k := range d.Kinds {
		if k.Location == "" && k.LocationAttr == "" {
			if f, ok := idForm(k); ok {
				t.Errorf("kind %s without a location is documented as %q", k.Kind, f)
			}
		}
	}
}
