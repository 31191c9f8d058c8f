package driftcmd_test

// The GitHub scenario runs the drift command against the fake GitHub REST
// API (internal/testenv/githubfake: no GitHub server can run here) seeded
// with an organisation's deploy keys, App installations, fine-grained
// tokens, Actions secrets and a webhook, and asserts every GitHub finding
// exactly.

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	gh "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/github"
	"github.com/nhi-ops/terraform-provider-nhi/internal/driftcmd"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/provider"
	"github.com/nhi-ops/terraform-provider-nhi/internal/system"
	"github.com/nhi-ops/terraform-provider-nhi/internal/testenv/githubfake"
)

// githubRegistry is the provider's registry, with GitHub added while the
// provider does not register it yet.
func githubRegistry() *system.Registry {
	r := provider.Registry()
	if _, ok := r.Get(gh.SystemName); ok {
		return r
	}
	return system.NewRegistry(append(append([]system.Descriptor{}, r.All()...), gh.Descriptor())...)
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func runGitHub(t *testing.T, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := driftcmd.Main(context.Background(), args, driftcmd.IO{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb}, "test", githubRegistry())
	return result{code, out.String(), errb.String()}
}

type githubScenario struct {
	fake                *githubfake.Server
	dir, config         string
	state               string
	at                  time.Time
	declared, push      int64
	old, unused         int64
	scannerInstallation int64
}

func seedGitHub(t *testing.T) githubScenario {
	t.Helper()
	must := fatalOnError(t)
	const org = "acme"
	at := time.Now().UTC().Truncate(time.Second)
	day := func(n int) time.Time { return at.Add(time.Duration(n) * 24 * time.Hour) }
	ptr := func(t time.Time) *time.Time { return &t }
	key := func(n int) string {
		b := make([]byte, 32)
		b[0], b[1] = byte(n), 0xee
		return "ssh-ed25519 " + b64(append([]byte("\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20"), b...))
	}

	s := githubfake.New()
	t.Cleanup(s.Close)
	// The scanner App's installation token holds only its permissions.
	s.RequirePermissions(true)
	for _, r := range []string{"api", "web", "docs"} {
		s.AddRepository(org, r)
	}
	sc := githubScenario{fake: s, at: at}
	// Deploy keys: one governed and declared in state, one that can push,
	// one older than max_credential_age (90 days), one never used for
	// longer than stale_after (45 days).
	sc.declared = s.AddDeployKey(org, "api", githubfake.FakeDeployKey{Title: "deploy [nhi.dev]", Key: key(1), ReadOnly: true, CreatedAt: day(-10), LastUsed: ptr(day(-1)), AddedBy: "nhi-scanner[bot]"})
	sc.push = s.AddDeployKey(org, "api", githubfake.FakeDeployKey{Title: "ci-push", Key: key(2), ReadOnly: false, CreatedAt: day(-10), LastUsed: ptr(day(-1)), AddedBy: "alice"})
	sc.old = s.AddDeployKey(org, "web", githubfake.FakeDeployKey{Title: "old-mirror", Key: key(3), ReadOnly: true, CreatedAt: day(-200), LastUsed: ptr(day(-2)), AddedBy: "carol"})
	sc.unused = s.AddDeployKey(org, "docs", githubfake.FakeDeployKey{Title: "forgotten", Key: key(4), ReadOnly: true, CreatedAt: day(-60), AddedBy: "carol"})

	// App installations: the scanner itself (read only), one with write on
	// every repository, one on selected repositories, a suspended one.
	pk, err := rsa.GenerateKey(rand.Reader, 2048)
	must(err)
	s.AddApp(900, &pk.PublicKey)
	sc.scannerInstallation = s.AddInstallation(org, githubfake.Installation{ID: 9000, AppID: 900, AppSlug: "nhi-scanner", CreatedAt: day(-30),
		Permissions: map[string]string{"administration": "read", "secrets": "read", "metadata": "read", "organization_administration": "read",
			"organization_personal_access_tokens": "read", "organization_secrets": "read", "organization_hooks": "read", "members": "read"}})
	s.AddInstallation(org, githubfake.Installation{ID: 9001, AppID: 901, AppSlug: "ci-bot", CreatedAt: day(-30), Permissions: map[string]string{"contents": "write", "metadata": "read"}})
	s.AddInstallation(org, githubfake.Installation{ID: 9002, AppID: 902, AppSlug: "reader", RepositorySelection: "selected", Repositories: []string{"docs"}, CreatedAt: day(-30), Permissions: map[string]string{"contents": "read"}})
	s.AddInstallation(org, githubfake.Installation{ID: 9003, AppID: 903, AppSlug: "old-bot", CreatedAt: day(-300), SuspendedAt: ptr(day(-100)), Permissions: map[string]string{"contents": "write"}})

	// Fine-grained tokens: bob's (who left) may change workflows; carol's
	// never expires and was last used 100 days ago; alice's administers
	// repositories; dave's has expired.
	s.AddPAT(org, githubfake.PAT{ID: 31, TokenID: 301, TokenName: "release", OwnerLogin: "bob", Selection: "subset", Repos: []string{"api"},
		RepoPerms: map[string]string{"contents": "write", "workflows": "write"}, GrantedAt: day(-20), ExpiresAt: ptr(day(60)), LastUsedAt: ptr(day(-1))})
	s.AddPAT(org, githubfake.PAT{ID: 32, TokenID: 302, TokenName: "forever", OwnerLogin: "carol", Selection: "all",
		RepoPerms: map[string]string{"metadata": "read"}, GrantedAt: day(-150), LastUsedAt: ptr(day(-100))})
	s.AddPAT(org, githubfake.PAT{ID: 33, TokenID: 303, TokenName: "admin", OwnerLogin: "alice", Selection: "all",
		RepoPerms: map[string]string{"administration": "write"}, GrantedAt: day(-5), ExpiresAt: ptr(day(10)), LastUsedAt: ptr(day(-1))})
	s.AddPAT(org, githubfake.PAT{ID: 35, TokenID: 305, TokenName: "long", OwnerLogin: "carol", Selection: "all",
		RepoPerms: map[string]string{"metadata": "read"}, GrantedAt: day(-5), ExpiresAt: ptr(day(400)), LastUsedAt: ptr(day(-1))})
	// carol's "quarterly" was granted 120 days ago (beyond
	// max_credential_age) and expires within max_lifetime: GitHub gives the
	// grant's date, not the token's creation, so no NHI007. Her "idle" was
	// granted 60 days ago and never used.
	s.AddPAT(org, githubfake.PAT{ID: 36, TokenID: 306, TokenName: "quarterly", OwnerLogin: "carol", Selection: "all",
		RepoPerms: map[string]string{"metadata": "read"}, GrantedAt: day(-120), ExpiresAt: ptr(day(30)), LastUsedAt: ptr(day(-1))})
	s.AddPAT(org, githubfake.PAT{ID: 37, TokenID: 307, TokenName: "idle", OwnerLogin: "carol", Selection: "all",
		RepoPerms: map[string]string{"metadata": "read"}, GrantedAt: day(-60), ExpiresAt: ptr(day(30))})
	s.AddPAT(org, githubfake.PAT{ID: 34, TokenID: 304, TokenName: "gone", OwnerLogin: "dave", Selection: "all",
		RepoPerms: map[string]string{"contents": "write"}, GrantedAt: day(-90), ExpiresAt: ptr(day(-1)), TokenExpired: true})

	// Actions secrets: an organisation secret set 200 days ago, a fresh
	// repository secret; a webhook with a secret.
	s.AddOrgSecret(org, githubfake.Secret{Name: "NPM_TOKEN", CreatedAt: day(-300), UpdatedAt: day(-200), Visibility: "private"})
	s.AddRepoSecret(org, "api", githubfake.Secret{Name: "AWS_KEY", CreatedAt: day(-5), UpdatedAt: day(-5)})
	s.AddHook(org, githubfake.Hook{ID: 41, URL: "https://ci.example.com/hook", Events: []string{"push"}, Active: true, HasSecret: true, CreatedAt: day(-10), UpdatedAt: day(-10)})
	s.AddMember(org, "alice", "carol")

	dir := t.TempDir()
	sc.dir = dir
	must(os.WriteFile(filepath.Join(dir, "scanner.pem"), pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(pk)}), 0o600))
	sc.config = filepath.Join(dir, "nhi-drift.hcl")
	must(os.WriteFile(sc.config, []byte(fmt.Sprintf(`source "github" "gh" {
  organization     = "acme"
  base_url         = %q
  app_id           = 900
  installation_id  = %d
  private_key_file = "scanner.pem"
  # Bounded retries with short waits: the failing-endpoint case does not
  # sleep through the default backoff.
  max_retries    = 2
  retry_wait_max = "50ms"
}

# The organisation's members (alice, carol) are the owners directory.
owners {
  source = "gh"
}
`, s.URL(), sc.scannerInstallation)), 0o600))
	res := []string{
		fmt.Sprintf(`{"mode":"managed","type":"nhi_github_deploy_key","name":"deploy","instances":[{"attributes":{"id":"acme/api/%d","key_id":"%d","repository":"acme/api","title":"deploy","read_only":true,`+
			`"owner":"alice","purpose":"deploys api","scopes":["deploy_key:read@acme/api"],"expires_at":%q,"on_expiry":"disable"}}]}`, sc.declared, sc.declared, day(100).Format(time.RFC3339)),
		`{"mode":"managed","type":"nhi_github_deploy_key","name":"ghost","instances":[{"attributes":{"id":"acme/api/999","key_id":"999","repository":"acme/api","title":"ghost","read_only":true,` +
			`"owner":"alice","purpose":"gone","scopes":["deploy_key:read@acme/api"],"expires_at":"` + day(100).Format(time.RFC3339) + `","on_expiry":"disable"}}]}`,
	}
	sc.state = filepath.Join(dir, "terraform.tfstate")
	must(os.WriteFile(sc.state, []byte(`{"version":4,"resources":[`+strings.Join(res, ",")+`]}`), 0o600))
	return sc
}

func TestGitHubScenarioFindingsExactly(t *testing.T) {
	sc := seedGitHub(t)
	r := runGitHub(t, "--config", sc.config, "--state", sc.state, "--format", "json", "--at", sc.at.Format(time.RFC3339))
	if r.code != driftcmd.ExitFindings {
		t.Fatalf("exit code %d, want %d\nstderr: %s\nstdout: %s", r.code, driftcmd.ExitFindings, r.stderr, r.stdout)
	}
	rep := parseJSON(t, r.stdout)
	if !rep.Complete || len(rep.Sources) != 1 || !rep.Sources[0].Complete {
		t.Fatalf("report incomplete: %+v\nstderr: %s", rep.Sources, r.stderr)
	}
	var got []string
	msgs := map[string]string{}
	for _, f := range rep.Findings {
		line := fmt.Sprintf("%s %s %s", f.RuleID, f.Severity, f.Identity.ID)
		got = append(got, line)
		msgs[f.RuleID+" "+f.Identity.ID] = f.Message
		if f.OWASP == "" || f.Remediation == "" || f.Message == "" || len(f.Fingerprint) != 32 || f.Location == nil || f.Identity.Source != "gh" {
			t.Errorf("finding %s lacks a field: %+v", line, f)
		}
	}
	sort.Strings(got)
	push, old, unused := fmt.Sprintf("acme/api/%d", sc.push), fmt.Sprintf("acme/web/%d", sc.old), fmt.Sprintf("acme/docs/%d", sc.unused)
	want := []string{
		"NHI001 high " + push,
		"NHI001 high installation/ci-bot",
		"NHI001 high token/alice/33",
		"NHI001 high token/bob/31",
		"NHI001 medium " + old,
		"NHI001 medium " + unused,
		"NHI001 medium installation/nhi-scanner",
		"NHI001 medium installation/reader",
		"NHI001 medium token/carol/32",
		"NHI002 high acme/api/999",
		"NHI006 high token/bob/31",
		"NHI007 high " + old,
		"NHI007 high actions/acme",
		"NHI007 high token/carol/32",
		"NHI001 medium token/carol/35",
		"NHI001 medium token/carol/36",
		"NHI001 medium token/carol/37",
		"NHI009 medium token/carol/37",
		"NHI007 high token/carol/35",
		"NHI008 high " + push,
		"NHI008 high installation/ci-bot",
		"NHI008 high token/alice/33",
		"NHI008 high token/bob/31",
		"NHI009 medium " + unused,
		"NHI009 medium token/carol/32",
	}
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings differ.\ngot:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	for key, want := range map[string]string{
		"NHI008 " + push:             "deploy key " + push + " holds privileged scopes: deploy_key:write@acme/api",
		"NHI008 installation/ci-bot": "GitHub App installation installation/ci-bot holds privileged scopes: installation:repositories:all (with contents:write on every repository of the organisation)",
		"NHI008 token/bob/31":        "fine-grained personal access token token/bob/31 holds privileged scopes: token:workflows:write",
		"NHI008 token/alice/33":      "fine-grained personal access token token/alice/33 holds privileged scopes: token:administration:write",
		"NHI006 token/bob/31":        "token release of fine-grained personal access token token/bob/31 is owned by \"bob\", who is not in the owners directory GitHub organisation acme",
		"NHI007 " + old:              "deploy key " + old + " has SSH key " + old + " created 200 days ago, older than max_credential_age 90d",
		"NHI007 actions/acme":        "Actions secret store actions/acme has Actions secret NPM_TOKEN created 200 days ago, older than max_credential_age 90d",
		"NHI007 token/carol/35":      "fine-grained personal access token token/carol/35 has token long that expires at " + nhi.FormatTime(sc.at.Add(400*24*time.Hour)) + ", beyond max_lifetime 365d",
		"NHI007 token/carol/32":      "fine-grained personal access token token/carol/32 has a token forever that never expires",
		"NHI009 " + unused:           "SSH key " + unused + " of deploy key " + unused + " was never used and was created 60 days ago (stale_after 45d)",
		"NHI009 token/carol/37":      "fine-grained personal access token token/carol/37 was never used and was created 60 days ago (stale_after 45d)",
		"NHI009 token/carol/32":      "token forever of fine-grained personal access token token/carol/32 was last used 100 days ago (stale_after 45d)",
		"NHI001 token/bob/31":        "fine-grained personal access token token/bob/31 exists in source \"gh\" but is not declared; it holds privileged scopes",
		"NHI002 acme/api/999":        "acme/api/999 is declared in Terraform state as nhi_github_deploy_key.ghost but does not exist in source \"gh\"",
	} {
		if msgs[key] != want {
			t.Errorf("%s message:\n got: %s\nwant: %s", key, msgs[key], want)
		}
	}

	// The suspended installation and the expired token are excluded by
	// default, and said so.
	var full struct {
		Excluded []struct {
			Identity struct {
				ID string `json:"id"`
			} `json:"identity"`
			Reason string `json:"reason"`
		} `json:"excluded"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &full); err != nil {
		t.Fatal(err)
	}
	var excluded []string
	for _, e := range full.Excluded {
		excluded = append(excluded, e.Identity.ID+" "+e.Reason)
	}
	sort.Strings(excluded)
	if w := []string{"installation/old-bot github_suspended_installation", "token/dave/34 github_expired_token"}; strings.Join(excluded, ",") != strings.Join(w, ",") {
		t.Errorf("excluded = %v, want %v", excluded, w)
	}
	for _, secret := range []string{"BEGIN RSA", "ghs_", sc.fake.Token()} {
		if strings.Contains(r.stdout+r.stderr, secret) {
			t.Errorf("the report holds a credential (%.6s...)", secret)
		}
	}

	// --generate-imports writes import and resource blocks for the
	// undeclared deploy keys only (no resource declares the other kinds).
	adopt := filepath.Join(sc.dir, "adopt.tf")
	if r := runGitHub(t, "--config", sc.config, "--state", sc.state, "--format", "json", "--fail-on", "none", "--at", sc.at.Format(time.RFC3339), "--generate-imports", adopt); r.code != driftcmd.ExitClean {
		t.Fatalf("--generate-imports: exit %d\n%s", r.code, r.stderr)
	}
	b, err := os.ReadFile(adopt)
	if err != nil {
		t.Fatal(err)
	}
	gen := string(b)
	if n := strings.Count(gen, "import {"); n != 3 {
		t.Errorf("%d import blocks, want 3 (the undeclared deploy keys):\n%s", n, gen)
	}
	for _, want := range []string{
		`id = "` + push + `"`, `id = "` + old + `"`, `id = "` + unused + `"`,
		`repository = "acme/api"`, `title      = "ci-push"`, `read_only = false`, `"deploy_key:write@acme/api"`,
		`repository = "acme/web"`, `title      = "old-mirror"`, `read_only = true`,
		`namespace = "FILL-IN-namespace"`, "GitHub never gives the private key back",
	} {
		if !strings.Contains(gen, want) {
			t.Errorf("generated imports lack %q:\n%s", want, gen)
		}
	}
	for _, not := range []string{"installation", "token/", "webhook", "actions/"} {
		if strings.Contains(gen, not) {
			t.Errorf("generated imports name %q, which no resource declares:\n%s", not, gen)
		}
	}
}

func TestGitHubScenarioIncomplete(t *testing.T) {
	sc := seedGitHub(t)
	t.Run("a listing the credential may not read", func(t *testing.T) {
		// A token (not an App) cannot list the fine-grained token grants.
		cfg := filepath.Join(sc.dir, "token.hcl")
		fatalOnError(t)(os.WriteFile(cfg, []byte(fmt.Sprintf(`source "github" "gh" {
  organization = "acme"
  base_url     = %q
  token_env    = "NHI_TEST_GITHUB_TOKEN"
}
`, sc.fake.URL())), 0o600))
		t.Setenv("NHI_TEST_GITHUB_TOKEN", sc.fake.Token())
		r := runGitHub(t, "--config", cfg, "--format", "json", "--at", sc.at.Format(time.RFC3339))
		if r.code != driftcmd.ExitIncomplete {
			t.Fatalf("exit %d, want %d (incomplete)\nstderr: %s", r.code, driftcmd.ExitIncomplete, r.stderr)
		}
		if !strings.Contains(r.stderr, "only a GitHub App may list them") || strings.Contains(r.stderr, sc.fake.Token()) {
			t.Errorf("stderr does not say why, or holds the token:\n%s", r.stderr)
		}
		rep := parseJSON(t, r.stdout)
		if rep.Complete || len(rep.Findings) == 0 {
			t.Errorf("complete = %v with %d findings: want an incomplete report of what was read", rep.Complete, len(rep.Findings))
		}
	})
	t.Run("a scanner App on selected repositories", func(t *testing.T) {
		// The same App's second installation covers only docs: an
		// unfiltered scan is incomplete, and says why.
		inst := sc.fake.AddInstallation("acme", githubfake.Installation{AppID: 900, AppSlug: "nhi-scanner-docs", RepositorySelection: "selected", Repositories: []string{"docs"},
			Permissions: map[string]string{"administration": "read", "secrets": "read", "organization_administration": "read", "organization_personal_access_tokens": "read",
				"organization_secrets": "read", "organization_hooks": "read", "members": "read"}})
		b, err := os.ReadFile(sc.config)
		fatalOnError(t)(err)
		cfg := filepath.Join(sc.dir, "selected.hcl")
		fatalOnError(t)(os.WriteFile(cfg, []byte(strings.Replace(string(b), fmt.Sprintf("installation_id  = %d", sc.scannerInstallation), fmt.Sprintf("installation_id  = %d", inst), 1)), 0o600))
		r := runGitHub(t, "--config", cfg, "--format", "json", "--at", sc.at.Format(time.RFC3339))
		if r.code != driftcmd.ExitIncomplete {
			t.Fatalf("exit %d, want %d (incomplete)\nstderr: %s", r.code, driftcmd.ExitIncomplete, r.stderr)
		}
		if !strings.Contains(r.stderr, `is installed on selected repositories only (repository_selection "selected")`) {
			t.Errorf("stderr does not say the App covers selected repositories only:\n%s", r.stderr)
		}
	})
	t.Run("an endpoint failing after the retries", func(t *testing.T) {
		sc.fake.FailRoute(githubfake.RouteOrgHooks, true)
		defer sc.fake.FailRoute(githubfake.RouteOrgHooks, false)
		start, before := time.Now(), sc.fake.Count(githubfake.RouteOrgHooks)
		r := runGitHub(t, "--config", sc.config, "--format", "json", "--at", sc.at.Format(time.RFC3339))
		if r.code != driftcmd.ExitIncomplete {
			t.Fatalf("exit %d, want %d (incomplete)\nstderr: %s", r.code, driftcmd.ExitIncomplete, r.stderr)
		}
		if !strings.Contains(r.stderr, "listing the webhooks of organisation acme") || !strings.Contains(r.stderr, "500") {
			t.Errorf("stderr does not name the failed listing:\n%s", r.stderr)
		}
		if n := sc.fake.Count(githubfake.RouteOrgHooks) - before; n != 1+2 {
			t.Errorf("%d requests of the failing listing, want %d (bounded retries: 1 + the source's max_retries 2)", n, 1+2)
		}
		t.Logf("incomplete after %s", time.Since(start).Round(time.Millisecond))
	})
}
