package aws

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	awsc "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/aws"
	"github.com/nhi-ops/terraform-provider-nhi/internal/framework"
)

// hint says how to configure the connection, shown with connection errors.
const hint = "Configure the provider's aws block (region, profile, assume_role, endpoint) or the standard AWS environment variables and shared configuration files."

// System is AWS IAM as the provider sees it: the provider's aws block, its
// connector and its resources.
func System() framework.System {
	return framework.System{
		Core:    awsc.Descriptor(),
		Actions: framework.Actions{Disable: true, RevokeCredentials: true},
		Block: schema.SingleNestedBlock{
			MarkdownDescription: "How to reach AWS IAM, for the `nhi_aws_*` resources and for AWS in the inventory data sources (which list AWS only when this block is present). " +
				"Credentials come from the AWS SDK's standard chain: environment variables, the shared config and credentials files (`profile`), IAM Identity Center (SSO), " +
				"web identity, container and instance roles. The block holds no secrets.",
			Attributes: map[string]schema.Attribute{
				"region":  schema.StringAttribute{Optional: true, MarkdownDescription: "Region for STS and request signing (IAM is global). Defaults to `AWS_REGION` or the profile's region, then `us-east-1`."},
				"profile": schema.StringAttribute{Optional: true, MarkdownDescription: "Named profile of the shared configuration files. Defaults to `AWS_PROFILE`."},
				"endpoint": schema.StringAttribute{
					Optional: true, MarkdownDescription: "IAM and STS endpoint URL, for IAM-compatible systems and tests. Defaults to AWS's (`AWS_ENDPOINT_URL_IAM` and `AWS_ENDPOINT_URL_STS` also work).",
					Validators: []validator.String{framework.StringCheck{Summary: "Invalid endpoint", Desc: "an http(s) URL", Check: httpURL}},
				},
				"max_attempts": schema.Int64Attribute{
					Optional: true, MarkdownDescription: "Attempts per API call, the first included, when IAM throttles (`Throttling`) or fails with a 5xx; backoff is jittered and capped at 10s, and every wait ends when Terraform cancels. Default 8.",
					// Not int64validator.Between: this message ("aws.max_attempts
					// is 0; it must be between 1 and 25") is the documented one.
					Validators: []validator.Int64{framework.Int64Between{Min: 1, Max: 25}},
				},
			},
			Blocks: map[string]schema.Block{
				"assume_role": schema.SingleNestedBlock{
					MarkdownDescription: "Assume this role with the credentials found, and act as it.",
					Attributes: map[string]schema.Attribute{
						"role_arn": schema.StringAttribute{Optional: true, MarkdownDescription: "ARN of the role to assume, such as `arn:aws:iam::123456789012:role/nhi-admin`.",
							Validators: []validator.String{framework.StringCheck{Summary: "Invalid role ARN", Desc: "a role ARN", Check: roleARN}}},
						"external_id":  schema.StringAttribute{Optional: true, MarkdownDescription: "External ID the role's trust policy requires."},
						"session_name": schema.StringAttribute{Optional: true, MarkdownDescription: "Session name, seen in CloudTrail. Default `terraform-provider-nhi`."},
					},
				},
			},
		},
		Configure: configure,
		Resources: []func() resource.Resource{
			NewIAMUserResource,
			NewIAMRoleResource,
			NewIAMAccessKeyResource,
		},
		ListResources: ListResources(),
		ScopeExamples: []string{"policy:arn:aws:iam::aws:policy/AdministratorAccess"},
	}
}

// iam is the AWS IAM connector of the provider.
func iam(pd *framework.ProviderData) *framework.Lazy[*awsc.Client] {
	return framework.Connection[*awsc.Client](pd, awsc.SystemName)
}

// tags are the governance tag keys the connector writes, known without
// connecting.
func tags(pd *framework.ProviderData) awsc.Markers {
	return awsc.Markers{Prefix: awsc.TagPrefix(pd.Prefix)}
}

type blockModel struct {
	Region      types.String     `tfsdk:"region"`
	Profile     types.String     `tfsdk:"profile"`
	Endpoint    types.String     `tfsdk:"endpoint"`
	MaxAttempts types.Int64      `tfsdk:"max_attempts"`
	AssumeRole  *assumeRoleModel `tfsdk:"assume_role"`
}

type assumeRoleModel struct {
	RoleARN     types.String `tfsdk:"role_arn"`
	ExternalID  types.String `tfsdk:"external_id"`
	SessionName types.String `tfsdk:"session_name"`
}

func (a *blockModel) unknown() []string {
	vals := map[string]attr.Value{"region": a.Region, "profile": a.Profile, "endpoint": a.Endpoint, "max_attempts": a.MaxAttempts}
	if r := a.AssumeRole; r != nil {
		vals["assume_role.role_arn"], vals["assume_role.external_id"], vals["assume_role.session_name"] = r.RoleARN, r.ExternalID, r.SessionName
	}
	return framework.UnknownAttrs(vals)
}

// configure reads the aws block. Without one the connector still serves the
// nhi_aws_* resources from the SDK's standard chain, but the inventory data
// sources leave AWS out. Values not known yet are never replaced by AWS_*
// variables: the connector waits for the apply.
func configure(ctx context.Context, req framework.ConfigureRequest) (framework.Connector, diag.Diagnostics) {
	var a *blockModel
	diags := req.Config.GetAttribute(ctx, path.Root(awsc.SystemName), &a)
	if diags.HasError() {
		return nil, diags
	}
	var conn awsc.Connection
	var unknown []string
	if a != nil {
		unknown = a.unknown()
		conn.MaxAttempts = int(a.MaxAttempts.ValueInt64())
		setIf(&conn.Region, a.Region)
		setIf(&conn.Profile, a.Profile)
		setIf(&conn.Endpoint, a.Endpoint)
		if r := a.AssumeRole; r != nil {
			setIf(&conn.AssumeRoleARN, r.RoleARN)
			setIf(&conn.AssumeRoleExternalID, r.ExternalID)
			setIf(&conn.AssumeRoleSessionName, r.SessionName)
		}
	}
	prefix := req.Prefix
	return &framework.Lazy[*awsc.Client]{
		Name: awsc.SystemName, Title: "AWS", Hint: hint,
		Block: a != nil, Unknown: unknown,
		Build: func(ctx context.Context) (*awsc.Client, error) { return awsc.New(ctx, conn, prefix) },
	}, diags
}

func httpURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL such as \"https://iam.amazonaws.com\"", s)
	}
	return nil
}

func roleARN(s string) error {
	if !strings.HasPrefix(s, "arn:") || !strings.Contains(s, ":role/") {
		return fmt.Errorf("%q is not a role ARN such as \"arn:aws:iam::123456789012:role/nhi-admin\"", s)
	}
	return nil
}

// setIf copies a known, non-empty value; callers have checked unknowns.
func setIf(dst *string, v types.String) {
	if s := v.ValueString(); s != "" {
		*dst = s
	}
}
