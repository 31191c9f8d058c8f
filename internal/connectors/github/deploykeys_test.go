package github

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/testenv/githubfake"
)

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func TestDeployKeyLifecycle(t *testing.T) {
	s := fake(t)
	s.AddRepository(org, "api")
	c := tokenClient(t, s, Config{})
	ctx := context.Background()

	k, err := c.CreateDeployKey(ctx, org, "api", "ci-deploy", pubKey(1)+" me@host", false)
	if err != nil {
		t.Fatal(err)
	}
	if k.Title != "ci-deploy [nhi.dev]" || k.Name != "ci-deploy" || !k.Governed || k.ReadOnly || k.ID == 0 || k.CreatedAt.IsZero() || k.ImportID() != "acme/api/"+strconv.FormatInt(k.ID, 10) {
		t.Errorf("created %+v", k)
	}
	got, err := c.GetDeployKey(ctx, org, "api", k.ID)
	if err != nil || got.ID != k.ID || got.Name != "ci-deploy" || !got.Governed || got.PublicKey != pubKey(1) {
		t.Errorf("GetDeployKey = %+v, %v", got, err)
	}
	again, err := c.CreateDeployKey(ctx, org, "api", "ci-deploy", pubKey(1), false)
	if err != nil || again.ID != k.ID {
		t.Errorf("repeated create = %+v, %v; want the same key", again, err)
	}
	if n := len(s.DeployKeys(org, "api")); n != 1 {
		t.Errorf("the fake holds %d keys, want 1", n)
	}
	if _, err := c.CreateDeployKey(ctx, org, "api", "ci-deploy", pubKey(1), true); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "read_only = false") {
		t.Errorf("repeat with another read_only: %v", err)
	}
	if err := c.DeleteDeployKey(ctx, org, "api", k.ID); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteDeployKey(ctx, org, "api", k.ID); err != nil {
		t.Errorf("deleting a key already gone: %v, want success", err)
	}
	if _, err := c.GetDeployKey(ctx, org, "api", k.ID); !IsNotFound(err) || !strings.Contains(err.Error(), "may not see it") {
		t.Errorf("GetDeployKey of a deleted key: %v, want not found saying GitHub answers 404 for both", err)
	}
}

func TestCreateDeployKeyLostAnswer(t *testing.T) {
	s := fake(t)
	s.AddRepository(org, "api")
	c := tokenClient(t, s, Config{})
	s.DropAnswerAfterWrite(githubfake.RouteCreateKey, 1)
	k, err := c.CreateDeployKey(context.Background(), org, "api", "lost", pubKey(2), true)
	if err != nil {
		t.Fatalf("create with a lost answer: %v", err)
	}
	keys := s.DeployKeys(org, "api")
	if len(keys) != 1 || keys[0].ID != k.ID || !k.ReadOnly || k.Name != "lost" {
		t.Errorf("the fake holds %+v, the client returned %+v: want one key, the one returned", keys, k)
	}
	if n := s.Count(githubfake.RouteCreateKey); n != 2 {
		t.Errorf("%d create requests, want 2 (the lost one and its repeat)", n)
	}
}

func TestCreateDeployKeyInUseElsewhere(t *testing.T) {
	s := fake(t)
	s.AddRepository(org, "api")
	s.AddRepository(org, "web")
	s.AddDeployKey(org, "web", githubfake.FakeDeployKey{Title: "theirs", Key: pubKey(3)})
	c := tokenClient(t, s, Config{})
	_, err := c.CreateDeployKey(context.Background(), org, "api", "mine", pubKey(3), true)
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "not on this repository") {
		t.Errorf("got %v, want an error saying the key is in use elsewhere", err)
	}
	if n := len(s.DeployKeys(org, "api")); n != 0 {
		t.Errorf("api holds %d keys", n)
	}
}

func TestCreateDeployKeyMissingRepository(t *testing.T) {
	s := fake(t)
	s.AddRepository(org, "secret")
	s.HideRepository(org, "secret")
	c := tokenClient(t, s, Config{})
	for _, repo := range []string{"nope", "secret"} {
		if _, err := c.CreateDeployKey(context.Background(), org, repo, "k", pubKey(4), true); !errors.Is(err, nhi.ErrNotFound) {
			t.Errorf("%s: %v, want not found", repo, err)
		}
	}
}

func TestRepositoryExists(t *testing.T) {
	s := fake(t)
	s.AddRepository(org, "api")
	s.AddRepository(org, "hidden")
	s.HideRepository(org, "hidden")
	c := tokenClient(t, s, Config{})
	for repo, want := range map[string]bool{"api": true, "hidden": false, "nope": false} {
		if got, err := c.RepositoryExists(context.Background(), org, repo); err != nil || got != want {
			t.Errorf("RepositoryExists(%s) = %v, %v; want %v", repo, got, err, want)
		}
	}
	s.FailRoute(githubfake.RouteRepo, true)
	if _, err := c.RepositoryExists(context.Background(), org, "api"); err == nil || !strings.Contains(err.Error(), "500") {
		t.Errorf("with GitHub failing: %v, want an error (not false)", err)
	}
}

func TestParseTitleAndImportID(t *testing.T) {
	if n, ok := ParseTitle("corp.example", "deploy [corp.example]"); !ok || n != "deploy" {
		t.Errorf("ParseTitle = %q, %v", n, ok)
	}
	if _, ok := ParseTitle("nhi.dev", "deploy [corp.example]"); ok {
		t.Error("another prefix's marker counted as governed")
	}
	if o, r, id, err := ParseImportID("acme/api/42"); err != nil || o != "acme" || r != "api" || id != 42 {
		t.Errorf("ParseImportID = %s %s %d %v", o, r, id, err)
	}
	for _, bad := range []string{"acme/api", "acme/api/x", "/api/1", "acme/api/0"} {
		if _, _, _, err := ParseImportID(bad); err == nil {
			t.Errorf("ParseImportID(%q) accepted", bad)
		}
	}
}

func TestNewValidates(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{Token: "x"}, "organization is required"},
		{Config{Organization: "acme"}, "no credential"},
		{Config{Organization: "acme", Token: "x", AppID: 1}, "not both"},
		{Config{Organization: "acme", AppID: 1, PrivateKeyPEM: []byte("x")}, "installation_id is required"},
		{Config{Organization: "acme", AppID: 1, InstallationID: 2, PrivateKeyPEM: []byte("not a key")}, "not an RSA private key"},
		{Config{Organization: "acme", Token: "x", BaseURL: "ftp://x"}, "base_url"},
	} {
		_, err := New(context.Background(), tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%+v) = %v, want %q", tc.cfg, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "not a key") {
			t.Errorf("the error quotes the key: %v", err)
		}
	}
}

func TestConfigPrintsNoSecret(t *testing.T) {
	cfg := Config{Organization: org, Token: "github_pat_SECRET1", AppID: 1, PrivateKeyPEM: []byte("-----BEGIN RSA PRIVATE KEY-----\nSECRET2")}
	for _, f := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(f, cfg) + fmt.Sprintf(f, &cfg)
		if strings.Contains(out, "SECRET") || !strings.Contains(out, "[redacted]") || !strings.Contains(out, `Organization:"acme"`) {
			t.Errorf("%s of a Config: %s", f, out)
		}
	}
}
