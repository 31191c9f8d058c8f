package github

import (
	"github.com/nhi-ops/terraform-provider-nhi/internal/system"
)

// The names this system uses in the model.
const (
	// SystemName is nhi.Identity.System of every identity this connector
	// returns, the drift source type and the provider block name.
	SystemName = "github"
	// KindDeployKey is a repository deploy key: an SSH key with read or
	// read-write access to one repository. Its reference is
	// "<owner>/<repo>/<key_id>", the resource's id.
	KindDeployKey = "deploy_key"
	// KindAppInstallation is a GitHub App installed on the organisation:
	// "installation/<app_slug>".
	KindAppInstallation = "app_installation"
	// KindFineGrainedToken is a fine-grained personal access token granted
	// access to the organisation: "token/<owner_login>/<token_id>".
	KindFineGrainedToken = "fine_grained_token"
	// KindActionsSecrets holds a repository's (or the organisation's)
	// Actions secrets as credentials: "actions/<repo>" or
	// "actions/<org>" for organisation secrets.
	KindActionsSecrets = "actions_secrets"
	// KindWebhook is an organisation webhook: an integration that holds a
	// shared secret: "webhook/<hook_id>".
	KindWebhook = "webhook"

	// CredentialDeployKey is a deploy key's SSH key pair (GitHub holds the
	// public half).
	CredentialDeployKey = "github_deploy_key"
	// CredentialFineGrainedToken is the token of a fine-grained grant.
	CredentialFineGrainedToken = "github_fine_grained_token"
	// CredentialActionsSecret is one Actions secret.
	CredentialActionsSecret = "github_actions_secret"
	// CredentialWebhookSecret is a webhook's shared secret.
	CredentialWebhookSecret = "github_webhook_secret"

	// ResourceDeployKey declares a deploy key.
	ResourceDeployKey = "nhi_github_deploy_key"
)

// Descriptor describes GitHub to the system-agnostic rooms.
func Descriptor() system.Descriptor {
	return system.Descriptor{
		Name:  SystemName,
		Title: "GitHub",
		Kinds: []system.Kind{
			{Kind: KindDeployKey, Label: "deploy key", ResourceType: ResourceDeployKey, LocationAttr: "repository", NameAttr: "key_id", UIDAttr: "key_id", GovernedInState: true},
			{Kind: KindAppInstallation, Label: "GitHub App installation"},
			{Kind: KindFineGrainedToken, Label: "fine-grained personal access token"},
			{Kind: KindActionsSecrets, Label: "Actions secrets of"},
			{Kind: KindWebhook, Label: "organisation webhook"},
		},
		Credentials: []system.CredentialKind{
			{Kind: CredentialDeployKey, Label: "deploy key", NeverExpires: true},
			{Kind: CredentialFineGrainedToken, Label: "token"},
			{Kind: CredentialActionsSecret, Label: "Actions secret"},
			{Kind: CredentialWebhookSecret, Label: "webhook secret", NeverExpires: true},
		},
	}
}
