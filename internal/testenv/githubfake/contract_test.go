package githubfake_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	gh "github.com/google/go-github/v81/github"

	"github.com/nhi-ops/terraform-provider-nhi/internal/testenv/githubfake"
)

const org = "acme"

var (
	t0   = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	used = time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
)

func client(t *testing.T, s *githubfake.Server, token string) *gh.Client {
	t.Helper()
	c := gh.NewClient(nil).WithAuthToken(token)
	u, _ := url.Parse(s.URL())
	c.BaseURL, c.UploadURL = u, u
	return c
}

// seeded is a fake with one of everything.
func seeded(t *testing.T) (*githubfake.Server, *rsa.PrivateKey, int64) {
	t.Helper()
	s := githubfake.New()
	t.Cleanup(s.Close)
	s.AddRepository(org, "api", "prod", "go")
	s.AddRepository(org, "web")
	s.AddDeployKey(org, "api", githubfake.FakeDeployKey{Title: "ci", Key: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA1 ci", ReadOnly: false, CreatedAt: t0, LastUsed: &used, AddedBy: "alice"})
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	s.AddApp(42, &key.PublicKey)
	inst := s.AddInstallation(org, githubfake.Installation{AppID: 42, AppSlug: "scanner", Permissions: map[string]string{"contents": "write", "metadata": "read"}, CreatedAt: t0})
	exp := t0.Add(90 * 24 * time.Hour)
	s.AddPAT(org, githubfake.PAT{TokenName: "deploy", OwnerLogin: "bob", Selection: "subset", Repos: []string{"api"},
		RepoPerms: map[string]string{"contents": "write", "workflows": "write"}, OrgPerms: map[string]string{"members": "read"},
		GrantedAt: t0, ExpiresAt: &exp, LastUsedAt: &used})
	s.AddOrgSecret(org, githubfake.Secret{Name: "NPM_TOKEN", CreatedAt: t0, UpdatedAt: used, Visibility: "all"})
	s.AddRepoSecret(org, "api", githubfake.Secret{Name: "DEPLOY_KEY", CreatedAt: t0, UpdatedAt: used})
	s.AddHook(org, githubfake.Hook{URL: "https://ci.example.com/hook", Active: true, HasSecret: true, CreatedAt: t0, UpdatedAt: used})
	s.AddMember(org, "alice", "carol")
	return s, key, inst
}

func appJWT(t *testing.T, key *rsa.PrivateKey, appID int64, iat, exp time.Time) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.RegisteredClaims{
		Issuer: strconv.FormatInt(appID, 10), IssuedAt: jwt.NewNumericDate(iat), ExpiresAt: jwt.NewNumericDate(exp),
	}).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func installationClient(t *testing.T, s *githubfake.Server, key *rsa.PrivateKey, inst int64) *gh.Client {
	t.Helper()
	now := time.Now()
	it, _, err := client(t, s, appJWT(t, key, 42, now.Add(-time.Minute), now.Add(9*time.Minute))).Apps.CreateInstallationToken(context.Background(), inst, nil)
	if err != nil {
		t.Fatal(err)
	}
	if it.Token == nil || it.ExpiresAt == nil || it.Permissions == nil || it.Permissions.Contents == nil {
		t.Fatalf("installation token lacks fields: %+v", it)
	}
	return client(t, s, it.GetToken())
}

// TestContractDecodesIntoGoGitHub decodes every endpoint's answer into
// go-github v81's types and checks the fields the connector relies on.
func TestContractDecodesIntoGoGitHub(t *testing.T) {
	s, key, inst := seeded(t)
	ctx := context.Background()
	c := client(t, s, s.Token())
	app := installationClient(t, s, key, inst)

	repos, resp, err := c.Repositories.ListByOrg(ctx, org, &gh.RepositoryListByOrgOptions{ListOptions: gh.ListOptions{PerPage: 100}})
	if err != nil || len(repos) != 2 {
		t.Fatalf("ListByOrg: %v, %d repos", err, len(repos))
	}
	if r := repos[0]; r.ID == nil || r.Name == nil || r.Owner.GetLogin() != org || len(r.Topics) != 2 || r.Private == nil || r.FullName == nil {
		t.Errorf("repository lacks fields: %s", r)
	}
	if resp.Rate.Limit == 0 || resp.Rate.Reset.IsZero() || resp.Header.Get("X-RateLimit-Resource") == "" {
		t.Errorf("no rate-limit headers: %+v", resp.Rate)
	}
	if r, _, err := c.Repositories.Get(ctx, org, "api"); err != nil || r.GetFullName() != "acme/api" {
		t.Errorf("Get repo: %v %v", r, err)
	}

	keys, _, err := c.Repositories.ListKeys(ctx, org, "api", nil)
	if err != nil || len(keys) != 1 {
		t.Fatalf("ListKeys: %v %d", err, len(keys))
	}
	k := keys[0]
	if k.ID == nil || k.Title == nil || k.Key == nil || k.ReadOnly == nil || k.CreatedAt == nil || k.LastUsed == nil || k.GetAddedBy() != "alice" {
		t.Errorf("key lacks fields: %s", k)
	}
	made, cr, err := c.Repositories.CreateKey(ctx, org, "web", &gh.Key{Title: gh.Ptr("t"), Key: gh.Ptr("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB2"), ReadOnly: gh.Ptr(true)})
	if err != nil || cr.StatusCode != 201 || made.GetID() == 0 || !made.GetReadOnly() {
		t.Fatalf("CreateKey: %v %v", made, err)
	}
	_, _, err = c.Repositories.CreateKey(ctx, org, "api", &gh.Key{Title: gh.Ptr("t"), Key: gh.Ptr("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB2 other-comment")})
	var er *gh.ErrorResponse
	if !errors.As(err, &er) || er.Response.StatusCode != 422 || len(er.Errors) != 1 || er.Errors[0].Message != "key is already in use" {
		t.Errorf("duplicate key: %v, want 422 key is already in use", err)
	}
	if g, _, err := c.Repositories.GetKey(ctx, org, "web", made.GetID()); err != nil || g.GetKey() != made.GetKey() {
		t.Errorf("GetKey: %v %v", g, err)
	}
	if r, err := c.Repositories.DeleteKey(ctx, org, "web", made.GetID()); err != nil || r.StatusCode != 204 {
		t.Errorf("DeleteKey: %v", err)
	}
	if _, r, err := c.Repositories.GetKey(ctx, org, "web", made.GetID()); err == nil || r.StatusCode != 404 {
		t.Errorf("GetKey of a deleted key: %v, want 404", err)
	}

	ins, _, err := c.Organizations.ListInstallations(ctx, org, nil)
	if err != nil || ins.GetTotalCount() != 1 || len(ins.Installations) != 1 {
		t.Fatalf("ListInstallations: %v %+v", err, ins)
	}
	in := ins.Installations[0]
	if in.ID == nil || in.AppSlug == nil || in.AppID == nil || in.RepositorySelection == nil || in.Permissions.GetContents() != "write" || in.CreatedAt == nil || in.Account.GetLogin() != org {
		t.Errorf("installation lacks fields: %s", in)
	}

	if _, r, err := c.Organizations.ListFineGrainedPersonalAccessTokens(ctx, org, &gh.ListFineGrainedPATOptions{}); err == nil || r.StatusCode != 403 {
		t.Errorf("fine-grained token listing with a personal access token: %v, want 403 (GitHub Apps only)", err)
	}
	pats, _, err := app.Organizations.ListFineGrainedPersonalAccessTokens(ctx, org, &gh.ListFineGrainedPATOptions{})
	if err != nil || len(pats) != 1 {
		t.Fatalf("ListFineGrainedPersonalAccessTokens as the App: %v %d", err, len(pats))
	}
	p := pats[0]
	if p.ID == nil || p.Owner.GetLogin() != "bob" || p.GetRepositorySelection() != "subset" || p.Permissions == nil || p.Permissions.Repo["workflows"] != "write" ||
		p.Permissions.Org["members"] != "read" || p.TokenExpiresAt == nil || p.TokenLastUsedAt == nil || p.TokenExpired == nil || p.TokenName == nil || p.RepositoriesURL == nil || p.AccessGrantedAt == nil {
		t.Errorf("token grant lacks fields: %+v", p)
	}
	req, _ := app.NewRequest("GET", p.GetRepositoriesURL(), nil)
	var patRepos []*gh.Repository
	if _, err := app.Do(ctx, req, &patRepos); err != nil || len(patRepos) != 1 || patRepos[0].GetName() != "api" {
		t.Errorf("token repositories: %v %v", patRepos, err)
	}

	os, _, err := c.Actions.ListOrgSecrets(ctx, org, nil)
	if err != nil || os.TotalCount != 1 || os.Secrets[0].Name != "NPM_TOKEN" || os.Secrets[0].UpdatedAt.IsZero() || os.Secrets[0].CreatedAt.IsZero() || os.Secrets[0].Visibility != "all" {
		t.Errorf("ListOrgSecrets: %v %+v", err, os)
	}
	rs, _, err := c.Actions.ListRepoSecrets(ctx, org, "api", nil)
	if err != nil || rs.TotalCount != 1 || rs.Secrets[0].Name != "DEPLOY_KEY" || rs.Secrets[0].UpdatedAt.IsZero() {
		t.Errorf("ListRepoSecrets: %v %+v", err, rs)
	}

	hooks, _, err := c.Organizations.ListHooks(ctx, org, nil)
	if err != nil || len(hooks) != 1 {
		t.Fatalf("ListHooks: %v", err)
	}
	if h := hooks[0]; h.ID == nil || h.Config.GetURL() == "" || h.Config.GetSecret() != "********" || h.Active == nil || h.CreatedAt == nil || h.UpdatedAt == nil {
		t.Errorf("hook lacks fields: %s", h)
	}

	s.AddTeam(org, "platform", "alice")
	tm, _, err := c.Teams.ListTeamMembersBySlug(ctx, org, "platform", nil)
	if err != nil || len(tm) != 1 || tm[0].GetLogin() != "alice" {
		t.Errorf("ListTeamMembersBySlug: %v %v", tm, err)
	}
	if _, r, err := c.Teams.ListTeamMembersBySlug(ctx, org, "nope", nil); err == nil || r.StatusCode != 404 {
		t.Errorf("unknown team: %v, want 404", err)
	}
	ms, _, err := c.Organizations.ListMembers(ctx, org, nil)
	if err != nil || len(ms) != 2 || ms[0].GetLogin() != "alice" || ms[0].ID == nil {
		t.Errorf("ListMembers: %v %v", ms, err)
	}
}

func TestContractNotFoundAndAuth(t *testing.T) {
	s, _, _ := seeded(t)
	ctx := context.Background()
	c := client(t, s, s.Token())
	s.HideRepository(org, "web")
	for _, call := range []func() (*gh.Response, error){
		func() (*gh.Response, error) { _, r, err := c.Repositories.Get(ctx, org, "web"); return r, err },
		func() (*gh.Response, error) {
			_, r, err := c.Repositories.ListKeys(ctx, org, "web", nil)
			return r, err
		},
		func() (*gh.Response, error) { _, r, err := c.Repositories.Get(ctx, org, "nope"); return r, err },
		func() (*gh.Response, error) { _, r, err := c.Repositories.GetKey(ctx, org, "api", 1); return r, err },
	} {
		if r, err := call(); err == nil || r.StatusCode != 404 {
			t.Errorf("got %v, want 404", err)
		}
	}
	repos, _, _ := c.Repositories.ListByOrg(ctx, org, nil)
	if len(repos) != 1 {
		t.Errorf("listing shows %d repositories, want the hidden one left out", len(repos))
	}
	if _, r, err := client(t, s, "wrong").Repositories.Get(ctx, org, "api"); err == nil || r.StatusCode != 401 {
		t.Errorf("bad token: %v, want 401", err)
	}
}

func TestContractJWT(t *testing.T) {
	s, key, inst := seeded(t)
	ctx := context.Background()
	now := time.Now()
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	for name, tok := range map[string]string{
		"wrong key":      appJWT(t, other, 42, now.Add(-time.Minute), now.Add(5*time.Minute)),
		"expired":        appJWT(t, key, 42, now.Add(-20*time.Minute), now.Add(-10*time.Minute)),
		"lives too long": appJWT(t, key, 42, now, now.Add(time.Hour)),
		// GitHub's rule is exp at most 10 minutes from its now, whatever
		// iat says: iat a little ahead (within the skew) does not buy time.
		"exp beyond now+10m": appJWT(t, key, 42, now.Add(50*time.Second), now.Add(10*time.Minute+40*time.Second)),
		"unknown app":        appJWT(t, key, 43, now, now.Add(5*time.Minute)),
		"not a JWT at all":   "abc",
	} {
		if _, r, err := client(t, s, tok).Apps.CreateInstallationToken(ctx, inst, nil); err == nil || r.StatusCode != 401 {
			t.Errorf("%s: %v, want 401", name, err)
		}
	}
	// HS256 with the public key as the secret (alg confusion) is refused.
	pub, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	hs, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"iss": "42", "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix()}).
		SignedString(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}))
	if _, r, err := client(t, s, hs).Apps.CreateInstallationToken(ctx, inst, nil); err == nil || r.StatusCode != 401 {
		t.Errorf("HS256: %v, want 401", err)
	}
	if _, r, err := client(t, s, appJWT(t, key, 42, now, now.Add(5*time.Minute))).Apps.CreateInstallationToken(ctx, 999, nil); err == nil || r.StatusCode != 404 {
		t.Errorf("unknown installation: %v, want 404", err)
	}
	// An expired installation token is refused.
	s.SetTokenLifetime(50 * time.Millisecond)
	app := installationClient(t, s, key, inst)
	time.Sleep(100 * time.Millisecond)
	if _, r, err := app.Repositories.Get(ctx, org, "api"); err == nil || r.StatusCode != 401 {
		t.Errorf("expired installation token: %v, want 401", err)
	}
}

func TestContractPaginationAndLimits(t *testing.T) {
	s := githubfake.New()
	defer s.Close()
	for i := 0; i < 75; i++ {
		s.AddRepository(org, fmt.Sprintf("r%03d", i))
	}
	ctx := context.Background()
	c := client(t, s, s.Token())
	var names []string
	next := "orgs/acme/repos?per_page=30"
	pages := 0
	for next != "" {
		req, _ := c.NewRequest("GET", next, nil)
		var page []*gh.Repository
		resp, err := c.Do(ctx, req, &page)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, r := range page {
			names = append(names, r.GetName())
		}
		next = ""
		for _, l := range strings.Split(resp.Header.Get("Link"), ",") {
			if strings.Contains(l, `rel="next"`) {
				next = strings.Trim(strings.TrimSpace(strings.Split(l, ";")[0]), "<>")
			}
		}
	}
	if pages != 3 || len(names) != 75 || names[74] != "r074" {
		t.Errorf("%d pages, %d repositories", pages, len(names))
	}

	s.SecondaryEvery(1, 2*time.Second)
	_, _, err := c.Repositories.Get(ctx, org, "r001")
	var ab *gh.AbuseRateLimitError
	if !errors.As(err, &ab) || ab.GetRetryAfter() != 2*time.Second {
		t.Errorf("secondary: %v, want go-github's AbuseRateLimitError with retry-after 2s", err)
	}
	s.SecondaryEvery(0, 0)
	s.SetQuota(1, time.Hour)
	c2 := client(t, s, s.Token())
	if _, _, err := c2.Repositories.Get(ctx, org, "r001"); err != nil {
		t.Fatal(err)
	}
	_, _, err = c2.Repositories.Get(ctx, org, "r001")
	var rl *gh.RateLimitError
	if !errors.As(err, &rl) || rl.Rate.Remaining != 0 || rl.Rate.Reset.Before(time.Now().Add(50*time.Minute)) {
		t.Errorf("primary: %v, want go-github's RateLimitError with a reset an hour away", err)
	}
	s.SetQuota(0, 0)
	s.FailRoute(githubfake.RouteOrgHooks, true)
	if _, r, err := client(t, s, s.Token()).Organizations.ListHooks(ctx, org, nil); err == nil || r.StatusCode != 500 {
		t.Errorf("failing route: %v, want 500", err)
	}
}

func TestLimitNext(t *testing.T) {
	s := githubfake.New()
	defer s.Close()
	s.AddRepository(org, "api")
	ctx := context.Background()
	s.LimitNext(2, true, 3*time.Second)
	for i := 0; i < 2; i++ {
		_, _, err := client(t, s, s.Token()).Repositories.Get(ctx, org, "api")
		var ab *gh.AbuseRateLimitError
		if !errors.As(err, &ab) || ab.GetRetryAfter() != 3*time.Second {
			t.Errorf("request %d: %v, want the secondary limit", i, err)
		}
	}
	s.LimitNext(1, false, time.Hour)
	_, _, err := client(t, s, s.Token()).Repositories.Get(ctx, org, "api")
	var rl *gh.RateLimitError
	if !errors.As(err, &rl) || rl.Rate.Reset.Before(time.Now().Add(59*time.Minute)) {
		t.Errorf("%v, want the primary limit resetting in an hour", err)
	}
	if _, _, err := client(t, s, s.Token()).Repositories.Get(ctx, org, "api"); err != nil {
		t.Errorf("after the limited requests: %v", err)
	}
	if s.Limited() != 3 {
		t.Errorf("Limited = %d, want 3", s.Limited())
	}
}

// GitHub's reference for "Create a deploy key": read_only is optional, and
// a key created without it "will be able to read and write".
func TestCreateKeyReadOnlyDefault(t *testing.T) {
	s := githubfake.New()
	defer s.Close()
	s.AddRepository(org, "api")
	c := client(t, s, s.Token())
	ctx := context.Background()
	k, _, err := c.Repositories.CreateKey(ctx, org, "api", &gh.Key{Title: gh.Ptr("no flag"), Key: gh.Ptr("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJa")})
	if err != nil {
		t.Fatal(err)
	}
	if k.GetReadOnly() {
		t.Errorf("a key created without read_only is read-only; GitHub makes it read-write")
	}
	k, _, err = c.Repositories.CreateKey(ctx, org, "api", &gh.Key{Title: gh.Ptr("ro"), Key: gh.Ptr("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJb"), ReadOnly: gh.Ptr(true)})
	if err != nil || !k.GetReadOnly() {
		t.Errorf("read_only true: %+v, %v", k, err)
	}
}
