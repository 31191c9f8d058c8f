package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The one binary is both the plugin Terraform launches and the drift
// reporter. Build it and use it both ways.
func TestBinaryServesTerraformAndDrift(t *testing.T) {
	kubeconfig := os.Getenv("NHI_TEST_KUBECONFIG")
	if kubeconfig == "" {
		t.Fatal("NHI_TEST_KUBECONFIG is not set; run make test")
	}
	dir := t.TempDir()
	bin := binary(t)

	// drift, with usage on -h, and stdin for --state.
	out, err := exec.Command(bin, "drift", "-h").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Exit codes: 0 no finding") {
		t.Fatalf("drift -h: %v\n%s", err, out)
	}
	conf := filepath.Join(dir, "nhi-drift.hcl")
	if err := os.WriteFile(conf, []byte("source \"kubernetes\" \"k\" {\n  kubeconfig = \""+kubeconfig+"\"\n  namespaces = [\"default\"]\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "drift", "--config", conf, "--state", "-", "--format", "json", "--fail-on", "none")
	cmd.Stdin = strings.NewReader(`{"version":4,"resources":[{"mode":"managed","type":"nhi_kubernetes_service_account","name":"g","instances":[{"attributes":{"id":"default/ghost-from-stdin"}}]}]}`)
	out, err = cmd.Output()
	if err != nil || !strings.Contains(string(out), `"rule_id": "NHI002"`) || !strings.Contains(string(out), "default/ghost-from-stdin") {
		t.Fatalf("drift with state on stdin: %v\n%s", err, out)
	}

	// Terraform launching the same binary as its plugin.
	tfrc := filepath.Join(dir, "dev.tfrc")
	if err := os.WriteFile(tfrc, []byte("provider_installation {\n  dev_overrides {\n    \"nhi-ops/nhi\" = \""+filepath.Dir(bin)+"\"\n  }\n  direct {}\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	work := filepath.Join(dir, "work")
	_ = os.MkdirAll(work, 0o700)
	cfg := `terraform {
  required_providers {
    nhi = { source = "nhi-ops/nhi" }
  }
}
provider "nhi" {
  kubernetes { config_path = "` + kubeconfig + `" }
}
data "nhi_identities" "all" { namespace = "default" }
output "n" { value = length(data.nhi_identities.all.identities) }
`
	if err := os.WriteFile(filepath.Join(work, "main.tf"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	plan := exec.Command("terraform", "plan", "-no-color", "-input=false")
	plan.Dir = work
	plan.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE="+tfrc)
	out, err = plan.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "+ n = 1") {
		t.Fatalf("terraform plan through the built plugin: %v\n%s", err, out)
	}
}
