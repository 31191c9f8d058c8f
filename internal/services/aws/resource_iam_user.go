package aws

import (
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	awsc "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/aws"
)

type userModel struct {
	principalModel
}

func (m *userModel) common() *principalModel { return &m.principalModel }
func (m *userModel) trust() types.String     { return types.StringNull() }
func (m *userModel) setTrust(types.String)   {}

var userKind = kindSpec{
	typeSuffix: "aws_iam_user", noun: "IAM user", location: awsc.LocationUser, nameCheck: awsc.ValidateUserName,
	prov: (*awsc.Client).Users,
}

// NewIAMUserResource is the factory of nhi_aws_iam_user.
func NewIAMUserResource() resource.Resource {
	return &principalResource{
		kind: userKind,
		newM: func() model { return &userModel{} },
		attrs: func() map[string]schema.Attribute {
			return commonAttributes(userKind, false)
		},
		desc: "An AWS IAM service user declared with an owner, a purpose, the policies it may hold and an expiry. " +
			"The provider records the governance in IAM tags (`nhi:owner`, `nhi:purpose`, `nhi:expires-at`, ...), attaches exactly the declared " +
			"managed policies and writes exactly the declared inline policies, removing what was added out of band, and acts on expiry as " +
			"`on_expiry` says: `disable` deactivates every access key and removes every policy, and keeps the user. Its keys are `nhi_aws_iam_access_key`.",
	}
}
