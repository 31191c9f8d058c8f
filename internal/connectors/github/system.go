package github

import (
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/system"
)

// The names this system uses in the model.
const (
	// SystemName is nhi.Identity.System of every identity this connector
	// returns, the drift source type and the provider block name.
	SystemName = "github"
	// KindDeployKey is a repository deploy key: an SSH key with read or
	// read-write access to one repository. Its reference is
	// "<owner>/<repo>/<key_id>" (DeployKey.ImportID), the resource's id;
	// its governance (owner, purpose, expiry) is the resource's in
	// Terraform state, as a title holds only the marker.
	KindDeployKey = "deploy_key"
	// KindAppInstallation is a GitHub App installed on the organisation:
	// "installation/<app_slug>".
	KindAppInstallation = "app_installation"
	// KindFineGrainedToken is a fine-grained personal access token granted
	// access to the organisation: "token/<owner_login>/<grant_id>".
	KindFineGrainedToken = "fine_grained_token"
	// KindActionsSecrets holds the organisation's ("actions/<org>") or a
	// repository's ("actions/<org>/<repo>") Actions secrets as credentials.
	KindActionsSecrets = "actions_secrets"
	// KindWebhook is an organisation webhook, an integration that holds a
	// shared secret: "webhook/<hook_id>".
	KindWebhook = "org_webhook"

	// CredentialDeployKey is a deploy key's SSH key pair (GitHub holds the
	// public half); its ID is "<owner>/<repo>/<key_id>" (DeployKey.ImportID,
	// as the delivery Secret records it), its UID the key ID.
	CredentialDeployKey = "github_deploy_key"
	// CredentialFineGrainedToken is the token of a fine-grained grant; its
	// ID is the token's name, its Owner the owner's login.
	CredentialFineGrainedToken = "github_fine_grained_token"
	// CredentialActionsSecret is one Actions secret, by name; its age is
	// from its updated_at.
	CredentialActionsSecret = "github_actions_secret"
	// CredentialWebhookSecret is a webhook's shared secret; its age is from
	// the webhook's updated_at (GitHub records no separate time).
	CredentialWebhookSecret = "github_webhook_secret"

	// ResourceDeployKey declares a deploy key.
	ResourceDeployKey = "nhi_github_deploy_key"
)

// Reasons for the default exclusions, stable strings shown to users.
const (
	ReasonSuspendedInstallation = "github_suspended_installation"
	ReasonExpiredToken          = "github_expired_token"
)

// PrivilegedScopes are the scopes privileged by default in drift reports:
// a deploy key that can push, and fine-grained tokens that administer
// repositories or the organisation, or change workflows (and so reach every
// secret the workflows see). App installations with write permissions on
// every repository are privileged by the scan itself (PrivilegedWhy on
// installation:repositories:all).
var PrivilegedScopes = []string{
	ScopeDeployKeyWriteAny,
	tokenScopePrefix + "administration:write",
	tokenScopePrefix + "workflows:write",
	tokenScopePrefix + "organization_administration:write",
}

// Descriptor describes GitHub to the system-agnostic rooms.
func Descriptor() system.Descriptor {
	return system.Descriptor{
		Name:  SystemName,
		Title: "GitHub",
		Kinds: []system.Kind{
			{Kind: KindDeployKey, Label: "deploy key", ResourceType: ResourceDeployKey, LocationAttr: "repository", NameAttr: "key_id",
				UIDAttr: "key_id", GovernedInState: true, Adopt: adoption()},
			{Kind: KindAppInstallation, Label: "GitHub App installation"},
			// A grant never used is stale by its grant date (its
			// LastUsedAt at the zero time); a used token's last use is
			// on its credential.
			{Kind: KindFineGrainedToken, Label: "fine-grained personal access token", LastUsedIsActivity: true},
			// No resource declares Actions secrets or webhooks: their
			// credentials' age is checked (NHI007), with no NHI001.
			{Kind: KindActionsSecrets, Label: "Actions secret store", Undeclarable: true},
			{Kind: KindWebhook, Label: "organisation webhook", Undeclarable: true},
		},
		Credentials: []system.CredentialKind{
			{Kind: CredentialDeployKey, Label: "SSH key"},
			{Kind: CredentialFineGrainedToken, Label: "token"},
			{Kind: CredentialActionsSecret, Label: "Actions secret"},
			{Kind: CredentialWebhookSecret, Label: "webhook secret"},
		},
		Exclusions: []system.Exclusion{
			{Reason: ReasonSuspendedInstallation, Doc: "GitHub App installations an organisation owner suspended (they can do nothing until unsuspended)", Match: func(id nhi.Identity) bool {
				return id.System == SystemName && id.Kind == KindAppInstallation && id.Disabled
			}},
			{Reason: ReasonExpiredToken, Doc: "fine-grained personal access tokens past their expiry (they can no longer authenticate; GitHub keeps the grant until the owner deletes the token)", Match: func(id nhi.Identity) bool {
				if id.System != SystemName || id.Kind != KindFineGrainedToken || len(id.Credentials) == 0 {
					return false
				}
				for _, c := range id.Credentials {
					if !c.Inactive {
						return false
					}
				}
				return true
			}},
		},
		PrivilegedScopes: PrivilegedScopes,
		Source:           source(),
	}
}
