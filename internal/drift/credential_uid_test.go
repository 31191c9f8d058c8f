package drift

import (
	"testing"
	"time"

	k8s "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/kubernetes"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// Two clusters each have a governed token Secret ci/runner-token: the state
// declares east's (its uid), so west's, with the markers but in no state,
// is reported, and east's is not. A declaration without a uid still matches
// by name.
func TestTokenDeclarationMatchesByUID(t *testing.T) {
	sa := func(uid, secretUID string) nhi.Identity {
		return declared("runner", func(id *nhi.Identity) {
			id.ID = uid
			id.Credentials = []nhi.Credential{{ID: "ci/runner-token", UID: secretUID, Kind: k8s.CredentialLegacyToken, Declared: true, CreatedAt: now.Add(-time.Hour)}}
		})
	}
	in := Input{
		Systems: testSystems, Now: now, Policy: DefaultPolicy(testSystems), StateGiven: true,
		Sources: []Source{
			{Name: "east", System: k8s.SystemName, Identities: []nhi.Identity{sa("uid-sa-east", "uid-secret-east")}},
			{Name: "west", System: k8s.SystemName, Identities: []nhi.Identity{sa("uid-sa-west", "uid-secret-west")}},
		},
		Declarations: []Declaration{
			{Address: "nhi_kubernetes_service_account.east", System: k8s.SystemName, Kind: k8s.KindServiceAccount, ID: "ci/runner", UID: "uid-sa-east"},
			{Address: "nhi_kubernetes_service_account.west", System: k8s.SystemName, Kind: k8s.KindServiceAccount, ID: "ci/runner", UID: "uid-sa-west"},
			{Address: "nhi_kubernetes_service_account_token.east", System: k8s.SystemName, Kind: k8s.CredentialLegacyToken, Credential: true, ID: "ci/runner-token", UID: "uid-secret-east"},
		},
	}
	wantFindings(t, Evaluate(in), "NHI007 west:ci/runner")

	// Without a recorded uid the name decides, in both clusters.
	in.Declarations[2].UID = ""
	wantFindings(t, Evaluate(in))
}
