package provider

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/resource"
)

// listPending are governed resource types of systems with a connector that
// have no list resource yet, each with why. An entry that gets one fails
// the test: remove it.
var listPending = map[string]string{}

// Every resource type has an identity (Terraform 1.12+); every list
// resource lists a registered resource type, once; and every resource type
// that declares a kind or credential of a system the provider can list
// has its list resource (terraform query).
func TestListResourcesAndIdentities(t *testing.T) {
	ctx := context.Background()
	p := New("test")().(*nhiProvider)
	types := map[string]resource.Resource{}
	for _, f := range p.Resources(ctx) {
		r := f()
		var md resource.MetadataResponse
		r.Metadata(ctx, resource.MetadataRequest{ProviderTypeName: "nhi"}, &md)
		types[md.TypeName] = r
		if _, ok := r.(resource.ResourceWithIdentity); !ok {
			t.Errorf("%s has no resource identity: give it a framework.Identity (internal/framework/identity.go)", md.TypeName)
		}
	}
	listed := map[string]bool{}
	for _, f := range p.ListResources(ctx) {
		l := f()
		var md resource.MetadataResponse
		l.Metadata(ctx, resource.MetadataRequest{ProviderTypeName: "nhi"}, &md)
		if listed[md.TypeName] {
			t.Errorf("two list resources are named %s", md.TypeName)
		}
		listed[md.TypeName] = true
		if _, ok := types[md.TypeName]; !ok {
			t.Errorf("list resource %s lists no registered resource type", md.TypeName)
		}
		var sr list.ListResourceSchemaResponse
		l.ListResourceConfigSchema(ctx, list.ListResourceSchemaRequest{}, &sr)
		if sr.Diagnostics.HasError() || sr.Schema.Attributes["declared"] == nil || sr.Schema.Attributes["owner"] == nil {
			t.Errorf("list resource %s has no declared and owner filters: %v", md.TypeName, sr.Diagnostics)
		}
	}
	for _, s := range p.listable() {
		var governed []string
		for _, k := range s.Core.Kinds {
			governed = append(governed, k.ResourceType)
		}
		for _, c := range s.Core.Credentials {
			governed = append(governed, c.ResourceType)
		}
		for _, typ := range governed {
			if typ == "" || types[typ] == nil {
				continue
			}
			why, pending := listPending[typ]
			switch {
			case listed[typ] && pending:
				t.Errorf("%s has a list resource now: remove it from listPending (%s)", typ, why)
			case !listed[typ] && !pending:
				t.Errorf("%s (system %s) has no list resource: add a framework.NewList(ListKind{...}) to its system's ListResources", typ, s.Core.Name)
			}
		}
	}
}
