package aws

import (
	"context"
	"net/url"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/system"
)

// SourceConfig is a drift `source "aws" "<name>"` block: an account,
// reached with the SDK's standard credential chain (the block never holds
// secrets), optionally through a read-only audit role.
type SourceConfig struct {
	Profile    string
	Region     string
	Endpoint   string
	AssumeRole string
	ExternalID string
	// AnnotationPrefix is the prefix the governance tags derive from;
	// empty is the default.
	AnnotationPrefix string
}

// sessionName names the drift reporter's assumed-role sessions in
// CloudTrail.
const sessionName = "nhi-drift"

var sourceSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "profile"}, {Name: "region"}, {Name: "endpoint"}, {Name: "assume_role"}, {Name: "external_id"}, {Name: "annotation_prefix"},
}}

// source is the drift `source "aws"` block.
func source() system.Source {
	return system.Source{
		Schema:  sourceSchema,
		Example: `source "aws" "prod" { profile = "audit" }`,
		Decode:  decodeSource,
	}
}

// decodeSource reads `source "aws" "<name>" { profile, region, endpoint,
// assume_role, external_id, annotation_prefix }`.
func decodeSource(attrs hcl.Attributes, _ string) (system.SourceConfig, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	s := &SourceConfig{}
	for _, f := range []struct {
		name string
		dst  *string
	}{
		{"profile", &s.Profile}, {"region", &s.Region}, {"endpoint", &s.Endpoint}, {"assume_role", &s.AssumeRole},
		{"external_id", &s.ExternalID}, {"annotation_prefix", &s.AnnotationPrefix},
	} {
		if a, ok := attrs[f.name]; ok {
			var d hcl.Diagnostics
			*f.dst, d = system.String(a)
			diags = append(diags, d...)
		}
	}
	if a, ok := attrs["endpoint"]; ok && s.Endpoint != "" {
		if u, err := url.Parse(s.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			diags = append(diags, system.Errorf(a.Expr.Range(), "Invalid endpoint", "endpoint %q must be an http(s) URL such as \"https://iam.amazonaws.com\".", s.Endpoint))
		}
	}
	if a, ok := attrs["assume_role"]; ok && s.AssumeRole != "" && !strings.HasPrefix(s.AssumeRole, "arn:") {
		diags = append(diags, system.Errorf(a.Expr.Range(), "Invalid role ARN", "assume_role %q must be a role ARN such as \"arn:aws:iam::123456789012:role/nhi-drift-reader\".", s.AssumeRole))
	}
	return s, diags
}

// Locations implements system.SourceConfig: an account is scanned whole.
func (s *SourceConfig) Locations() []string { return nil }

// Connect implements system.SourceConfig.
func (s *SourceConfig) Connect(ctx context.Context) (nhi.Scanner, error) {
	c, err := New(ctx, Connection{
		Profile: s.Profile, Region: s.Region, Endpoint: s.Endpoint,
		AssumeRoleARN: s.AssumeRole, AssumeRoleExternalID: s.ExternalID, AssumeRoleSessionName: sessionName,
	}, s.AnnotationPrefix)
	if err != nil {
		return nil, err
	}
	return c, nil
}
