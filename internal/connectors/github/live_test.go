//go:build githublive

package github

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"
)

// TestLiveScan scans a real sandbox organisation, read-only:
//
//	NHI_GITHUB_LIVE=1 go test -tags githublive ./internal/connectors/github/ -run TestLiveScan -v
//
// with NHI_GITHUB_ORG, and NHI_GITHUB_TOKEN or
// NHI_GITHUB_APP_ID, NHI_GITHUB_INSTALLATION_ID and
// NHI_GITHUB_PRIVATE_KEY_FILE (NHI_GITHUB_BASE_URL for GitHub Enterprise
// Server). It makes no write. It sits behind a build tag so that the
// suite (make test, where a skipped test fails CI) never skips it.
func TestLiveScan(t *testing.T) {
	if os.Getenv("NHI_GITHUB_LIVE") != "1" {
		t.Skip("set NHI_GITHUB_LIVE=1 and NHI_GITHUB_ORG with a token or App credentials to scan a sandbox organisation")
	}
	cfg := Config{BaseURL: os.Getenv("NHI_GITHUB_BASE_URL"), Organization: os.Getenv("NHI_GITHUB_ORG"), Token: os.Getenv("NHI_GITHUB_TOKEN")}
	if f := os.Getenv("NHI_GITHUB_PRIVATE_KEY_FILE"); f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		// The App is preferred when both are set (it may list the
		// fine-grained token grants; a token may not).
		cfg.Token = ""
		cfg.PrivateKeyPEM = b
		cfg.AppID, _ = strconv.ParseInt(os.Getenv("NHI_GITHUB_APP_ID"), 10, 64)
		cfg.InstallationID, _ = strconv.ParseInt(os.Getenv("NHI_GITHUB_INSTALLATION_ID"), 10, 64)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c, err := New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := c.Scan(ctx, nil)
	t.Logf("%d identities", len(ids))
	for _, id := range ids {
		t.Logf("%s %s scopes=%v", id.Kind, id.Ref, id.EffectiveScopes)
	}
	if err != nil {
		t.Errorf("scan incomplete: %v", err)
	}
}
