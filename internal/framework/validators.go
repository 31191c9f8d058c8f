// Package framework holds the Terraform-layer pieces every service shares:
// attribute validators, the provider data handed to resources, and
// diagnostics helpers. Rules themselves live in internal/nhi; validators here
// only translate them into attribute diagnostics.
package framework

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// StringCheck adapts a func(string) error into a string validator. The
// error text says what is wrong and what is expected; summary names the
// problem.
type StringCheck struct {
	Summary string
	Desc    string
	Check   func(string) error
}

var _ validator.String = StringCheck{}

func (v StringCheck) Description(context.Context) string         { return v.Desc }
func (v StringCheck) MarkdownDescription(context.Context) string { return v.Desc }

func (v StringCheck) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if err := v.Check(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, v.Summary, fmt.Sprintf("%s %s", HumanPath(req.Path), err))
	}
}

// HumanPath renders an attribute path for a person: a set element is named
// by its set ("scopes"), since its value is quoted in the message anyway.
func HumanPath(p path.Path) string {
	for {
		last, _ := p.Steps().LastStep()
		if last == nil {
			return p.String()
		}
		if _, isSet := last.(path.PathStepElementKeyValue); !isSet {
			return p.String()
		}
		p = p.ParentPath()
	}
}

// NotBlank rejects empty and whitespace-only strings.
func NotBlank(what string) validator.String {
	return StringCheck{
		Summary: "Missing " + what,
		Desc:    "must not be empty or whitespace",
		Check: func(s string) error {
			if strings.TrimSpace(s) == "" {
				return fmt.Errorf("is empty: %s", blankHint(what))
			}
			if strings.TrimSpace(s) != s {
				return fmt.Errorf("%q has leading or trailing whitespace; remove it", s)
			}
			if strings.HasPrefix(s, nhi.Placeholder) {
				return fmt.Errorf("is still the placeholder %q written by `drift --generate-imports`: %s", s, blankHint(what))
			}
			return nil
		},
	}
}

func blankHint(what string) string {
	switch what {
	case "owner":
		return "set it to the person or team responsible, such as \"team:payments\" or \"alice@example.com\""
	case "purpose":
		return "say in a sentence why this identity exists, such as \"deploys the payments service from CI\""
	}
	return "set a value"
}

// Expiry accepts RFC 3339 timestamps and YYYY-MM-DD dates.
func Expiry() validator.String {
	return StringCheck{
		Summary: "Invalid expiry",
		Desc:    "an RFC 3339 timestamp or a YYYY-MM-DD date",
		Check: func(s string) error {
			if strings.HasPrefix(s, nhi.Placeholder) {
				return fmt.Errorf("is still the placeholder %q written by `drift --generate-imports`: set the date this identity ends, such as \"2027-03-31\"", s)
			}
			_, err := nhi.ParseExpiry(s)
			return err
		},
	}
}

// Duration accepts durations with day and week units ("30d", "2w", "12h").
func Duration() validator.String {
	return StringCheck{
		Summary: "Invalid duration",
		Desc:    "a duration such as \"30d\", \"2w\" or \"12h\"",
		Check:   func(s string) error { _, err := nhi.ParseDuration(s); return err },
	}
}

// Regex accepts a regular expression.
func Regex() validator.String {
	return StringCheck{
		Summary: "Invalid regular expression",
		Desc:    "a regular expression",
		Check:   func(s string) error { _, err := nhi.CompileOwnerPattern(s); return err },
	}
}

// ScopePattern accepts a scope glob.
func ScopePattern() validator.String {
	return StringCheck{
		Summary: "Invalid scope pattern",
		Desc:    "a scope or a glob over scopes",
		Check:   nhi.ValidateScopePattern,
	}
}

// OneOf accepts only the listed values.
func OneOf(values ...string) validator.String {
	return StringCheck{
		Summary: "Invalid value",
		Desc:    "one of " + quoteJoin(values),
		Check: func(s string) error {
			for _, v := range values {
				if s == v {
					return nil
				}
			}
			return fmt.Errorf("is %q; expected one of %s", s, quoteJoin(values))
		},
	}
}

func quoteJoin(values []string) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, ", ")
}

// Int64Between accepts integers in [min, max].
type Int64Between struct{ Min, Max int64 }

var _ validator.Int64 = Int64Between{}

func (v Int64Between) Description(context.Context) string {
	return fmt.Sprintf("between %d and %d", v.Min, v.Max)
}
func (v Int64Between) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v Int64Between) ValidateInt64(_ context.Context, req validator.Int64Request, resp *validator.Int64Response) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if n := req.ConfigValue.ValueInt64(); n < v.Min || n > v.Max {
		resp.Diagnostics.AddAttributeError(req.Path, "Value out of range", fmt.Sprintf("%s is %d; it must be between %d and %d.", HumanPath(req.Path), n, v.Min, v.Max))
	}
}
