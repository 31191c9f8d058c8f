package aws

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	awsc "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/aws"
)

type roleModel struct {
	principalModel
	TrustPolicy types.String `tfsdk:"trust_policy"`
}

func (m *roleModel) common() *principalModel { return &m.principalModel }
func (m *roleModel) trust() types.String     { return m.TrustPolicy }
func (m *roleModel) setTrust(v types.String) { m.TrustPolicy = v }

var roleKind = kindSpec{
	typeSuffix: "aws_iam_role", noun: "IAM role", location: awsc.LocationRole, nameCheck: awsc.ValidateRoleName,
	prov:          (*awsc.Client).Roles,
	validateExtra: validateTrust,
	planExtra:     planTrust,
}

func validateTrust(m model, diags *diag.Diagnostics) {
	if sc := m.common().Scopes; !sc.IsNull() && !sc.IsUnknown() {
		for _, v := range sc.Elements() {
			if s, ok := v.(types.String); ok && strings.HasPrefix(s.ValueString(), "group:") {
				diags.AddAttributeError(path.Root("scopes"), "Roles cannot be in groups",
					fmt.Sprintf("scopes contains %q, but only IAM users are members of groups. Attach the group's policies to the role instead (policy:<ARN>).", s.ValueString()))
			}
		}
	}
	t := m.trust()
	if t.IsNull() || t.IsUnknown() {
		return
	}
	if err := awsc.ValidateTrustPolicy(t.ValueString()); err != nil {
		diags.AddAttributeError(path.Root("trust_policy"), "Invalid trust policy",
			fmt.Sprintf("trust_policy %v. Write it with jsonencode() as an assume-role policy: {\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Principal\": {...}, \"Action\": \"sts:AssumeRole\"}]}.", err))
	}
}

// planTrust flags a trust policy that lets any subject of an OIDC issuer
// assume the role (OWASP NHI6): a warning, or an error under the provider's
// policy.require_oidc_subject.
func planTrust(r *principalResource, _ context.Context, m model, diags *diag.Diagnostics) {
	t := m.trust()
	if t.IsNull() || t.IsUnknown() {
		return
	}
	for _, tr := range awsc.AnalyzeTrust(t.ValueString()) {
		if !tr.Unrestricted {
			continue
		}
		who := "every identity that issuer signs tokens for"
		if tr.Issuer == awsc.GitHubActionsIssuer {
			who = "a workflow in any repository on GitHub"
		}
		summary := "Trust policy lets any subject of an OIDC issuer assume the role"
		detail := fmt.Sprintf("trust_policy lets %s assume IAM role %s: %s. Add a condition naming exactly the subjects allowed, such as "+
			"\"StringEquals\": {\"%s:sub\": \"repo:<owner>/<repository>:ref:refs/heads/main\"} for GitHub Actions (OWASP NHI6).",
			who, m.common().Name.ValueString(), tr.Reason, tr.Issuer)
		if r.pd.RequireOIDCSubject {
			diags.AddAttributeError(path.Root("trust_policy"), summary, detail+" The provider's policy.require_oidc_subject makes this an error.")
		} else {
			diags.AddAttributeWarning(path.Root("trust_policy"), summary, detail+" Set the provider's policy.require_oidc_subject = true to make this an error.")
		}
	}
}

// NewIAMRoleResource is the factory of nhi_aws_iam_role.
func NewIAMRoleResource() resource.Resource {
	return &principalResource{
		kind: roleKind,
		newM: func() model { return &roleModel{} },
		attrs: func() map[string]schema.Attribute {
			a := commonAttributes(roleKind, true)
			a["trust_policy"] = schema.StringAttribute{Required: true,
				MarkdownDescription: "Who may assume the role: the assume-role policy document, as JSON (use `jsonencode()`). Compared as JSON. " +
					"A plan warns when an OIDC issuer's tokens could assume the role without a condition on their subject (`<issuer>:sub`), " +
					"or with one every subject matches; the provider's `policy.require_oidc_subject = true` makes that an error."}
			return a
		},
		desc: "An AWS IAM workload role declared with an owner, a purpose, a trust policy, the policies it may hold and an expiry. " +
			"Governance is recorded in IAM tags; exactly the declared managed and inline policies are kept, and policies added out of band " +
			"show in the next plan as removed. `on_expiry = \"disable\"` removes every policy and keeps the role and its trust policy.",
	}
}
