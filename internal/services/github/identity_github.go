package github

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/resource"

	gh "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/github"
	"github.com/nhi-ops/terraform-provider-nhi/internal/framework"
)

var _ resource.ResourceWithIdentity = &deployKeyResource{}

// deployKeyIdentity is nhi_github_deploy_key's resource identity
// (Terraform 1.12+): the repository as <owner>/<repo> and GitHub's key ID.
// The identity is written from the resource's id, since repository may be
// written as a bare name of the provider's organization; importing by it is
// importing by <owner>/<repo>/<key ID>.
var deployKeyIdentity = framework.Identity{
	TypeName: "nhi_github_deploy_key",
	Attrs: []framework.IdentityAttr{
		{Name: "repository", Description: "The repository, `<owner>/<repo>`.", Check: fullRepository},
		{Name: "key_id", Description: "GitHub's ID of the key.", Check: func(s string) error {
			if n, err := strconv.ParseInt(s, 10, 64); err != nil || n <= 0 {
				return fmt.Errorf("%q is not a deploy key ID (a positive number, such as \"81234567\")", s)
			}
			return nil
		}},
	},
	ID: func(vals []string) string { return vals[0] + "/" + vals[1] },
	FromID: func(id string) ([]string, bool) {
		owner, repo, keyID, err := gh.ParseImportID(id)
		if err != nil {
			return nil, false // Read reports an id that is not one
		}
		return []string{owner + "/" + repo, strconv.FormatInt(keyID, 10)}, true
	},
}

// fullRepository accepts "<owner>/<repo>" only.
func fullRepository(s string) error {
	if !strings.Contains(s, "/") {
		return fmt.Errorf("%q has no owner: write \"<owner>/<repo>\", such as \"acme-corp/payments\"", s)
	}
	return validateRepository(s)
}

func (r *deployKeyResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	deployKeyIdentity.IdentitySchema(resp)
}
