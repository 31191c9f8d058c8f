package aws

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/resource"

	awsc "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/aws"
	"github.com/nhi-ops/terraform-provider-nhi/internal/framework"
)

// The resource identities (Terraform 1.12+) of the AWS resources. An IAM
// user's or role's is its name: names are unique in an account whatever the
// path, and a user's path changes in place, which an identity may not. An
// access key's is its user and key ID.

var (
	_ resource.ResourceWithIdentity = &principalResource{}
	_ resource.ResourceWithIdentity = &accessKeyResource{}
)

// identity is the identity of the user or role resource.
func (r *principalResource) identity() framework.Identity {
	return principalIdentity(r.kind)
}

func principalIdentity(k kindSpec) framework.Identity {
	return framework.Identity{
		TypeName: "nhi_" + k.typeSuffix,
		Attrs:    []framework.IdentityAttr{{Name: "name", Description: "Name of the " + k.noun + ".", Check: k.nameCheck}},
		ID:       func(vals []string) string { return k.location + "/" + vals[0] },
	}
}

func (r *principalResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	r.identity().IdentitySchema(resp)
}

// accessKeyIdentity is nhi_aws_iam_access_key's identity. Importing by it
// is importing by "<user>/<access key ID>": the first plan keeps the key
// when the configuration's kubernetes_secret holds it.
var accessKeyIdentity = framework.Identity{
	TypeName: "nhi_aws_iam_access_key",
	Attrs: []framework.IdentityAttr{
		{Name: "user", Description: "Name of the IAM user.", Check: awsc.ValidateUserName},
		{Name: "access_key_id", StateAttr: "id", Description: "The access key ID (`AKIA...`).", Check: func(s string) error {
			if !strings.HasPrefix(s, "AK") {
				return fmt.Errorf("%q is not an access key ID (AKIA...)", s)
			}
			return nil
		}},
	},
}

func (r *accessKeyResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	accessKeyIdentity.IdentitySchema(resp)
}
