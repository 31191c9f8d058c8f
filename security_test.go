package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/crypto/ssh"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/testenv/githubfake"
)

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// binary builds the provider once per test run into dir's parent.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "nhi-bin-")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "terraform-provider-nhi")
		if out, err := exec.Command("go", "build", "-o", builtBin, ".").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

// jwt matches any JSON Web Token: service account tokens are JWTs, and
// nothing else in these artifacts should be one.
var jwt = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+`)

// After applying configurations that use both a minted and a long-lived
// token, no byte sequence of either appears in the state, the plan and
// state JSON, Terraform's trace log, or any drift report.
func TestSecurityNoTokenInStatePlanLogsOrReports(t *testing.T) {
	kubeconfig := acctest.Kubeconfig(t)
	bin := binary(t)
	ns := acctest.Namespace(t)
	cs := acctest.Clientset(t)
	ctx := context.Background()

	// What the service account may do, so that providers configured with
	// its tokens can read the inventory.
	reader := acctest.RandName("nhi-reader")
	if _, err := cs.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: reader},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"serviceaccounts", "secrets"}, Verbs: []string{"get", "list"}},
			{APIGroups: []string{"rbac.authorization.k8s.io"}, Resources: []string{"rolebindings", "clusterrolebindings"}, Verbs: []string{"get", "list"}},
		},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.RbacV1().ClusterRoles().Delete(context.Background(), reader, metav1.DeleteOptions{}) })

	raw, err := clientcmd.LoadFromFile(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cluster := raw.Clusters[raw.Contexts[raw.CurrentContext].Cluster]

	dir, work, logFile, tf := tfWorkspace(t, bin)
	base := fmt.Sprintf(`
terraform {
  required_providers {
    nhi = { source = "nhi-ops/nhi" }
  }
}
provider "nhi" {
  kubernetes { config_path = %q }
}
resource "nhi_kubernetes_service_account" "ci" {
  namespace  = %q
  name       = "ci"
  owner      = "team:platform"
  purpose    = "security test"
  scopes     = ["clusterrole:%s"]
  expires_at = %q
}
resource "nhi_kubernetes_service_account_token" "ci" {
  namespace       = nhi_kubernetes_service_account.ci.namespace
  service_account = nhi_kubernetes_service_account.ci.name
  owner           = "team:platform"
  purpose         = "external CI"
  rotate_after    = "30d"
}
`, kubeconfig, ns, reader, time.Now().Add(60*24*time.Hour).Format("2006-01-02"))
	consumers := fmt.Sprintf(`
ephemeral "nhi_kubernetes_service_account_token" "ci" {
  namespace = nhi_kubernetes_service_account_token.ci.namespace
  name      = nhi_kubernetes_service_account_token.ci.name
  uid       = nhi_kubernetes_service_account_token.ci.uid
}
ephemeral "nhi_kubernetes_token" "ci" {
  namespace           = nhi_kubernetes_service_account.ci.namespace
  service_account     = nhi_kubernetes_service_account.ci.name
  service_account_uid = nhi_kubernetes_service_account.ci.uid
  expiration          = "10m"
}
provider "nhi" {
  alias = "long_lived"
  kubernetes {
    host                   = %[1]q
    token                  = ephemeral.nhi_kubernetes_service_account_token.ci.token
    cluster_ca_certificate = file(%[2]q)
  }
}
provider "nhi" {
  alias = "minted"
  kubernetes {
    host                   = %[1]q
    token                  = ephemeral.nhi_kubernetes_token.ci.token
    cluster_ca_certificate = file(%[2]q)
  }
}
data "nhi_identities" "long_lived" {
  provider  = nhi.long_lived
  namespace = nhi_kubernetes_service_account.ci.namespace
}
data "nhi_identities" "minted" {
  provider  = nhi.minted
  namespace = nhi_kubernetes_service_account.ci.namespace
}
output "seen_with_long_lived_token" { value = length(data.nhi_identities.long_lived.identities) }
output "seen_with_minted_token" { value = length(data.nhi_identities.minted.identities) }
`, cluster.Server, cluster.CertificateAuthority)

	write := func(cfg string) {
		if err := os.WriteFile(filepath.Join(work, "main.tf"), []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// One apply from an empty namespace: the ephemeral resources take the
	// uids, so Terraform opens them once the account and token exist.
	write(base + consumers)
	out := tf("apply", "-auto-approve", "-input=false", "-no-color")
	// Both providers authenticated as the service account and saw it.
	if !strings.Contains(out, "seen_with_long_lived_token = 2") || !strings.Contains(out, "seen_with_minted_token = 2") {
		t.Fatalf("the tokens did not work for the aliased providers:\n%s", out)
	}
	tf("plan", "-input=false", "-no-color", "-out=plan.bin")
	artifacts := map[string]string{
		"terraform.tfstate":   readFile(t, filepath.Join(work, "terraform.tfstate")),
		"show -json (state)":  tf("show", "-json"),
		"show -json (plan)":   tf("show", "-json", "plan.bin"),
		"TF_LOG=trace output": readFile(t, logFile),
	}

	// The drift reporter, every format and the import blocks.
	conf := filepath.Join(dir, "nhi-drift.hcl")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf("source \"kubernetes\" \"k\" {\n  kubeconfig = %q\n  namespaces = [%q]\n}\n", kubeconfig, ns)), 0o600); err != nil {
		t.Fatal(err)
	}
	for k, v := range driftArtifacts(t, bin, dir, conf, filepath.Join(work, "terraform.tfstate"), "--generate-imports", filepath.Join(dir, "adopt.tf")) {
		artifacts[k] = v
	}
	artifacts["drift adopt.tf"] = readFile(t, filepath.Join(dir, "adopt.tf"))

	// The real long-lived token, read from the cluster by the test.
	secret := ""
	for _, line := range strings.Split(artifacts["terraform.tfstate"], "\n") {
		if m := regexp.MustCompile(`"name": "(ci-token-[a-z0-9]+)"`).FindStringSubmatch(line); m != nil {
			secret = m[1]
		}
	}
	if secret == "" {
		t.Fatal("no token Secret name in state")
	}
	token, err := acctest.Client(t).ReadTokenValue(ctx, nhi.Ref{Location: ns, Name: secret})
	if err != nil || len(token) < 100 {
		t.Fatalf("reading the real token: %v", err)
	}
	if len(artifacts["TF_LOG=trace output"]) < 10000 {
		t.Fatalf("the trace log is suspiciously short (%d bytes); was TF_LOG honoured?", len(artifacts["TF_LOG=trace output"]))
	}
	for name, body := range artifacts {
		// The whole token, and any 40-byte run of it (its signature part).
		for i := 0; i+40 <= len(token); i += 20 {
			if strings.Contains(body, token[i:i+40]) {
				t.Errorf("%s contains bytes %d-%d of the long-lived token", name, i, i+40)
				break
			}
		}
		if m := jwt.FindString(body); m != "" {
			t.Errorf("%s contains a JWT (a service account token): %.40s...", name, m)
		}
	}
}

// tfWorkspace is a directory where the real terraform CLI runs the built
// provider (dev_overrides) with a trace log.
func tfWorkspace(t *testing.T, bin string) (dir, work, logFile string, tf func(args ...string) string) {
	dir = t.TempDir()
	work = filepath.Join(dir, "work")
	if err := os.MkdirAll(work, 0o700); err != nil {
		t.Fatal(err)
	}
	tfrc := filepath.Join(dir, "dev.tfrc")
	if err := os.WriteFile(tfrc, []byte(fmt.Sprintf("provider_installation {\n  dev_overrides {\n    \"nhi-ops/nhi\" = %q\n  }\n  direct {}\n}\n", filepath.Dir(bin))), 0o600); err != nil {
		t.Fatal(err)
	}
	logFile = filepath.Join(dir, "trace.log")
	tf = func(args ...string) string {
		t.Helper()
		cmd := exec.Command("terraform", args...)
		cmd.Dir = work
		cmd.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE="+tfrc, "TF_LOG=trace", "TF_LOG_PATH="+logFile, "TF_IN_AUTOMATION=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("terraform %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	return dir, work, logFile, tf
}

// After creating an AWS access key delivered to a Kubernetes Secret, its
// secret access key appears nowhere: state, plan and state JSON, the trace
// log, or any drift report.
func TestSecurityNoAWSSecretInStatePlanLogsOrReports(t *testing.T) {
	kubeconfig := acctest.Kubeconfig(t)
	acctest.AWS(t)
	bin := binary(t)
	ns := acctest.Namespace(t)
	user := acctest.RandName("sec")
	dir, work, logFile, tf := tfWorkspace(t, bin)
	cfg := fmt.Sprintf(`
terraform {
  required_providers {
    nhi = { source = "nhi-ops/nhi" }
  }
}
provider "nhi" {
  kubernetes { config_path = %q }
  aws {}
}
resource "nhi_aws_iam_user" "ci" {
  name       = %q
  owner      = "team:platform"
  purpose    = "security test"
  scopes     = ["policy:arn:aws:iam::aws:policy/ReadOnlyAccess"]
  expires_at = %q
}
resource "nhi_aws_iam_access_key" "ci" {
  user              = nhi_aws_iam_user.ci.name
  kubernetes_secret = { namespace = %q, name = "aws" }
}
`, kubeconfig, user, time.Now().Add(60*24*time.Hour).Format("2006-01-02"), ns)
	if err := os.WriteFile(filepath.Join(work, "main.tf"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	tf("apply", "-auto-approve", "-input=false", "-no-color")
	t.Cleanup(func() { tf("destroy", "-auto-approve", "-input=false", "-no-color") })
	tf("plan", "-input=false", "-no-color", "-out=plan.bin")
	artifacts := map[string]string{
		"terraform.tfstate":  readFile(t, filepath.Join(work, "terraform.tfstate")),
		"show -json (state)": tf("show", "-json"),
		"show -json (plan)":  tf("show", "-json", "plan.bin"),
	}
	conf := filepath.Join(dir, "nhi-drift.hcl")
	if err := os.WriteFile(conf, []byte("source \"aws\" \"a\" {}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for k, v := range driftArtifacts(t, bin, dir, conf, filepath.Join(work, "terraform.tfstate")) {
		artifacts[k] = v
	}
	artifacts["TF_LOG=trace output"] = readFile(t, logFile)

	s, err := acctest.Clientset(t).CoreV1().Secrets(ns).Get(context.Background(), "aws", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	secret, id := string(s.Data["AWS_SECRET_ACCESS_KEY"]), string(s.Data["AWS_ACCESS_KEY_ID"])
	if len(secret) < 30 || !strings.Contains(artifacts["terraform.tfstate"], id) {
		t.Fatalf("the key was not delivered (id %q, %d-byte secret) or is not in state", id, len(secret))
	}
	if !strings.Contains(artifacts["drift report.junit"], "user/"+user) {
		t.Fatalf("the JUnit report has no test case for user/%s, so the scan saw nothing", user)
	}
	for name, body := range artifacts {
		for i := 0; i+16 <= len(secret); i += 8 {
			if strings.Contains(body, secret[i:i+16]) {
				t.Errorf("%s contains bytes %d-%d of the secret access key", name, i, i+16)
				break
			}
		}
	}
}

// After creating a PostgreSQL role with a write-only password and one with
// a generated password delivered to a Kubernetes Secret, neither password
// appears anywhere: state, plan and state JSON, the trace log, or any drift
// report (and the import blocks).
func TestSecurityNoPostgresPasswordInStatePlanLogsOrReports(t *testing.T) {
	kubeconfig := acctest.Kubeconfig(t)
	srv := acctest.Postgres(t)
	bin := binary(t)
	ns := acctest.Namespace(t)
	wo, gen := acctest.PostgresRole(t, acctest.PostgresRandName("secwo")), acctest.PostgresRole(t, acctest.PostgresRandName("secgen"))
	// The write-only password comes from an ephemeral variable, as from a
	// secret store (a literal would be in the configuration Terraform
	// itself records in the plan).
	woPassword := "wo-" + acctest.PostgresRandName("Secret") + acctest.PostgresRandName("x") + acctest.PostgresRandName("y")
	t.Setenv("TF_VAR_pw", woPassword)
	dir, work, logFile, tf := tfWorkspace(t, bin)
	expires := time.Now().Add(60 * 24 * time.Hour).Format("2006-01-02")
	cfg := fmt.Sprintf(`
terraform {
  required_providers {
    nhi = { source = "nhi-ops/nhi" }
  }
}
provider "nhi" {
  kubernetes { config_path = %q }
%s}
variable "pw" {
  type      = string
  ephemeral = true
  sensitive = true
}
resource "nhi_postgresql_role" "wo" {
  name                = %q
  owner               = "team:platform"
  purpose             = "security test"
  scopes              = ["database:CONNECT@app"]
  expires_at          = %q
  password_wo         = var.pw
  password_wo_version = 1
}
resource "nhi_postgresql_role" "gen" {
  name              = %q
  owner             = "team:platform"
  purpose           = "security test"
  scopes            = ["database:CONNECT@app"]
  expires_at        = %q
  kubernetes_secret = { namespace = %q, name = "db" }
}
`, kubeconfig, acctest.PostgresBlock(t), wo, expires, gen, expires, ns)
	if err := os.WriteFile(filepath.Join(work, "main.tf"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	applied := tf("apply", "-auto-approve", "-input=false", "-no-color")
	t.Cleanup(func() { tf("destroy", "-auto-approve", "-input=false", "-no-color") })
	planned := tf("plan", "-input=false", "-no-color", "-out=plan.bin")
	artifacts := map[string]string{
		"apply output":       applied,
		"plan output":        planned,
		"terraform.tfstate":  readFile(t, filepath.Join(work, "terraform.tfstate")),
		"show -json (state)": tf("show", "-json"),
		"show -json (plan)":  tf("show", "-json", "plan.bin"),
	}
	conf := filepath.Join(dir, "nhi-drift.hcl")
	// The reporter reaches the server through the libpq environment
	// (PGHOST, PGPASSWORD, ...), as a CI job would.
	if err := os.WriteFile(conf, []byte("source \"postgresql\" \"p\" {}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for k, v := range driftArtifacts(t, bin, dir, conf, filepath.Join(work, "terraform.tfstate"), "--generate-imports", filepath.Join(dir, "adopt.tf")) {
		artifacts[k] = v
	}
	artifacts["drift adopt.tf"] = readFile(t, filepath.Join(dir, "adopt.tf"))
	artifacts["TF_LOG=trace output"] = readFile(t, logFile)

	s, err := acctest.Clientset(t).CoreV1().Secrets(ns).Get(context.Background(), "db", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	genPassword := string(s.Data["PGPASSWORD"])
	if string(s.Data["PGUSER"]) != gen || len(genPassword) < 30 {
		t.Fatalf("the generated password was not delivered (PGUSER %q, %d-byte PGPASSWORD)", s.Data["PGUSER"], len(genPassword))
	}
	// Both passwords are the roles' real ones, so their absence means
	// something.
	for role, pw := range map[string]string{wo: woPassword, gen: genPassword} {
		if err := postgresLogin(srv, role, pw); err != nil {
			t.Fatalf("role %s does not log in with its password: %v", role, err)
		}
	}
	if len(artifacts["TF_LOG=trace output"]) < 10000 {
		t.Fatalf("the trace log is suspiciously short (%d bytes); was TF_LOG honoured?", len(artifacts["TF_LOG=trace output"]))
	}
	for _, role := range []string{wo, gen} {
		if !strings.Contains(artifacts["drift report.junit"], "role/"+role) {
			t.Fatalf("the JUnit report has no test case for role/%s, so the scan did not see it", role)
		}
	}
	for name, body := range artifacts {
		for kind, pw := range map[string]string{"write-only": woPassword, "generated": genPassword} {
			for i := 0; i+16 <= len(pw); i += 8 {
				if strings.Contains(body, pw[i:i+16]) {
					t.Errorf("%s contains bytes %d-%d of the %s password", name, i, i+16, kind)
					break
				}
			}
		}
	}
}

// After creating a GitHub deploy key delivered to a Kubernetes Secret (on
// a fake GitHub API started by this test), no part of its private key and
// none of the GitHub token appears anywhere: state, plan and state JSON,
// apply and plan output, the trace log, any drift report format or the
// import blocks. The key is checked to be the registered one first, so its
// absence means something.
func TestSecurityNoDeployKeyInStatePlanLogsOrReports(t *testing.T) {
	kubeconfig := acctest.Kubeconfig(t)
	bin := binary(t)
	ns := acctest.Namespace(t)
	gh := githubfake.New()
	t.Cleanup(gh.Close)
	gh.AddRepository("acme", "app")
	// The provider takes the token from GITHUB_TOKEN, so it is in no file.
	t.Setenv("GITHUB_TOKEN", gh.Token())
	dir, work, logFile, tf := tfWorkspace(t, bin)
	cfg := fmt.Sprintf(`
terraform {
  required_providers {
    nhi = { source = "nhi-ops/nhi" }
  }
}
provider "nhi" {
  kubernetes { config_path = %q }
  github {
    organization = "acme"
    base_url     = %q
  }
}
resource "nhi_github_deploy_key" "ci" {
  repository        = "acme/app"
  title             = "ci"
  owner             = "team:platform"
  purpose           = "security test"
  expires_at        = %q
  kubernetes_secret = { namespace = %q, name = "deploy-key" }
}
`, kubeconfig, gh.URL(), time.Now().Add(60*24*time.Hour).Format("2006-01-02"), ns)
	if err := os.WriteFile(filepath.Join(work, "main.tf"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	applied := tf("apply", "-auto-approve", "-input=false", "-no-color")
	t.Cleanup(func() { tf("destroy", "-auto-approve", "-input=false", "-no-color") })
	planned := tf("plan", "-input=false", "-no-color", "-out=plan.bin")
	artifacts := map[string]string{
		"apply output":       applied,
		"plan output":        planned,
		"terraform.tfstate":  readFile(t, filepath.Join(work, "terraform.tfstate")),
		"show -json (state)": tf("show", "-json"),
		"show -json (plan)":  tf("show", "-json", "plan.bin"),
	}
	// The reporter scans as a GitHub App (only an App may list the
	// organization's fine-grained tokens).
	appKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	appPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(appKey)})
	keyFile := filepath.Join(dir, "scanner.pem")
	if err := os.WriteFile(keyFile, appPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	gh.AddApp(77, &appKey.PublicKey)
	inst := gh.AddInstallation("acme", githubfake.Installation{AppID: 77, AppSlug: "nhi-scanner",
		Permissions: map[string]string{"administration": "read", "organization_personal_access_tokens": "read", "secrets": "read", "organization_hooks": "read", "members": "read"}})
	conf := filepath.Join(dir, "nhi-drift.hcl")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf("source \"github\" \"g\" {\n  organization     = \"acme\"\n  base_url         = %q\n  app_id           = 77\n  installation_id  = %d\n  private_key_file = %q\n}\n", gh.URL(), inst, keyFile)), 0o600); err != nil {
		t.Fatal(err)
	}
	for k, v := range driftArtifacts(t, bin, dir, conf, filepath.Join(work, "terraform.tfstate"), "--generate-imports", filepath.Join(dir, "adopt.tf")) {
		artifacts[k] = v
	}
	artifacts["drift adopt.tf"] = readFile(t, filepath.Join(dir, "adopt.tf"))
	artifacts["TF_LOG=trace output"] = readFile(t, logFile)

	s, err := acctest.Clientset(t).CoreV1().Secrets(ns).Get(context.Background(), "deploy-key", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.ParsePrivateKey(s.Data["ssh-privatekey"])
	if err != nil {
		t.Fatalf("the Secret holds no OpenSSH private key: %v", err)
	}
	keys := gh.DeployKeys("acme", "app")
	pub := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey())))
	if len(keys) != 1 || !strings.HasPrefix(keys[0].Key, pub) || !strings.Contains(artifacts["terraform.tfstate"], pub) {
		t.Fatalf("the delivered key %s is not the one registered (%+v) and in state", pub, keys)
	}
	if !strings.Contains(artifacts["drift report.junit"], fmt.Sprintf("acme/app/%d", keys[0].ID)) {
		t.Fatalf("the JUnit report has no test case for acme/app/%d, so the scan did not see the key", keys[0].ID)
	}
	if len(artifacts["TF_LOG=trace output"]) < 10000 {
		t.Fatalf("the trace log is suspiciously short (%d bytes); was TF_LOG honoured?", len(artifacts["TF_LOG=trace output"]))
	}
	// The secret is the ed25519 seed. The key file's base64 body also
	// encodes the public key (twice), which state holds by design, so only
	// the runs of the body that encode seed bytes are searched for, with the
	// seed (and the 64-byte private key) in hex and base64.
	var body strings.Builder
	for _, line := range strings.Split(string(s.Data["ssh-privatekey"]), "\n") {
		if !strings.HasPrefix(line, "-----") {
			body.WriteString(line)
		}
	}
	private := body.String()
	raw, err := base64.StdEncoding.DecodeString(private)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := ssh.ParseRawPrivateKey(s.Data["ssh-privatekey"])
	if err != nil {
		t.Fatal(err)
	}
	priv, ok := parsed.(*ed25519.PrivateKey)
	if !ok {
		t.Fatalf("the delivered key is a %T, not ed25519", parsed)
	}
	seed := priv.Seed()
	off := bytes.Index(raw, seed)
	if off < 0 {
		t.Fatal("the seed is not in the key file")
	}
	needles := map[string]string{}
	for i := 0; i+16 <= len(private); i += 4 {
		if from, to := i/4*3, (i+16)/4*3; from < off+len(seed) && to > off {
			needles[fmt.Sprintf("bytes %d-%d of the private key file", i, i+16)] = private[i : i+16]
		}
	}
	for name, b := range map[string][]byte{"seed": seed, "private key": []byte(*priv)} {
		needles[name+" (hex)"] = hex.EncodeToString(b)[:24]
		needles[name+" (base64)"] = base64.StdEncoding.EncodeToString(b)[:16]
		needles[name+" (base64url)"] = base64.RawURLEncoding.EncodeToString(b)[:16]
	}
	if len(needles) < 10 {
		t.Fatalf("only %d needles", len(needles))
	}
	for name, v := range artifacts {
		for what, needle := range needles {
			if strings.Contains(v, needle) {
				t.Errorf("%s contains %s of the deploy key", name, what)
			}
		}
		if strings.Contains(v, "OPENSSH PRIVATE KEY") {
			t.Errorf("%s contains an OpenSSH private key block", name)
		}
		if strings.Contains(v, gh.Token()) {
			t.Errorf("%s contains the GitHub token", name)
		}
		if strings.Contains(v, string(appPEM[40:80])) {
			t.Errorf("%s contains the scanner App's private key", name)
		}
	}
}

// postgresLogin connects to database app as role with password.
func postgresLogin(srv acctest.PostgresServer, role, password string) error {
	cfg, err := pgx.ParseConfig(fmt.Sprintf("host=%s port=%d dbname=app sslmode=%s", srv.Host, srv.Port, srv.SSLMode))
	if err != nil {
		return err
	}
	cfg.User, cfg.Password = role, password
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	return c.Close(ctx)
}

// driftArtifacts runs the drift reporter with every output format and
// returns what it printed and wrote, by name.
func driftArtifacts(t *testing.T, bin, dir, conf, state string, extra ...string) map[string]string {
	t.Helper()
	args := append([]string{"drift", "--config", conf, "--state", state, "--verbose", "--fail-on", "none"}, extra...)
	for _, f := range []string{"json", "sarif", "junit", "markdown"} {
		args = append(args, "--output", f+"="+filepath.Join(dir, "report."+f))
	}
	d, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("drift: %v\n%s", err, d)
	}
	out := map[string]string{"drift text": string(d)}
	for _, f := range []string{"report.json", "report.sarif", "report.junit", "report.markdown"} {
		out["drift "+f] = readFile(t, filepath.Join(dir, f))
	}
	return out
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
