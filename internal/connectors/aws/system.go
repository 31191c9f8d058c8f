package aws

import (
	"strings"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/system"
)

// The names this system uses in the model.
const (
	// SystemName is nhi.Identity.System of every identity this connector
	// returns, the drift source type and the provider block name.
	SystemName = "aws"
	// KindIAMUser and KindIAMRole are IAM users and roles.
	KindIAMUser = "iam_user"
	KindIAMRole = "iam_role"
	// CredentialAccessKey is an IAM access key.
	CredentialAccessKey = "aws_access_key"
)

// Reasons for the default exclusions, stable strings shown to users.
const (
	ReasonServiceLinked = "aws_service_linked_role"
	ReasonReservedSSO   = "aws_reserved_sso_role"
)

// Descriptor describes AWS IAM to the system-agnostic rooms.
func Descriptor() system.Descriptor {
	return system.Descriptor{
		Name:  SystemName,
		Title: "AWS",
		Kinds: []system.Kind{
			{Kind: KindIAMUser, Label: "IAM user", ResourceType: "nhi_aws_iam_user", Location: "user", NameAttr: "name", UIDAttr: "unique_id", Adopt: adoption()},
			{Kind: KindIAMRole, Label: "IAM role", ResourceType: "nhi_aws_iam_role", Location: "role", NameAttr: "name", UIDAttr: "unique_id", Adopt: adoption()},
		},
		Credentials: []system.CredentialKind{{Kind: CredentialAccessKey, Label: "access key"}},
		// AWS creates and manages these roles itself; nobody can declare,
		// change or delete them through IAM.
		Exclusions: []system.Exclusion{
			{Reason: ReasonServiceLinked, Doc: "service-linked roles (path `/aws-service-role/`)", Match: func(id nhi.Identity) bool {
				return id.Kind == KindIAMRole && strings.HasPrefix(id.Path, "/aws-service-role/")
			}},
			{Reason: ReasonReservedSSO, Doc: "IAM Identity Center roles (path `/aws-reserved/`, names `AWSReservedSSO_*`)", Match: func(id nhi.Identity) bool {
				return id.Kind == KindIAMRole && (strings.HasPrefix(id.Path, "/aws-reserved/") || strings.HasPrefix(id.Ref.Name, "AWSReservedSSO_"))
			}},
		},
		PrivilegedScopes: []string{"policy:arn:aws*:iam::aws:policy/AdministratorAccess"},
		Capabilities:     capabilityIDs(),
		Source:           source(),
	}
}
