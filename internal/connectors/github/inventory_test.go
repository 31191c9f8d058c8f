package github

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/testenv/githubfake"
)

var (
	t0     = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	t1     = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	expiry = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
)

// seedOrg gives the organisation one of everything.
func seedOrg(s *githubfake.Server) {
	s.AddRepository(org, "api", "prod")
	s.AddRepository(org, "web")
	s.AddDeployKey(org, "api", githubfake.FakeDeployKey{ID: 11, Title: "deploy [nhi.dev]", Key: pubKey(11), ReadOnly: false, CreatedAt: t0, LastUsed: &t1, AddedBy: "alice"})
	s.AddDeployKey(org, "web", githubfake.FakeDeployKey{ID: 12, Title: "mirror", Key: pubKey(12), ReadOnly: true, CreatedAt: t0})
	s.AddInstallation(org, githubfake.Installation{ID: 21, AppID: 5, AppSlug: "ci-bot", RepositorySelection: "selected", Permissions: map[string]string{"contents": "write", "metadata": "read"}, CreatedAt: t0})
	susp := t1
	s.AddInstallation(org, githubfake.Installation{ID: 22, AppID: 6, AppSlug: "old-bot", Permissions: map[string]string{"contents": "write"}, CreatedAt: t0, SuspendedAt: &susp})
	s.AddPAT(org, githubfake.PAT{ID: 31, TokenID: 301, TokenName: "release", OwnerLogin: "bob", Selection: "subset", Repos: []string{"api"},
		RepoPerms: map[string]string{"contents": "write", "workflows": "write"}, OrgPerms: map[string]string{"members": "read"}, GrantedAt: t0, ExpiresAt: &expiry, LastUsedAt: &t1})
	s.AddPAT(org, githubfake.PAT{ID: 32, TokenID: 302, TokenName: "forever", OwnerLogin: "carol", Selection: "all", RepoPerms: map[string]string{"metadata": "read"}, GrantedAt: t0})
	s.AddOrgSecret(org, githubfake.Secret{Name: "NPM_TOKEN", CreatedAt: t0, UpdatedAt: t1, Visibility: "all"})
	s.AddRepoSecret(org, "api", githubfake.Secret{Name: "AWS_KEY", CreatedAt: t0, UpdatedAt: t0})
	s.AddHook(org, githubfake.Hook{ID: 41, URL: "https://ci.example.com/hook?token=abc", Events: []string{"push"}, Active: true, HasSecret: true, CreatedAt: t0, UpdatedAt: t1})
	s.AddMember(org, "alice", "carol")
}

func byRef(ids []nhi.Identity) map[string]nhi.Identity {
	out := map[string]nhi.Identity{}
	for _, id := range ids {
		out[id.Kind+" "+id.Ref.String()] = id
	}
	return out
}

func TestScanModel(t *testing.T) {
	s := fake(t)
	seedOrg(s)
	c, inst := appClient(t, s, Config{}, scannerPerms(nil))
	ids, err := c.Scan(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	got := byRef(ids)
	var refs []string
	for k := range got {
		refs = append(refs, k)
	}
	want := []string{
		"actions_secrets actions/acme", "actions_secrets actions/acme/api",
		"app_installation installation/ci-bot", "app_installation installation/nhi-scanner", "app_installation installation/old-bot",
		"deploy_key acme/api/11", "deploy_key acme/web/12",
		"fine_grained_token token/bob/31", "fine_grained_token token/carol/32",
		"org_webhook webhook/41",
	}
	if len(ids) != len(want) {
		t.Errorf("scan found %v, want %v", refs, want)
	}
	for _, w := range want {
		if _, ok := got[w]; !ok {
			t.Errorf("missing %s (found %v)", w, refs)
		}
	}

	k := got["deploy_key acme/api/11"]
	if !k.Declared || k.ID != "11" || !reflect.DeepEqual(k.EffectiveScopes, []string{"deploy_key:write@acme/api"}) || k.Labels["title"] != "deploy" || k.Labels["added_by"] != "alice" ||
		len(k.Credentials) != 1 || k.Credentials[0].ID != "acme/api/11" || !k.Credentials[0].UsageKnown || k.Credentials[0].LastUsedAt == nil || !k.Credentials[0].LastUsedAt.Equal(t1) || !k.Credentials[0].CreatedAt.Equal(t0) {
		t.Errorf("write key: %+v", k)
	}
	if k := got["deploy_key acme/web/12"]; k.Declared || k.EffectiveScopes[0] != "deploy_key:read@acme/web" || k.Credentials[0].LastUsedAt != nil || !k.Credentials[0].UsageKnown {
		t.Errorf("read key: %+v", k)
	}

	ci := got["app_installation installation/ci-bot"]
	if !reflect.DeepEqual(ci.EffectiveScopes, []string{"installation:contents:write", "installation:metadata:read", "installation:repositories:selected"}) || len(ci.PrivilegedWhy) != 0 || ci.ID != "21" {
		t.Errorf("selected installation: %+v", ci)
	}
	sc := got["app_installation installation/nhi-scanner"]
	if sc.ID != fmt.Sprint(inst) || len(sc.PrivilegedWhy) != 0 {
		t.Errorf("read-only installation on all repositories must not be privileged: %+v", sc)
	}
	if old := got["app_installation installation/old-bot"]; !old.Disabled || len(old.EffectiveScopes) != 0 {
		t.Errorf("suspended installation: %+v", old)
	}

	bob := got["fine_grained_token token/bob/31"]
	wantScopes := []string{"token:contents:write", "token:members:read", "token:repositories:subset", "token:repository:api", "token:workflows:write"}
	if !reflect.DeepEqual(bob.EffectiveScopes, wantScopes) {
		t.Errorf("token scopes %v, want %v", bob.EffectiveScopes, wantScopes)
	}
	bc := bob.Credentials[0]
	if bc.ID != "release" || bc.UID != "301" || bc.Owner != "bob" || bc.ExpiresAt == nil || !bc.ExpiresAt.Equal(expiry) || bc.NeverExpires || !bc.UsageKnown || !bc.LastUsedAt.Equal(t1) {
		t.Errorf("token credential: %+v", bc)
	}
	// GitHub gives the grant's date, not the token's creation: the grant
	// (the identity) dates from it, the token's age is unknown (so
	// max_credential_age does not judge it).
	if !bc.CreatedAt.IsZero() || !bob.CreatedAt.Equal(t0) || bob.Labels["access_granted_at"] != "2026-01-02T03:04:05Z" {
		t.Errorf("token credential created %s, grant %s (label %q): want the grant's date on the identity only", bc.CreatedAt, bob.CreatedAt, bob.Labels["access_granted_at"])
	}
	carol := got["fine_grained_token token/carol/32"]
	if cc := carol.Credentials[0]; !cc.NeverExpires || cc.ExpiresAt != nil || cc.LastUsedAt != nil || cc.UsageKnown || !cc.CreatedAt.IsZero() {
		t.Errorf("token without expiry, never used: %+v", cc)
	}
	if carol.LastUsedAt == nil || !carol.LastUsedAt.IsZero() || !carol.CreatedAt.Equal(t0) {
		t.Errorf("a grant never used: LastUsedAt %v (want the zero time: no use recorded), created %s", carol.LastUsedAt, carol.CreatedAt)
	}

	os := got["actions_secrets actions/acme"]
	if len(os.Credentials) != 1 || os.Credentials[0].ID != "NPM_TOKEN" || !os.Credentials[0].CreatedAt.Equal(t1) || !reflect.DeepEqual(os.EffectiveScopes, []string{"actions_secret:NPM_TOKEN:all"}) {
		t.Errorf("org secrets: %+v (age from updated_at)", os)
	}
	if rs := got["actions_secrets actions/acme/api"]; len(rs.Credentials) != 1 || rs.Credentials[0].ID != "AWS_KEY" {
		t.Errorf("repo secrets: %+v", rs)
	}
	h := got["org_webhook webhook/41"]
	if h.Labels["url_host"] != "ci.example.com" || len(h.Credentials) != 1 || h.Credentials[0].Kind != CredentialWebhookSecret || !h.Credentials[0].CreatedAt.Equal(t1) {
		t.Errorf("webhook: %+v", h)
	}
	for _, id := range ids {
		for k, v := range id.Labels {
			if strings.Contains(v, "token=abc") {
				t.Errorf("%s label %s holds the hook URL's query", id.Ref, k)
			}
		}
	}
}

func TestScanWriteOnAllRepositoriesIsPrivileged(t *testing.T) {
	s := fake(t)
	s.AddRepository(org, "api")
	c, _ := appClient(t, s, Config{}, map[string]string{"contents": "write", "administration": "write", "metadata": "read", "organization_administration": "read"})
	id, err := c.Get(context.Background(), nhi.Ref{Location: LocationInstallation, Name: "nhi-scanner"})
	if err != nil {
		t.Fatal(err)
	}
	why := id.PrivilegedWhy["installation:repositories:all"]
	if why != "with administration:write, contents:write on every repository of the organisation" {
		t.Errorf("PrivilegedWhy = %v", id.PrivilegedWhy)
	}
}

func TestGetDeployKeyIdentity(t *testing.T) {
	s := fake(t)
	seedOrg(s)
	c := tokenClient(t, s, Config{})
	id, err := c.Get(context.Background(), nhi.Ref{Location: "acme/api", Name: "11"})
	if err != nil || id.Kind != KindDeployKey || id.Ref.String() != "acme/api/11" {
		t.Errorf("Get = %+v, %v", id, err)
	}
	if _, err := c.Get(context.Background(), nhi.Ref{Location: "acme/api", Name: "99"}); !IsNotFound(err) {
		t.Errorf("Get of a missing key: %v", err)
	}
	if _, err := c.Get(context.Background(), nhi.Ref{Location: LocationWebhook, Name: "99"}); !IsNotFound(err) {
		t.Errorf("Get of a missing webhook: %v", err)
	}
}

func TestScanPagination200Repositories(t *testing.T) {
	s := fake(t)
	for i := 0; i < 200; i++ {
		name := fmt.Sprintf("repo-%03d", i)
		s.AddRepository(org, name)
		s.AddDeployKey(org, name, githubfake.FakeDeployKey{Title: "k", Key: pubKey(1000 + i), ReadOnly: true})
	}
	c := tokenClient(t, s, Config{PerPage: 30})
	ids, err := c.Scan(context.Background(), []string{LocationWebhook, LocationInstallation, "acme/repo-007"})
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 1 || ids[0].Ref.Location != "acme/repo-007" {
		t.Errorf("limited scan: %d identities", len(ids))
	}
	before := s.Count(githubfake.RouteOrgRepos)
	ids, err = c.Scan(context.Background(), []string{"acme/repo-000", "repo-199", "installation"})
	if err != nil || len(ids) != 2 {
		t.Fatalf("two repositories: %d, %v", len(ids), err)
	}
	if n := s.Count(githubfake.RouteOrgRepos) - before; n != 7 {
		t.Errorf("%d pages of repositories, want 7 (200 at 30 a page, following Link)", n)
	}
	repos, err := c.Repositories(context.Background())
	if err != nil || len(repos) != 200 || repos[199].GetName() != "repo-199" {
		t.Errorf("Repositories: %d, %v", len(repos), err)
	}
}

func TestScanRateLimitedCompletesWithinTheCap(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cap   time.Duration
		setup func(s *githubfake.Server)
		// minWait: every retry waits at least min(60s, cap), GitHub's
		// "wait at least a minute" for a secondary limit without
		// retry-after, or the minute its retry-after asks for.
		minWait bool
	}{
		// GitHub asks for a minute, or an hour: the client waits the cap.
		{"secondary", 300 * time.Millisecond, func(s *githubfake.Server) { s.SecondaryEvery(9, time.Minute) }, true},
		// Only the message tells (no retry-after), as a 403 or a 429.
		{"secondary 403 message only", 200 * time.Millisecond, func(s *githubfake.Server) {
			s.SecondaryAnswer(403, false)
			s.SecondaryEvery(20, 0)
		}, true},
		{"secondary 429 message only", 200 * time.Millisecond, func(s *githubfake.Server) {
			s.SecondaryAnswer(429, false)
			s.SecondaryEvery(20, 0)
		}, true},
		{"primary every n-th", 300 * time.Millisecond, func(s *githubfake.Server) { s.PrimaryEvery(11, time.Hour) }, true},
		{"primary 429", 200 * time.Millisecond, func(s *githubfake.Server) {
			s.PrimaryStatus(429)
			s.PrimaryEvery(20, time.Hour)
		}, true},
		// A budget of 60 requests per 150ms window, whose reset GitHub
		// gives in whole seconds: waits up to the next second, within
		// the cap.
		{"primary quota", 1500 * time.Millisecond, func(s *githubfake.Server) { s.SetQuota(60, 150*time.Millisecond) }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := fake(t)
			for i := 0; i < 200; i++ {
				name := fmt.Sprintf("repo-%03d", i)
				s.AddRepository(org, name)
				s.AddDeployKey(org, name, githubfake.FakeDeployKey{Title: "k", Key: pubKey(2000 + i), ReadOnly: true})
			}
			log := &recLogger{}
			cap := tc.cap
			// The exponential backoff starts far below the cap, so a
			// rate limit waited out on it instead of on what GitHub asks
			// shows as a short wait.
			cfg := Config{PerPage: 30, MaxRetries: 4, RetryWaitMax: cap, Logger: log}
			if tc.minWait {
				cfg.RetryWaitMin = 2 * time.Millisecond
			}
			c, _ := appClient(t, s, cfg, scannerPerms(nil))
			tc.setup(s)
			start := time.Now()
			keys := 0
			all, err := c.Scan(context.Background(), nil)
			if err != nil {
				t.Fatalf("full scan under rate limits: %v", err)
			}
			for _, id := range all {
				if id.Kind == KindDeployKey {
					keys++
				}
			}
			if keys != 200 {
				t.Errorf("%d deploy keys, want 200", keys)
			}
			longest, retries := log.maxWait()
			if s.Limited() == 0 || retries == 0 {
				t.Fatalf("the fake limited %d answers and the client retried %d times: the test tests nothing", s.Limited(), retries)
			}
			if shortest := log.minWait(); tc.minWait && shortest < min(SecondaryLimitWait, cap) {
				t.Errorf("a wait of %s, shorter than min(%s, cap %s): the rate limit was retried on the exponential backoff", shortest, SecondaryLimitWait, cap)
			}
			if longest > cap {
				t.Errorf("a wait of %s, beyond the cap %s (the fake asked for a minute or an hour)", longest, cap)
			}
			if took := time.Since(start); took > time.Duration(retries+1)*cap+10*time.Second {
				t.Errorf("took %s for %d retries", took, retries)
			}
			t.Logf("%d rate-limited answers, %d retries, longest wait %s, %s", s.Limited(), retries, longest, time.Since(start).Round(time.Millisecond))
		})
	}
}

func TestScanIncompleteWhenAListingFails(t *testing.T) {
	s := fake(t)
	seedOrg(s)
	c, _ := appClient(t, s, Config{MaxRetries: 2}, scannerPerms(nil))
	s.FailRoute(githubfake.RouteOrgHooks, true)
	s.FailRoute(githubfake.RouteRepoSecrets, true)
	ids, err := c.Scan(context.Background(), nil)
	if err == nil {
		t.Fatal("scan with failing listings reported complete")
	}
	for _, want := range []string{"not fully scanned", "listing the webhooks of organisation acme", "listing the Actions secrets of repository acme/api", "500"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	if n := s.Count(githubfake.RouteOrgHooks); n != 3 {
		t.Errorf("%d requests of the failing listing, want 3 (bounded: 1 + MaxRetries 2)", n)
	}
	got := byRef(ids)
	if _, ok := got["deploy_key acme/api/11"]; !ok || len(ids) < 7 {
		t.Errorf("the rest of the scan is missing: %d identities", len(ids))
	}
	if _, ok := got["org_webhook webhook/41"]; ok {
		t.Error("a webhook from a failed listing")
	}
}

func TestScanTokenAuthCannotListTokenGrants(t *testing.T) {
	s := fake(t)
	seedOrg(s)
	c := tokenClient(t, s, Config{})
	ids, err := c.Scan(context.Background(), nil)
	if !errors.Is(err, ErrForbidden) || !strings.Contains(err.Error(), "only a GitHub App may list them") || !strings.Contains(err.Error(), "app_id, installation_id, private_key_file") {
		t.Errorf("got %v, want an incomplete scan saying the token listing needs a GitHub App", err)
	}
	if _, ok := byRef(ids)["deploy_key acme/api/11"]; !ok {
		t.Error("the rest of the scan is missing")
	}
}

func TestRepositoryFilter(t *testing.T) {
	s := fake(t)
	seedOrg(s)
	s.AddRepository(org, "docs", "prod")
	s.AddRepository(org, "tools")
	for _, tc := range []struct {
		repos, topics []string
		want          []string
		err           string
	}{
		{repos: []string{"web"}, want: []string{"web"}},
		{topics: []string{"PROD"}, want: []string{"api", "docs"}},
		{repos: []string{"tools"}, topics: []string{"prod"}, want: []string{"api", "docs", "tools"}},
		{repos: []string{"web", "gone"}, want: []string{"web"}, err: "repositories gone named in the repository filter are not in organisation acme"},
	} {
		c := tokenClient(t, s, Config{Repositories: tc.repos, Topics: tc.topics})
		rs, err := c.Repositories(context.Background())
		var names []string
		for _, r := range rs {
			names = append(names, r.GetName())
		}
		if !reflect.DeepEqual(names, tc.want) {
			t.Errorf("filter %v %v: %v, want %v", tc.repos, tc.topics, names, tc.want)
		}
		if (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
			t.Errorf("filter %v %v: error %v, want %q", tc.repos, tc.topics, err, tc.err)
		}
	}
}

func TestMembersDirectory(t *testing.T) {
	s := fake(t)
	seedOrg(s)
	s.AddTeam(org, "platform", "alice")
	s.AddTeam(org, "ghosts", "mallory")
	c := tokenClient(t, s, Config{})
	d := c.MembersDirectory()
	got, err := d.Lookup(context.Background(), []string{"alice", "@Carol", "bob", "team:platform", "team:ghosts", "team:nope"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]nhi.OwnerStatus{
		"alice": nhi.ActiveOwner(nhi.OwnerPerson), "@Carol": nhi.ActiveOwner(nhi.OwnerPerson), "bob": nhi.UnknownOwner(nhi.OwnerPerson),
		"team:platform": nhi.ActiveOwner(nhi.OwnerTeam), "team:nope": nhi.UnknownOwner(nhi.OwnerTeam),
		"team:ghosts": {Found: true, Kind: nhi.OwnerTeam, Reason: nhi.OwnerNoActiveMember},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Lookup = %v\nwant %v", got, want)
	}
	if _, err := d.Lookup(context.Background(), []string{"carol"}); err != nil {
		t.Fatal(err)
	}
	if n := s.Count(githubfake.RouteOrgMembers); n != 1 {
		t.Errorf("%d member listings for two lookups, want 1", n)
	}
	if d.Name() != "GitHub organisation acme" {
		t.Errorf("Name = %q", d.Name())
	}
	s.FailRoute(githubfake.RouteOrgMembers, true)
	if _, err := tokenClient(t, s, Config{}).MembersDirectory().Lookup(context.Background(), []string{"alice"}); err == nil {
		t.Error("a failing member listing answered: an unreadable directory must be an error, never \"everyone left\"")
	}
}

func TestListWithTokenAuthLeavesOutTokenGrants(t *testing.T) {
	s := fake(t)
	seedOrg(s)
	c := tokenClient(t, s, Config{})
	ids, err := nhi.ListAll(context.Background(), c, nhi.ListOptions{})
	if err != nil {
		t.Fatalf("List with a token: %v (only the token grants need an App)", err)
	}
	got := byRef(ids)
	for _, want := range []string{"deploy_key acme/api/11", "deploy_key acme/web/12", "actions_secrets actions/acme", "actions_secrets actions/acme/api", "app_installation installation/ci-bot", "org_webhook webhook/41"} {
		if _, ok := got[want]; !ok {
			t.Errorf("List lacks %s", want)
		}
	}
	for k := range got {
		if strings.HasPrefix(k, KindFineGrainedToken) {
			t.Errorf("List with a token has %s", k)
		}
	}
	if n := s.Count(githubfake.RoutePATs); n != 0 {
		t.Errorf("%d token grant listings", n)
	}
	if _, err := c.List(context.Background(), nhi.ListOptions{Locations: []string{LocationToken}}); !errors.Is(err, ErrForbidden) {
		t.Errorf("asking for token grants with a token: %v, want the 403 explained", err)
	}
	declared := true
	page, err := c.List(context.Background(), nhi.ListOptions{Declared: &declared})
	if err != nil || len(page.Identities) != 1 || page.Identities[0].Ref.String() != "acme/api/11" {
		t.Errorf("declared only: %v, %v", page.Identities, err)
	}
}

// A scanner App installed on selected repositories sees only those: an
// unfiltered scan says it is incomplete and why; a scan limited to the
// repositories it covers is complete.
func TestScanIncompleteWhenTheAppCoversSelectedRepositories(t *testing.T) {
	s := fake(t)
	seedOrg(s)
	in := githubfake.Installation{RepositorySelection: "selected", Repositories: []string{"api"}, Permissions: scannerPerms(nil)}
	c, inst := appClientFor(t, s, Config{}, in)
	ids, err := c.Scan(context.Background(), nil)
	if err == nil {
		t.Fatal("an unfiltered scan by an App on selected repositories reported complete")
	}
	for _, want := range []string{"not fully scanned", "only partly scanned", fmt.Sprintf("installation %d", inst), `repository_selection "selected"`, "install the App on all repositories"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	got := byRef(ids)
	if _, ok := got["deploy_key acme/api/11"]; !ok {
		t.Errorf("the covered repository's key is missing: %v", ids)
	}
	if _, ok := got["deploy_key acme/web/12"]; ok {
		t.Error("a key of a repository the installation does not cover")
	}
	limited, _ := appClientFor(t, s, Config{Repositories: []string{"api"}}, githubfake.Installation{AppID: 78, RepositorySelection: "selected", Repositories: []string{"api"}, Permissions: scannerPerms(nil)})
	if _, err := limited.Scan(context.Background(), nil); err != nil {
		t.Errorf("a scan limited to the covered repositories: %v", err)
	}
}

// Write on an organisation permission is privileged whatever repositories
// the installation covers; permissions go-github does not know are kept
// (and a write one among them counts).
func TestScanInstallationOrganisationPermissions(t *testing.T) {
	s := fake(t)
	s.AddRepository(org, "api")
	s.AddInstallation(org, githubfake.Installation{ID: 51, AppID: 8, AppSlug: "org-admin", RepositorySelection: "selected", Repositories: []string{"api"},
		Permissions: map[string]string{"organization_administration": "write", "members": "write", "organization_secrets": "read", "contents": "write", "metadata": "read"}})
	s.AddInstallation(org, githubfake.Installation{ID: 52, AppID: 9, AppSlug: "future", RepositorySelection: "all",
		Permissions: map[string]string{"organization_future_thing": "write", "repository_future_thing": "write", "metadata": "read"}})
	c, _ := appClient(t, s, Config{}, map[string]string{"organization_administration": "read", "metadata": "read"})
	ids, err := c.Scan(context.Background(), []string{LocationInstallation})
	if err != nil {
		t.Fatal(err)
	}
	got := byRef(ids)
	admin := got["app_installation installation/org-admin"]
	const orgWhy = "an organisation permission: it applies to the whole organisation, whatever repositories the installation covers"
	if want := map[string]string{"installation:members:write": orgWhy, "installation:organization_administration:write": orgWhy}; !reflect.DeepEqual(admin.PrivilegedWhy, want) {
		t.Errorf("selected installation with organisation write permissions: PrivilegedWhy = %v, want %v", admin.PrivilegedWhy, want)
	}
	future := got["app_installation installation/future"]
	wantScopes := []string{"installation:metadata:read", "installation:organization_future_thing:write", "installation:repositories:all", "installation:repository_future_thing:write"}
	if !reflect.DeepEqual(future.EffectiveScopes, wantScopes) {
		t.Errorf("permissions unknown to go-github: scopes %v, want %v", future.EffectiveScopes, wantScopes)
	}
	if want := map[string]string{
		"installation:organization_future_thing:write": orgWhy,
		"installation:repositories:all":                "with repository_future_thing:write on every repository of the organisation",
	}; !reflect.DeepEqual(future.PrivilegedWhy, want) {
		t.Errorf("PrivilegedWhy = %v, want %v", future.PrivilegedWhy, want)
	}
}

// An App without the permissions a scan needs gets GitHub's 403 "Resource
// not accessible by integration" per listing (the fake checks each route's
// permission): the scan is incomplete and each error names the permission
// to give.
func TestScanPermissionHints(t *testing.T) {
	s := fake(t)
	seedOrg(s)
	c, _ := appClient(t, s, Config{}, map[string]string{"metadata": "read"})
	_, err := c.Scan(context.Background(), nil)
	if err == nil {
		t.Fatal("a scan without the permissions reported complete")
	}
	for _, want := range []string{
		"listing the deploy keys of repository acme/api: access denied: the credential may not read them (403: GitHub: Resource not accessible by integration); give it the Administration (read) repository permission (administration) (GitHub accepts administration=read)",
		"listing the Actions secrets of repository acme/web: access denied: the credential may not read them (403: GitHub: Resource not accessible by integration); give it the Secrets (read) repository permission (secrets) (GitHub accepts secrets=read)",
		"listing the GitHub App installations of organisation acme: access denied", "(organization_administration; ",
		"listing the fine-grained personal access tokens of organisation acme: access denied", "(GitHub accepts organization_personal_access_tokens=read)",
		"listing the organisation's Actions secrets of organisation acme: access denied", "(GitHub accepts organization_secrets=read)",
		"listing the webhooks of organisation acme: access denied", "(GitHub accepts organization_hooks=read)",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if !errors.Is(err, ErrForbidden) || errors.Is(err, ErrRateLimited) {
		t.Errorf("want ErrForbidden, not ErrRateLimited: %v", err)
	}
	if _, err := c.MembersDirectory().Lookup(context.Background(), []string{"alice"}); err == nil || !strings.Contains(err.Error(), "Members (read) organisation permission (members) (GitHub accepts members=read)") {
		t.Errorf("members without the permission: %v", err)
	}
}

// A server that does not report last_used (GitHub Enterprise Server before
// the field) leaves a key's use unknown, in a scan and in Get alike: not
// "never used".
func TestDeployKeyUsageUnknownWithoutLastUsed(t *testing.T) {
	s := fake(t)
	seedOrg(s)
	s.OmitLastUsed(true)
	c := tokenClient(t, s, Config{})
	id, err := c.Get(context.Background(), nhi.Ref{Location: "acme/web", Name: "12"})
	if err != nil {
		t.Fatal(err)
	}
	if cr := id.Credentials[0]; cr.UsageKnown || cr.LastUsedAt != nil {
		t.Errorf("Get without last_used: %+v, want usage unknown", cr)
	}
	ids, err := c.Scan(context.Background(), []string{"acme/web"})
	if err != nil || len(ids) != 1 || ids[0].Credentials[0].UsageKnown {
		t.Errorf("scan without last_used: %+v, %v", ids, err)
	}
	s.OmitLastUsed(false)
	if id, err := c.Get(context.Background(), nhi.Ref{Location: "acme/web", Name: "12"}); err != nil || !id.Credentials[0].UsageKnown {
		t.Errorf("Get with last_used null: %+v, %v, want usage known (never used)", id, err)
	}
}
