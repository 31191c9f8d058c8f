package kubernetes

import (
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/system"
)

// The names this system uses in the model.
const (
	// SystemName is nhi.Identity.System of every identity this connector
	// returns, the drift source type and the provider block name.
	SystemName = "kubernetes"
	// KindServiceAccount is a service account.
	KindServiceAccount = "service_account"
	// CredentialLegacyToken is a kubernetes.io/service-account-token Secret.
	CredentialLegacyToken = "legacy_service_account_token"
)

// Reasons for the default exclusions, stable strings shown to users.
const (
	ReasonSystemNamespace = "system_namespace"
	ReasonDefaultAccount  = "default_service_account"
)

// SystemNamespaces hold the cluster's own identities, left out of
// undeclared results by default.
var SystemNamespaces = []string{"kube-system", "kube-public", "kube-node-lease"}

// Descriptor describes Kubernetes to the system-agnostic rooms.
func Descriptor() system.Descriptor {
	return system.Descriptor{
		Name:  SystemName,
		Title: "Kubernetes",
		Kinds: []system.Kind{{
			Kind: KindServiceAccount, Label: "service account", ResourceType: "nhi_kubernetes_service_account",
			LocationAttr: "namespace", NameAttr: "name", UIDAttr: "uid",
			Adopt: adoption(),
		}},
		Credentials: []system.CredentialKind{{
			Kind: CredentialLegacyToken, Label: "legacy token Secret",
			ResourceType: "nhi_kubernetes_service_account_token", UIDAttr: "uid", NeverExpires: true,
		}},
		Exclusions: []system.Exclusion{
			{Reason: ReasonSystemNamespace, Doc: "every service account in `kube-system`, `kube-public` and `kube-node-lease`", Match: inSystemNamespace},
			// Every namespace gets a "default" service account from the
			// controller manager. It is noise until someone grants it
			// something.
			// A grant through a group (system:serviceaccounts:<ns>) that
			// gives it a risky capability counts as a grant.
			{Reason: ReasonDefaultAccount, Doc: "the `default` service account of every namespace, unless it holds a grant or a risky capability", Match: func(id nhi.Identity) bool {
				return id.Ref.Name == "default" && len(id.EffectiveScopes) == 0 && len(id.Capabilities) == 0
			}},
		},
		PrivilegedScopes: []string{"clusterrole:cluster-admin", "clusterrole:cluster-admin@*", "clusterrole:admin"},
		Capabilities:     capabilityIDs(),
		LocationFilter:   "namespace",
		Source:           source(),
	}
}

// capabilityIDs are the IDs of the risky-capability catalog, in its order.
func capabilityIDs() []string {
	out := make([]string, len(Capabilities))
	for i, d := range Capabilities {
		out[i] = d.ID
	}
	return out
}

func inSystemNamespace(id nhi.Identity) bool {
	for _, ns := range SystemNamespaces {
		if id.Ref.Location == ns {
			return true
		}
	}
	return false
}
