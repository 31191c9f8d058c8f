package framework

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// ExpiryType is a string attribute holding an expiry, where "2027-03-31" and
// "2027-03-31T00:00:00Z" denote the same instant. Semantic equality keeps
// whichever form the user wrote, so refresh and import show no false diff.
type ExpiryType struct{ basetypes.StringType }

var (
	_ basetypes.StringTypable                    = ExpiryType{}
	_ basetypes.StringValuableWithSemanticEquals = ExpiryValue{}
)

func (t ExpiryType) Equal(o attr.Type) bool { _, ok := o.(ExpiryType); return ok }
func (t ExpiryType) String() string         { return "framework.ExpiryType" }

func (t ExpiryType) ValueFromString(_ context.Context, in basetypes.StringValue) (basetypes.StringValuable, diag.Diagnostics) {
	return ExpiryValue{StringValue: in}, nil
}

func (t ExpiryType) ValueFromTerraform(ctx context.Context, in tftypes.Value) (attr.Value, error) {
	v, err := t.StringType.ValueFromTerraform(ctx, in)
	if err != nil {
		return nil, err
	}
	s, ok := v.(basetypes.StringValue)
	if !ok {
		return nil, fmt.Errorf("unexpected value type %T", v)
	}
	return ExpiryValue{StringValue: s}, nil
}

func (t ExpiryType) ValueType(context.Context) attr.Value { return ExpiryValue{} }

// ExpiryValue is a value of ExpiryType.
type ExpiryValue struct{ basetypes.StringValue }

// NewExpiryValue wraps a known string.
func NewExpiryValue(s string) ExpiryValue {
	return ExpiryValue{StringValue: basetypes.NewStringValue(s)}
}

func (v ExpiryValue) Equal(o attr.Value) bool {
	ov, ok := o.(ExpiryValue)
	return ok && v.StringValue.Equal(ov.StringValue)
}

func (v ExpiryValue) Type(context.Context) attr.Type { return ExpiryType{} }

// StringSemanticEquals reports whether both denote the same instant.
func (v ExpiryValue) StringSemanticEquals(_ context.Context, nv basetypes.StringValuable) (bool, diag.Diagnostics) {
	o, ok := nv.(ExpiryValue)
	if !ok {
		return false, nil
	}
	a, err1 := nhi.ParseExpiry(v.ValueString())
	b, err2 := nhi.ParseExpiry(o.ValueString())
	return err1 == nil && err2 == nil && a.Equal(b), nil
}
