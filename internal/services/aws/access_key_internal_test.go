package aws

import (
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// A key moved to a user that does not exist yet is warned about: the
// warning names the key and Secret a typo would delete, and the way out.
func TestUserMissingForReplacementWarning(t *testing.T) {
	state := &accessKeyModel{ID: types.StringValue("AKIAEXAMPLE"),
		KubernetesSecret: types.ObjectValueMust(secretAttrTypes, map[string]attr.Value{"namespace": types.StringValue("ci"), "name": types.StringValue("aws-creds")})}
	var diags diag.Diagnostics
	userMissingForReplacement("ci-deployr", state, &diags)
	if diags.HasError() || diags.WarningsCount() != 1 {
		t.Fatalf("want one warning, got %v", diags)
	}
	d := diags.Warnings()[0].Detail()
	for _, want := range []string{`"ci-deployr" does not exist yet`, "nhi_aws_iam_user creates it in this apply", "deletes access key AKIAEXAMPLE", "ci/aws-creds", "then fails", "Check the name", "create_before_destroy"} {
		if !strings.Contains(d, want) {
			t.Errorf("warning lacks %q: %s", want, d)
		}
	}
}
