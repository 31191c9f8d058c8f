package framework

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// EachString applies a string validator to every element of a list or set,
// reporting errors at the element's path.
type EachString struct{ V validator.String }

// Each wraps v for lists and sets.
func Each(v validator.String) EachString { return EachString{V: v} }

var (
	_ validator.List = EachString{}
	_ validator.Set  = EachString{}
)

func (e EachString) Description(ctx context.Context) string {
	return "each element: " + e.V.Description(ctx)
}
func (e EachString) MarkdownDescription(ctx context.Context) string { return e.Description(ctx) }

func (e EachString) ValidateList(ctx context.Context, req validator.ListRequest, resp *validator.ListResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	for i, el := range req.ConfigValue.Elements() {
		e.one(ctx, req.Path.AtListIndex(i), el, req.Config, &resp.Diagnostics)
	}
}

func (e EachString) ValidateSet(ctx context.Context, req validator.SetRequest, resp *validator.SetResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	for _, el := range req.ConfigValue.Elements() {
		e.one(ctx, req.Path.AtSetValue(el), el, req.Config, &resp.Diagnostics)
	}
}

func (e EachString) one(ctx context.Context, p path.Path, el attr.Value, cfg tfsdk.Config, diags *diag.Diagnostics) {
	s, ok := el.(types.String)
	if !ok {
		return
	}
	r := &validator.StringResponse{}
	e.V.ValidateString(ctx, validator.StringRequest{Path: p, ConfigValue: s, Config: cfg}, r)
	diags.Append(r.Diagnostics...)
}
