package github

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/nhi-ops/terraform-provider-nhi/internal/testenv/githubfake"
)

func decode(t *testing.T, src, dir string) (*SourceConfig, hcl.Diagnostics) {
	t.Helper()
	f, d := hclsyntax.ParseConfig([]byte(src), "drift.hcl", hcl.Pos{Line: 1, Column: 1})
	if d.HasErrors() {
		t.Fatal(d)
	}
	content, d := f.Body.Content(sourceSchema)
	if d.HasErrors() {
		return nil, d
	}
	cfg, diags := decodeSource(content.Attributes, dir)
	sc, _ := cfg.(*SourceConfig)
	return sc, diags
}

func TestDecodeSource(t *testing.T) {
	sc, d := decode(t, `
organization     = "acme"
app_id           = 12
installation_id  = "34"
private_key_file = "keys/app.pem"
repositories     = ["web", "api"]
topics           = ["prod"]
base_url         = "https://github.example.com/api/v3/"
`, "/etc/nhi")
	if d.HasErrors() {
		t.Fatal(d)
	}
	want := &SourceConfig{Organization: "acme", AppID: 12, InstallationID: 34, PrivateKeyFile: "/etc/nhi/keys/app.pem",
		Repositories: []string{"api", "web"}, Topics: []string{"prod"}, BaseURL: "https://github.example.com/api/v3/"}
	if !reflect.DeepEqual(sc, want) {
		t.Errorf("decoded %+v\nwant %+v", sc, want)
	}
	sc, d = decode(t, `
organization   = "acme"
max_retries    = 0
retry_wait_max = "250ms"
`, "/tmp")
	if d.HasErrors() || sc.MaxRetries == nil || *sc.MaxRetries != 0 || sc.RetryWaitMax != 250*time.Millisecond {
		t.Fatalf("retry settings: %+v, %v", sc, d)
	}
	if cfg := sc.config(); cfg.MaxRetries != -1 || cfg.RetryWaitMax != 250*time.Millisecond {
		t.Errorf("max_retries = 0 is no retry (Config.MaxRetries -1), got %d, %s", cfg.MaxRetries, cfg.RetryWaitMax)
	}
	if Descriptor().Source.Example == "" || !strings.Contains(Descriptor().Source.Example, "private_key_file") {
		t.Error("no example")
	}
}

func TestDecodeSourceErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`organization = "acme"
token = "ghp_secret123"`, "takes no token attribute"},
		{`organization = "acme"
private_key = "-----BEGIN"`, "takes no private_key attribute"},
		{`organization = "acme"
app_id = 1`, "installation_id is missing"},
		{`organization = "acme"
app_id = 1
installation_id = 2
private_key_file = "k.pem"
token_env = "X"`, "not both"},
		{`organization = "acme"
app_id = -1
installation_id = 2
private_key_file = "k.pem"`, "app_id must be a positive number"},
		{`organization = "acme"
repositories = ["acme/api"]`, "names within the organisation"},
		{`organization = "acme"
base_url = "api.github.com"`, "must be the REST API's http(s) URL"},
		{`organization = ""`, "must be the login of a GitHub organisation"},
		{`base_url = "https://api.github.com/"`, "organization"},
		{`organization = "acme"
max_retries = 50`, "max_retries must be a whole number from 0 to 20"},
		{`organization = "acme"
retry_wait_max = "forever"`, "retry_wait_max \"forever\" must be a duration between 1ms and 1h"},
	} {
		_, d := decode(t, tc.src, "/tmp")
		if !d.HasErrors() || !strings.Contains(d.Error(), tc.want) {
			t.Errorf("%s:\n got %v\nwant %q", tc.src, d, tc.want)
		}
		if strings.Contains(d.Error(), "ghp_secret123") || strings.Contains(d.Error(), "BEGIN") {
			t.Errorf("a diagnostic echoes the secret: %v", d)
		}
	}
}

func TestSourceConnect(t *testing.T) {
	s := fake(t)
	seedOrg(s)
	ctx := context.Background()
	t.Setenv("NHI_TEST_GH_TOKEN", s.Token())
	sc := &SourceConfig{Organization: org, BaseURL: s.URL(), TokenEnv: "NHI_TEST_GH_TOKEN"}
	scanner, err := sc.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ids, err := scanner.Scan(ctx, []string{LocationWebhook}); err != nil || len(ids) != 1 {
		t.Errorf("scan through the source: %d, %v", len(ids), err)
	}
	t.Setenv("GITHUB_TOKEN", "")
	if _, err := (&SourceConfig{Organization: org}).Connect(ctx); err == nil || !strings.Contains(err.Error(), "GITHUB_TOKEN is empty or unset") {
		t.Errorf("no token: %v", err)
	}
	// A GitHub App source reads its key file.
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	s.AddApp(5, &key.PublicKey)
	path := filepath.Join(t.TempDir(), "app.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600); err != nil {
		t.Fatal(err)
	}
	// An installation of App 5 with the scanner's permissions (the fake
	// checks them).
	inst := s.AddInstallation(org, githubfake.Installation{AppID: 5, AppSlug: "source-scanner", Permissions: scannerPerms(nil)})
	app := &SourceConfig{Organization: org, BaseURL: s.URL(), AppID: 5, InstallationID: inst, PrivateKeyFile: path}
	scanner, err = app.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ids, err := scanner.Scan(ctx, []string{LocationToken}); err != nil || len(ids) != 2 {
		t.Errorf("token grants through an App source: %d, %v", len(ids), err)
	}
	dir, err := app.OwnerDirectory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := dir.Lookup(ctx, []string{"alice", "bob"}); err != nil || !st["alice"].Active || st["bob"].Found {
		t.Errorf("the source's owner directory: %v, %v", st, err)
	}
	app.PrivateKeyFile = path + ".missing"
	if _, err := app.Connect(ctx); err == nil || !strings.Contains(err.Error(), "private_key_file") {
		t.Errorf("missing key file: %v", err)
	}
}
