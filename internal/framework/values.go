package framework

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// StringSet is a known set of strings.
func StringSet(in []string) types.Set {
	vals := make([]attr.Value, 0, len(in))
	for _, s := range in {
		vals = append(vals, types.StringValue(s))
	}
	return types.SetValueMust(types.StringType, vals)
}

// TrimQuoted adapts a connector check whose errors start with the quoted
// value: the diagnostic already starts with the attribute path, and the
// value is quoted in the rest of the message where it matters.
func TrimQuoted(f func(string) error) func(string) error {
	return func(s string) error {
		err := f(s)
		if err == nil {
			return nil
		}
		return fmt.Errorf("%s", strings.TrimPrefix(err.Error(), fmt.Sprintf("%q ", s)))
	}
}

// SetStrings returns a set's strings, or nil when it is null or unknown
// (so callers can tell "not known yet" from "empty").
func SetStrings(ctx context.Context, s types.Set, diags *diag.Diagnostics) []string {
	if s.IsUnknown() || s.IsNull() {
		return nil
	}
	out := []string{}
	diags.Append(s.ElementsAs(ctx, &out, false)...)
	return out
}
