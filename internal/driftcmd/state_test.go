package driftcmd

import (
	"fmt"
	"strings"
	"testing"

	k8s "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/kubernetes"
	"github.com/nhi-ops/terraform-provider-nhi/internal/drift"
)

func declString(ds []drift.Declaration) string {
	var out []string
	for _, d := range ds {
		out = append(out, fmt.Sprintf("%s %s %s %s uid=%s", d.Address, d.System, d.Kind, d.ID, d.UID))
	}
	return strings.Join(out, "\n")
}

// State records the UIDs that tell identities of the same name in two
// sources apart, and the governed token Secrets, which count as declared
// only when a state declares them.
func TestParseStateUIDsAndTokens(t *testing.T) {
	want := strings.Join([]string{
		"nhi_kubernetes_service_account.runner kubernetes service_account ci/runner uid=5f1c-sa",
		"nhi_kubernetes_service_account_token.runner kubernetes legacy_service_account_token ci/runner-token-x7k2p uid=9a0b-secret",
		"nhi_aws_iam_user.bot aws iam_user user/bot uid=AIDAEXAMPLE",
		"nhi_aws_iam_role.deploy aws iam_role role/deploy uid=",
	}, "\n")
	v4 := `{"version":4,"resources":[
	  {"mode":"managed","type":"nhi_kubernetes_service_account","name":"runner","instances":[{"attributes":{"id":"ci/runner","uid":"5f1c-sa"}}]},
	  {"mode":"managed","type":"nhi_kubernetes_service_account_token","name":"runner","instances":[{"attributes":{"id":"ci/runner-token-x7k2p","uid":"9a0b-secret","service_account":"runner"}}]},
	  {"mode":"managed","type":"nhi_aws_iam_user","name":"bot","instances":[{"attributes":{"id":"user/bot","unique_id":"AIDAEXAMPLE","uid":"ignored"}}]},
	  {"mode":"managed","type":"nhi_aws_iam_role","name":"deploy","instances":[{"attributes":{"id":"role/deploy"}}]},
	  {"mode":"managed","type":"nhi_aws_iam_access_key","name":"k","instances":[{"attributes":{"id":"AKIAEXAMPLE"}}]},
	  {"mode":"data","type":"nhi_kubernetes_service_account_token","name":"d","instances":[{"attributes":{"id":"ci/x"}}]}
	]}`
	show := `{"format_version":"1.0","values":{"root_module":{"resources":[
	  {"address":"nhi_kubernetes_service_account.runner","mode":"managed","type":"nhi_kubernetes_service_account","values":{"id":"ci/runner","uid":"5f1c-sa"}},
	  {"address":"nhi_kubernetes_service_account_token.runner","mode":"managed","type":"nhi_kubernetes_service_account_token","values":{"id":"ci/runner-token-x7k2p","uid":"9a0b-secret"}},
	  {"address":"nhi_aws_iam_user.bot","mode":"managed","type":"nhi_aws_iam_user","values":{"id":"user/bot","unique_id":"AIDAEXAMPLE"}},
	  {"address":"nhi_aws_iam_role.deploy","mode":"managed","type":"nhi_aws_iam_role","values":{"id":"role/deploy"}}
	]}}}`
	for name, b := range map[string]string{"state v4": v4, "terraform show -json": show} {
		ds, err := ParseState([]byte(b), testSystems)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := declString(ds); got != want {
			t.Errorf("%s: declarations\n%s\nwant\n%s", name, got, want)
		}
		if !ds[1].IsCredential() || ds[0].IsCredential() {
			t.Errorf("%s: only the token is a credential declaration", name)
		}
	}

	// A token declaration points no finding at a resource block.
	locs := resourceLocations([]ConfigResource{{Address: "nhi_kubernetes_service_account_token.runner", System: k8s.SystemName}}, []drift.Declaration{
		{Address: "nhi_kubernetes_service_account_token.runner", System: k8s.SystemName, Kind: k8s.CredentialLegacyToken, Credential: true, ID: "ci/runner-token-x7k2p"},
	})
	if len(locs) != 0 {
		t.Errorf("resource locations %v", locs)
	}
}

// Only the registered resource types' attributes are read: another
// provider's resource whose id is a number does not make the state
// unreadable.
func TestParseStateReadsOnlyRegisteredResources(t *testing.T) {
	v4 := `{"version":4,"resources":[
	  {"mode":"managed","type":"other_thing","name":"n","instances":[{"attributes":{"id":42,"uid":7}}]},
	  {"mode":"managed","type":"nhi_aws_iam_user","name":"bot","instances":[{"attributes":{"id":"user/bot","unique_id":"AIDAEXAMPLE"}}]}
	]}`
	ds, err := ParseState([]byte(v4), testSystems)
	if err != nil {
		t.Fatal(err)
	}
	if got := declString(ds); got != "nhi_aws_iam_user.bot aws iam_user user/bot uid=AIDAEXAMPLE" {
		t.Errorf("declarations %s", got)
	}
	if _, err := ParseState([]byte(`{"version":4,"resources":[{"mode":"managed","type":"nhi_aws_iam_user","name":"bot","instances":[{"attributes":{"id":5}}]}]}`), testSystems); err == nil ||
		!strings.Contains(err.Error(), "state resources: nhi_aws_iam_user.bot: attribute id:") {
		t.Errorf("a registered resource with a number for id: %v", err)
	}
}
