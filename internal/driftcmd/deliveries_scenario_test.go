package driftcmd_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
	k8s "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/kubernetes"
	"github.com/nhi-ops/terraform-provider-nhi/internal/driftcmd"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// One IAM user's access keys delivered into Secrets of a prod and a
// staging namespace (as nhi_aws_iam_access_key delivers them) is NHI015 on
// the user, naming each key and Secret; a run per source, merged, says the
// same. The AWS source has no environment of its own.
func TestEnvironmentScenarioDeliveredKeys(t *testing.T) {
	srv, c, raw := acctest.PrivateIAMClients(t)
	ctx := context.Background()
	if _, err := raw.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("ci")}); err != nil {
		t.Fatal(err)
	}
	k1, err := c.CreateAccessKey(ctx, "ci")
	if err != nil {
		t.Fatal(err)
	}
	k2, err := c.CreateAccessKey(ctx, "ci")
	if err != nil {
		t.Fatal(err)
	}
	kc := acctest.Client(t)
	prodNS, stagingNS := acctest.Namespace(t), acctest.Namespace(t)
	for ns, key := range map[string]string{prodNS: k1.ID, stagingNS: k2.ID} {
		if err := kc.PutDeliveredCredential(ctx, k8s.DeliveredCredential{Ref: nhi.Ref{Location: ns, Name: "aws-creds"}, CredentialID: key,
			Data: map[string][]byte{"AWS_ACCESS_KEY_ID": []byte(key)}, Governance: nhi.Governance{Owner: "team:ci", Purpose: "deploy"}}); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	awsBlock := fmt.Sprintf("source \"aws\" \"aws\" {\n  endpoint = %q\n  region   = \"us-east-1\"\n}\n", srv.Endpoint)
	kube := func(name, ns, env string) string {
		return fmt.Sprintf("source \"kubernetes\" %q {\n  kubeconfig  = %q\n  namespaces  = [%q]\n  environment = %q\n}\n", name, acctest.Kubeconfig(t), ns, env)
	}
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	want := []string{fmt.Sprintf(`NHI015 high user/ci: IAM user user/ci is used from 2 environments: prod (access key %s delivered to %s/aws-creds in source "prod-eu"), staging (access key %s delivered to %s/aws-creds in source "staging-eu")`, k1.ID, prodNS, k2.ID, stagingNS)}
	isEnv := func(f jsonFinding) bool { return f.RuleID == "NHI015" }

	r := run(t, "--config", write("all.hcl", awsBlock+kube("prod-eu", prodNS, "prod")+kube("staging-eu", stagingNS, "staging")), "--format", "json", "--fail-on", "none")
	if r.code != driftcmd.ExitClean {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	sameLines(t, findingLines(parseJSON(t, r.stdout), isEnv), want, r.stdout)

	var shards []string
	for name, body := range map[string]string{"aws": awsBlock, "prod-eu": kube("prod-eu", prodNS, "prod"), "staging-eu": kube("staging-eu", stagingNS, "staging")} {
		p := filepath.Join(dir, name+".json")
		if r := run(t, "--config", write(name+".hcl", body), "--output", "json="+p, "--fail-on", "none"); r.code != driftcmd.ExitClean {
			t.Fatalf("%s: exit %d\n%s", name, r.code, r.stderr)
		}
		shards = append(shards, p)
	}
	m := run(t, append([]string{"merge", "--format", "json", "--fail-on", "none", "--expect-shards", "aws,prod-eu,staging-eu"}, shards...)...)
	if m.code != driftcmd.ExitClean {
		t.Fatalf("merge: exit %d\n%s", m.code, m.stderr)
	}
	sameLines(t, findingLines(parseJSON(t, m.stdout), isEnv), want, m.stdout)
}
