package aws

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/nhi-ops/terraform-provider-nhi/internal/framework"
)

// The open-trust check is a warning by default and an error under
// policy.require_oidc_subject; a narrow subject raises nothing.
func TestPlanTrust(t *testing.T) {
	doc := func(sub string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},` +
			`"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringLike":{"token.actions.githubusercontent.com:sub":"` + sub + `"}}}]}`
	}
	for _, c := range []struct {
		sub            string
		strict         bool
		warns, errors_ int
	}{
		{"repo:*", false, 1, 0},
		{"repo:*", true, 0, 1},
		{"repo:acme/deploy:ref:refs/heads/main", true, 0, 0},
	} {
		r := &principalResource{pd: &framework.ProviderData{RequireOIDCSubject: c.strict}, kind: roleKind}
		m := &roleModel{TrustPolicy: types.StringValue(doc(c.sub))}
		m.Name = types.StringValue("deploy")
		var diags diag.Diagnostics
		planTrust(r, context.Background(), m, &diags)
		if diags.WarningsCount() != c.warns || diags.ErrorsCount() != c.errors_ {
			t.Errorf("sub %q strict %v: %d warnings, %d errors; want %d, %d: %v", c.sub, c.strict, diags.WarningsCount(), diags.ErrorsCount(), c.warns, c.errors_, diags)
		}
		for _, d := range diags {
			if !strings.Contains(d.Detail(), "any repository on GitHub") || !strings.Contains(d.Detail(), "require_oidc_subject") {
				t.Errorf("detail does not say who and how to fix: %s", d.Detail())
			}
		}
	}
}
