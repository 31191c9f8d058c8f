// Package githubfake is a FAKE of part of GitHub's REST API, for tests
// only: no GitHub server can run on this machine. It follows GitHub's REST
// API reference (API version 2022-11-28, docs.github.com/rest) for exactly
// the endpoints the GitHub connector uses, with the paths, status codes and
// JSON field names that go-github v81's types decode:
//
//	GET    /orgs/{org}/repos                          repositories (topics included)
//	GET    /repos/{owner}/{repo}                      one repository
//	GET    /repos/{owner}/{repo}/keys                 deploy keys
//	POST   /repos/{owner}/{repo}/keys                 201 (read_only omitted: a read-write key, as GitHub documents); 422 "key is already in use" for a key registered anywhere
//	GET    /repos/{owner}/{repo}/keys/{key_id}
//	DELETE /repos/{owner}/{repo}/keys/{key_id}        204
//	GET    /orgs/{org}/installations                  {"total_count", "installations"}
//	GET    /orgs/{org}/personal-access-tokens         fine-grained token grants: GitHub Apps only (403 otherwise)
//	GET    /orgs/{org}/personal-access-tokens/{pat_id}/repositories
//	GET    /orgs/{org}/actions/secrets                {"total_count", "secrets"}
//	GET    /repos/{owner}/{repo}/actions/secrets      {"total_count", "secrets"}
//	GET    /orgs/{org}/hooks                          webhooks (the secret shown as "********")
//	GET    /orgs/{org}/members
//	GET    /orgs/{org}/teams/{team_slug}/members
//	POST   /app/installations/{installation_id}/access_tokens   JWT (RS256, the App's key) for an installation token
//
// Listings page as GitHub does: per_page (default 30, at most 100) and page,
// with a Link header (rel="next", "last", "first", "prev"); callers must
// follow it. Every answer carries x-ratelimit-limit, -remaining, -used,
// -reset and -resource headers. Requests need "Authorization: Bearer" (or
// "token") with Token() or an installation token the fake issued, else 401
// "Bad credentials". A repository the credential may not see
// (HideRepository) answers 404, as GitHub does, and is left out of
// listings.
//
// App permissions: with RequirePermissions, an installation token lacking
// a route's permission (RoutePermissions) is answered 403 "Resource not
// accessible by integration", as GitHub does.
//
// Fault switches: a primary rate limit (SetQuota: a budget of requests per
// window; 403 with x-ratelimit-remaining 0 until x-ratelimit-reset), a
// secondary rate limit on every n-th request (SecondaryEvery: 403 with
// retry-after and GitHub's message; SecondaryAnswer makes it a 429 and/or
// leaves retry-after out, so that only the message tells), PrimaryEvery
// (PrimaryStatus: 403 or 429), the next n requests
// (LimitNext), a route that always
// fails with 500 (FailRoute), and a write carried out whose answer is then
// lost (DropAnswerAfterWrite: the connection is closed with no answer).
package githubfake

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Routes, as FailRoute, DropAnswerAfterWrite and Count name them.
const (
	RouteOrgRepos         = "GET /orgs/{org}/repos"
	RouteRepo             = "GET /repos/{owner}/{repo}"
	RouteListKeys         = "GET /repos/{owner}/{repo}/keys"
	RouteCreateKey        = "POST /repos/{owner}/{repo}/keys"
	RouteGetKey           = "GET /repos/{owner}/{repo}/keys/{key_id}"
	RouteDeleteKey        = "DELETE /repos/{owner}/{repo}/keys/{key_id}"
	RouteInstallations    = "GET /orgs/{org}/installations"
	RoutePATs             = "GET /orgs/{org}/personal-access-tokens"
	RoutePATRepos         = "GET /orgs/{org}/personal-access-tokens/{pat_id}/repositories"
	RouteOrgSecrets       = "GET /orgs/{org}/actions/secrets"
	RouteRepoSecrets      = "GET /repos/{owner}/{repo}/actions/secrets"
	RouteOrgHooks         = "GET /orgs/{org}/hooks"
	RouteOrgMembers       = "GET /orgs/{org}/members"
	RouteInstallationAuth = "POST /app/installations/{installation_id}/access_tokens"
	RouteTeamMembers      = "GET /orgs/{org}/teams/{team_slug}/members"
)

// RoutePermissions is the GitHub App permission (GitHub's name and the
// least level) each route needs, as GitHub's REST reference lists them
// ("Fine-grained access tokens for ..."); metadata (read), which every App
// holds, is not listed. With RequirePermissions on, an installation token
// without it is answered 403 "Resource not accessible by integration",
// with the X-Accepted-GitHub-Permissions header GitHub sends.
var RoutePermissions = map[string][2]string{
	RouteListKeys:      {"administration", "read"},
	RouteGetKey:        {"administration", "read"},
	RouteCreateKey:     {"administration", "write"},
	RouteDeleteKey:     {"administration", "write"},
	RouteInstallations: {"organization_administration", "read"},
	RoutePATs:          {"organization_personal_access_tokens", "read"},
	RoutePATRepos:      {"organization_personal_access_tokens", "read"},
	RouteOrgSecrets:    {"organization_secrets", "read"},
	RouteRepoSecrets:   {"secrets", "read"},
	RouteOrgHooks:      {"organization_hooks", "read"},
	RouteOrgMembers:    {"members", "read"},
	RouteTeamMembers:   {"members", "read"},
}

// levelRank orders permission levels: write includes read, admin both.
func levelRank(l string) int {
	switch l {
	case "read":
		return 1
	case "write":
		return 2
	case "admin":
		return 3
	}
	return 0
}

// FakeDeployKey is a deploy key the fake holds.
type FakeDeployKey struct {
	ID        int64
	Title     string
	Key       string
	ReadOnly  bool
	CreatedAt time.Time
	LastUsed  *time.Time
	AddedBy   string
}

// Installation is a GitHub App installed on an organisation.
type Installation struct {
	ID      int64
	AppID   int64
	AppSlug string
	// RepositorySelection is "all" or "selected".
	RepositorySelection string
	// Permissions are GitHub's permission names and levels
	// ("contents": "write").
	Permissions map[string]string
	Events      []string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	SuspendedAt *time.Time
	SuspendedBy string
	// Repositories an installation token of a "selected" installation sees.
	Repositories []string
}

// PAT is a fine-grained personal access token granted to an organisation.
type PAT struct {
	ID           int64 // the grant's ID (pat_id)
	TokenID      int64
	TokenName    string
	OwnerLogin   string
	Selection    string // "all", "subset" or "none"
	OrgPerms     map[string]string
	RepoPerms    map[string]string
	Repos        []string // for "subset"
	GrantedAt    time.Time
	ExpiresAt    *time.Time
	LastUsedAt   *time.Time
	TokenExpired bool
}

// Secret is an Actions secret (the fake never holds a value).
type Secret struct {
	Name       string
	CreatedAt  time.Time
	UpdatedAt  time.Time
	Visibility string // organisation secrets: "all", "private" or "selected"
}

// Hook is an organisation webhook.
type Hook struct {
	ID        int64
	URL       string
	Events    []string
	Active    bool
	HasSecret bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

type repo struct {
	id      int64
	name    string
	topics  []string
	private bool
	hidden  bool
	created time.Time
	keys    []*FakeDeployKey
	secrets []Secret
}

type org struct {
	id            int64
	login         string
	repos         []*repo
	members       []string
	hooks         []Hook
	secrets       []Secret
	pats          []PAT
	installations []int64
	teams         map[string][]string
}

type issued struct {
	installation int64
	expires      time.Time
}

type app struct {
	id  int64
	key *rsa.PublicKey
}

// Server is the in-memory GitHub REST API.
type Server struct {
	srv *httptest.Server

	mu            sync.Mutex
	token         string
	orgs          map[string]*org
	installations map[int64]*Installation
	apps          map[int64]*app
	tokens        map[string]issued
	nextID        int64
	tokenLifetime time.Duration

	// faults
	quota, quotaLeft int
	window           time.Duration
	windowEnd        time.Time
	secondaryEvery   int
	secondaryWait    time.Duration
	secondaryStatus  int  // 403 (default) or 429
	secondaryNoAfter bool // leave retry-after out: the message alone tells
	primaryStatus    int  // 403 (default) or 429
	primaryEvery     int
	primaryReset     time.Duration
	nextLimited      int
	nextSecondary    bool
	nextWait         time.Duration
	served           int
	failRoutes       map[string]bool
	requirePerms     bool
	omitLastUsed     bool
	drop             map[string]int
	counts           map[string]int
	limited          int
}

// New starts the fake on a loopback port.
func New() *Server {
	s := &Server{
		token: "github_pat_fake_" + randHex(16), orgs: map[string]*org{}, installations: map[int64]*Installation{},
		apps: map[int64]*app{}, tokens: map[string]issued{}, nextID: 1000, tokenLifetime: time.Hour,
		failRoutes: map[string]bool{}, drop: map[string]int{}, counts: map[string]int{},
	}
	mux := http.NewServeMux()
	for route, h := range map[string]func(http.ResponseWriter, *http.Request, *caller){
		RouteOrgRepos: s.orgRepos, RouteRepo: s.getRepo, RouteListKeys: s.listKeys, RouteCreateKey: s.createKey,
		RouteGetKey: s.getKey, RouteDeleteKey: s.deleteKey, RouteInstallations: s.orgInstallations, RoutePATs: s.pats,
		RoutePATRepos: s.patRepos, RouteOrgSecrets: s.orgSecrets, RouteRepoSecrets: s.repoSecrets, RouteOrgHooks: s.orgHooks,
		RouteOrgMembers: s.orgMembers, RouteInstallationAuth: s.installationToken, RouteTeamMembers: s.teamMembers,
	} {
		mux.HandleFunc(route, s.wrap(route, h))
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "Not Found")
	})
	s.srv = httptest.NewServer(mux)
	return s
}

// URL is the API root with a trailing slash, for Config.BaseURL and the
// provider's base_url.
func (s *Server) URL() string { return s.srv.URL + "/" }

// Close stops the fake.
func (s *Server) Close() { s.srv.Close() }

// Token is a token the fake accepts (as a fine-grained personal access
// token: not a GitHub App's).
func (s *Server) Token() string { return s.token }

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *Server) id() int64 {
	s.nextID++
	return s.nextID
}

func (s *Server) org(login string) *org {
	o := s.orgs[strings.ToLower(login)]
	if o == nil {
		o = &org{id: s.id(), login: login}
		s.orgs[strings.ToLower(login)] = o
	}
	return o
}

func (o *org) repo(name string) *repo {
	for _, r := range o.repos {
		if strings.EqualFold(r.name, name) {
			return r
		}
	}
	return nil
}

// AddRepository adds a repository (created now) to org.
func (s *Server) AddRepository(org, name string, topics ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.org(org)
	if o.repo(name) == nil {
		o.repos = append(o.repos, &repo{id: s.id(), name: name, topics: topics, private: true, created: time.Now().UTC()})
	}
}

// HideRepository makes a repository invisible to every credential: its
// endpoints answer 404 and listings leave it out, as GitHub does for a
// repository the caller may not see.
func (s *Server) HideRepository(org, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.org(org).repo(name); r != nil {
		r.hidden = true
	}
}

// AddDeployKey seeds a deploy key and returns its ID.
func (s *Server) AddDeployKey(org, repoName string, k FakeDeployKey) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.org(org).repo(repoName)
	if r == nil {
		panic("githubfake: no repository " + org + "/" + repoName)
	}
	if k.ID == 0 {
		k.ID = s.id()
	}
	if k.CreatedAt.IsZero() {
		k.CreatedAt = time.Now().UTC()
	}
	r.keys = append(r.keys, &k)
	return k.ID
}

// DeployKeys returns copies of the keys the fake holds for a repository.
func (s *Server) DeployKeys(org, repoName string) []FakeDeployKey {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.org(org).repo(repoName)
	if r == nil {
		return nil
	}
	out := make([]FakeDeployKey, len(r.keys))
	for i, k := range r.keys {
		out[i] = *k
	}
	return out
}

// AddApp registers a GitHub App's public key, for the JWTs of its
// installation token exchanges.
func (s *Server) AddApp(appID int64, key *rsa.PublicKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apps[appID] = &app{id: appID, key: key}
}

// AddInstallation installs an App on org and returns the installation ID.
func (s *Server) AddInstallation(org string, in Installation) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if in.ID == 0 {
		in.ID = s.id()
	}
	if in.RepositorySelection == "" {
		in.RepositorySelection = "all"
	}
	if in.CreatedAt.IsZero() {
		in.CreatedAt = time.Now().UTC()
	}
	if in.UpdatedAt.IsZero() {
		in.UpdatedAt = in.CreatedAt
	}
	cp := in
	s.installations[in.ID] = &cp
	o := s.org(org)
	o.installations = append(o.installations, in.ID)
	return in.ID
}

// SetTokenLifetime sets the lifetime of the installation tokens the fake
// issues from now on (GitHub's: an hour).
func (s *Server) SetTokenLifetime(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokenLifetime = d
}

// AddPAT grants a fine-grained personal access token access to org.
func (s *Server) AddPAT(org string, p PAT) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.ID == 0 {
		p.ID = s.id()
	}
	if p.TokenID == 0 {
		p.TokenID = s.id()
	}
	if p.Selection == "" {
		p.Selection = "all"
	}
	s.org(org).pats = append(s.org(org).pats, p)
	return p.ID
}

// AddOrgSecret seeds an organisation Actions secret.
func (s *Server) AddOrgSecret(org string, sec Secret) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sec.Visibility == "" {
		sec.Visibility = "private"
	}
	s.org(org).secrets = append(s.org(org).secrets, sec)
}

// AddRepoSecret seeds a repository Actions secret.
func (s *Server) AddRepoSecret(org, repoName string, sec Secret) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.org(org).repo(repoName)
	if r == nil {
		panic("githubfake: no repository " + org + "/" + repoName)
	}
	sec.Visibility = ""
	r.secrets = append(r.secrets, sec)
}

// AddHook seeds an organisation webhook and returns its ID.
func (s *Server) AddHook(org string, h Hook) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if h.ID == 0 {
		h.ID = s.id()
	}
	s.org(org).hooks = append(s.org(org).hooks, h)
	return h.ID
}

// AddMember makes login a member of org.
func (s *Server) AddMember(org string, logins ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.org(org).members = append(s.org(org).members, logins...)
}

// SetQuota sets a primary rate limit: limit requests per window; once they
// are used up, every request is answered 403 with x-ratelimit-remaining 0
// until the window's x-ratelimit-reset. 0 removes it.
func (s *Server) SetQuota(limit int, window time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.quota, s.quotaLeft, s.window, s.windowEnd = limit, limit, window, time.Now().Add(window)
}

// SecondaryEvery answers every n-th request (from now) with GitHub's
// secondary rate limit: 403, retry-after: wait (in whole seconds, at least
// 1), and the documented message. 0 turns it off.
func (s *Server) SecondaryEvery(n int, wait time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.secondaryEvery, s.secondaryWait, s.served = n, wait, 0
}

// SecondaryAnswer sets how the secondary rate limit answers from now on:
// status 403 (the default) or 429, both of which GitHub documents, and
// whether retry-after is sent. Without it only the message ("You have
// exceeded a secondary rate limit") tells, and GitHub asks clients to wait
// at least a minute.
func (s *Server) SecondaryAnswer(status int, retryAfter bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.secondaryStatus, s.secondaryNoAfter = status, !retryAfter
}

// PrimaryStatus sets the status of the primary rate limit's answers from
// now on: 403 (the default) or 429, both of which GitHub documents.
func (s *Server) PrimaryStatus(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.primaryStatus = status
}

// PrimaryEvery answers every n-th request (from now) with the primary
// rate limit's answer: 403, x-ratelimit-remaining 0 and a reset that far
// away. 0 turns it off.
func (s *Server) PrimaryEvery(n int, reset time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.primaryEvery, s.primaryReset, s.served = n, reset, 0
}

// LimitNext answers the next n requests with a rate limit: the secondary
// one (403, retry-after: wait) when secondary is set, else the primary one
// (403, x-ratelimit-remaining 0, x-ratelimit-reset wait away).
func (s *Server) LimitNext(n int, secondary bool, wait time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextLimited, s.nextSecondary, s.nextWait = n, secondary, wait
}

// RequirePermissions makes the fake check each route's App permission
// (RoutePermissions) for installation tokens (on is false: stop). The
// fake's own Token() is not limited. Off by default, so that tests
// written before the check keep their App setups.
func (s *Server) RequirePermissions(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requirePerms = on
}

// OmitLastUsed leaves last_used out of deploy keys (on is false: send
// it again), as GitHub Enterprise Server releases before the field do.
func (s *Server) OmitLastUsed(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.omitLastUsed = on
}

// FailRoute makes every request of a route answer 500 (on is false:
// stop).
func (s *Server) FailRoute(route string, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failRoutes[route] = on
}

// DropAnswerAfterWrite makes the next n requests of a route carry out
// their write and then close the connection with no answer.
func (s *Server) DropAnswerAfterWrite(route string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drop[route] = n
}

// Count is how many requests a route received (rate-limited ones
// included).
func (s *Server) Count(route string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[route]
}

// Limited is how many answers were rate limits.
func (s *Server) Limited() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.limited
}

// caller is who a request authenticated as.
type caller struct {
	installation *Installation // nil for the token
}

func (c *caller) sees(r *repo) bool {
	if r.hidden {
		return false
	}
	if c.installation == nil || c.installation.RepositorySelection == "all" {
		return true
	}
	for _, n := range c.installation.Repositories {
		if strings.EqualFold(n, r.name) {
			return true
		}
	}
	return false
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

const docs = "https://docs.github.com/rest"

func writeError(w http.ResponseWriter, status int, msg string) {
	writeErrorDoc(w, status, msg, docs)
}

func writeErrorDoc(w http.ResponseWriter, status int, msg, doc string) {
	writeJSON(w, status, map[string]any{"message": msg, "documentation_url": doc, "status": strconv.Itoa(status)})
}

// The documentation URLs of GitHub's rate-limit answers (go-github tells
// the secondary limit by the URL's "secondary-rate-limits" suffix).
const (
	docPrimary   = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-the-primary-rate-limit"
	docSecondary = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
)

// wrap authenticates, applies the fault switches and the rate-limit
// headers, then serves the route.
func (s *Server) wrap(route string, h func(http.ResponseWriter, *http.Request, *caller)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.counts[route]++
		now := time.Now()
		if s.quota > 0 && !now.Before(s.windowEnd) {
			s.quotaLeft, s.windowEnd = s.quota, now.Add(s.window)
		}
		limit, left, reset := 5000, 4999, now.Add(time.Hour)
		if s.quota > 0 {
			limit, left, reset = s.quota, s.quotaLeft, s.windowEnd
		}
		s.served++
		n := s.served
		secondary := s.secondaryEvery > 0 && n%s.secondaryEvery == 0
		primary := s.primaryEvery > 0 && n%s.primaryEvery == 0
		secondaryWait, primaryReset := s.secondaryWait, s.primaryReset
		if s.nextLimited > 0 {
			s.nextLimited--
			if s.nextSecondary {
				secondary, secondaryWait = true, s.nextWait
			} else {
				primary, primaryReset = true, s.nextWait
			}
		}
		exhausted := s.quota > 0 && s.quotaLeft <= 0
		if !secondary && !exhausted && s.quota > 0 {
			s.quotaLeft--
			left = s.quotaLeft
		}
		if primary {
			left, reset = 0, now.Add(primaryReset)
		}
		fail := s.failRoutes[route]
		secondaryStatus, secondaryNoAfter, primaryStatus := s.secondaryStatus, s.secondaryNoAfter, s.primaryStatus
		if secondaryStatus == 0 {
			secondaryStatus = http.StatusForbidden
		}
		if primaryStatus == 0 {
			primaryStatus = http.StatusForbidden
		}
		if secondary || primary || exhausted {
			s.limited++
		}
		s.mu.Unlock()

		h2 := w.Header()
		h2.Set("X-RateLimit-Limit", strconv.Itoa(limit))
		h2.Set("X-RateLimit-Remaining", strconv.Itoa(max(left, 0)))
		h2.Set("X-RateLimit-Used", strconv.Itoa(limit-max(left, 0)))
		// GitHub's reset is in whole epoch seconds: round up, so the
		// reset never lies before the window's end.
		h2.Set("X-RateLimit-Reset", strconv.FormatInt((reset.UnixNano()+int64(time.Second)-1)/int64(time.Second), 10))
		h2.Set("X-RateLimit-Resource", "core")
		h2.Set("X-GitHub-Api-Version-Selected", "2022-11-28")
		h2.Set("X-GitHub-Request-Id", randHex(8))

		var c *caller
		if route != RouteInstallationAuth {
			var ok bool
			if c, ok = s.authenticate(r); !ok {
				writeError(w, http.StatusUnauthorized, "Bad credentials")
				return
			}
		}
		switch {
		case secondary:
			secs := int(secondaryWait.Round(time.Second) / time.Second)
			if secs < 1 {
				secs = 1
			}
			if !secondaryNoAfter {
				h2.Set("Retry-After", strconv.Itoa(secs))
			}
			writeErrorDoc(w, secondaryStatus, "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID "+h2.Get("X-GitHub-Request-Id")+".", docSecondary)
			return
		case primary || exhausted:
			h2.Set("X-RateLimit-Remaining", "0")
			writeErrorDoc(w, primaryStatus, "API rate limit exceeded for installation. If you reach out to GitHub Support for help, please include the request ID "+h2.Get("X-GitHub-Request-Id")+".", docPrimary)
			return
		case fail:
			writeError(w, http.StatusInternalServerError, "Server Error")
			return
		}
		if need, ok := RoutePermissions[route]; ok && c.installation != nil && s.checking() {
			h2.Set("X-Accepted-GitHub-Permissions", need[0]+"="+need[1])
			if levelRank(c.installation.Permissions[need[0]]) < levelRank(need[1]) {
				writeErrorDoc(w, http.StatusForbidden, "Resource not accessible by integration", docs)
				return
			}
		}
		h(w, r, c)
	}
}

func (s *Server) checking() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requirePerms
}

func (s *Server) authenticate(r *http.Request) (*caller, bool) {
	a := r.Header.Get("Authorization")
	var tok string
	switch {
	case strings.HasPrefix(a, "Bearer "):
		tok = strings.TrimPrefix(a, "Bearer ")
	case strings.HasPrefix(a, "token "):
		tok = strings.TrimPrefix(a, "token ")
	default:
		return nil, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if tok == s.token {
		return &caller{}, true
	}
	if it, ok := s.tokens[tok]; ok && time.Now().Before(it.expires) {
		return &caller{installation: s.installations[it.installation]}, true
	}
	return nil, false
}

// dropping reports (and counts down) whether this write's answer is lost.
func (s *Server) dropping(route string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.drop[route] > 0 {
		s.drop[route]--
		return true
	}
	return false
}

// hangUp closes the connection with no answer.
func hangUp(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// page writes items[page] with GitHub's Link header; wrap, when set,
// wraps the page's items in an object (for {"total_count", "<key>"}).
func page[T any](w http.ResponseWriter, r *http.Request, items []T, wrapKey string) {
	q := r.URL.Query()
	per, err := strconv.Atoi(q.Get("per_page"))
	if err != nil || per <= 0 {
		per = 30
	}
	if per > 100 {
		per = 100
	}
	p, err := strconv.Atoi(q.Get("page"))
	if err != nil || p <= 0 {
		p = 1
	}
	last := (len(items) + per - 1) / per
	if last == 0 {
		last = 1
	}
	start, end := (p-1)*per, p*per
	if start > len(items) {
		start = len(items)
	}
	if end > len(items) {
		end = len(items)
	}
	link := func(n int) string {
		u := url.URL{Scheme: "http", Host: r.Host, Path: r.URL.Path}
		v := r.URL.Query()
		v.Set("per_page", strconv.Itoa(per))
		v.Set("page", strconv.Itoa(n))
		u.RawQuery = v.Encode()
		return u.String()
	}
	var links []string
	if p < last {
		links = append(links, fmt.Sprintf(`<%s>; rel="next"`, link(p+1)), fmt.Sprintf(`<%s>; rel="last"`, link(last)))
	}
	if p > 1 {
		links = append(links, fmt.Sprintf(`<%s>; rel="first"`, link(1)), fmt.Sprintf(`<%s>; rel="prev"`, link(p-1)))
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	chunk := append([]T{}, items[start:end]...)
	if wrapKey == "" {
		writeJSON(w, http.StatusOK, chunk)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"total_count": len(items), wrapKey: chunk})
}

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func tsPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return ts(*t)
}

func (s *Server) repoJSON(o *org, r *repo) map[string]any {
	topics := r.topics
	if topics == nil {
		topics = []string{}
	}
	vis := "private"
	if !r.private {
		vis = "public"
	}
	return map[string]any{
		"id": r.id, "node_id": fmt.Sprintf("R_%d", r.id), "name": r.name, "full_name": o.login + "/" + r.name,
		"owner":   map[string]any{"login": o.login, "id": o.id, "type": "Organization"},
		"private": r.private, "visibility": vis, "archived": false, "topics": topics, "default_branch": "main",
		"created_at": ts(r.created), "updated_at": ts(r.created),
		"url": s.srv.URL + "/repos/" + o.login + "/" + r.name, "html_url": "https://github.com/" + o.login + "/" + r.name,
	}
}

// lookup finds an org and repository the caller sees; false after
// answering 404.
func (s *Server) lookup(w http.ResponseWriter, r *http.Request, c *caller) (*org, *repo, bool) {
	o := s.orgs[strings.ToLower(r.PathValue("owner"))]
	if o == nil {
		writeError(w, http.StatusNotFound, "Not Found")
		return nil, nil, false
	}
	rp := o.repo(r.PathValue("repo"))
	if rp == nil || !c.sees(rp) {
		writeError(w, http.StatusNotFound, "Not Found")
		return nil, nil, false
	}
	return o, rp, true
}

func (s *Server) orgOf(w http.ResponseWriter, r *http.Request) (*org, bool) {
	o := s.orgs[strings.ToLower(r.PathValue("org"))]
	if o == nil {
		writeError(w, http.StatusNotFound, "Not Found")
		return nil, false
	}
	return o, true
}

func (s *Server) orgRepos(w http.ResponseWriter, r *http.Request, c *caller) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orgOf(w, r)
	if !ok {
		return
	}
	var out []map[string]any
	for _, rp := range o.repos {
		if c.sees(rp) {
			out = append(out, s.repoJSON(o, rp))
		}
	}
	page(w, r, out, "")
}

func (s *Server) getRepo(w http.ResponseWriter, r *http.Request, c *caller) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o, rp, ok := s.lookup(w, r, c); ok {
		writeJSON(w, http.StatusOK, s.repoJSON(o, rp))
	}
}

func (s *Server) keyJSON(o *org, rp *repo, k *FakeDeployKey) map[string]any {
	m := map[string]any{
		"id": k.ID, "key": k.Key, "url": fmt.Sprintf("%s/repos/%s/%s/keys/%d", s.srv.URL, o.login, rp.name, k.ID),
		"title": k.Title, "verified": true, "created_at": ts(k.CreatedAt), "read_only": k.ReadOnly,
		"added_by": k.AddedBy, "last_used": tsPtr(k.LastUsed),
	}
	if s.omitLastUsed {
		delete(m, "last_used")
	}
	return m
}

func (s *Server) listKeys(w http.ResponseWriter, r *http.Request, c *caller) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, rp, ok := s.lookup(w, r, c)
	if !ok {
		return
	}
	out := []map[string]any{}
	for _, k := range rp.keys {
		out = append(out, s.keyJSON(o, rp, k))
	}
	page(w, r, out, "")
}

func keyMaterial(k string) string {
	f := strings.Fields(k)
	if len(f) < 2 {
		return ""
	}
	return f[0] + " " + f[1]
}

func (s *Server) createKey(w http.ResponseWriter, r *http.Request, c *caller) {
	var body struct {
		Title    *string `json:"title"`
		Key      *string `json:"key"`
		ReadOnly *bool   `json:"read_only"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeError(w, http.StatusBadRequest, "Problems parsing JSON")
		return
	}
	s.mu.Lock()
	o, rp, ok := s.lookup(w, r, c)
	if !ok {
		s.mu.Unlock()
		return
	}
	mat := ""
	if body.Key != nil {
		mat = keyMaterial(*body.Key)
	}
	switch {
	case body.Key == nil || mat == "" || !strings.HasPrefix(mat, "ssh-") && !strings.HasPrefix(mat, "ecdsa-") && !strings.HasPrefix(mat, "sk-"):
		s.mu.Unlock()
		validation(w, "key is invalid. You must supply a key in OpenSSH public key format")
		return
	case s.keyInUse(mat):
		s.mu.Unlock()
		validation(w, "key is already in use")
		return
	}
	k := &FakeDeployKey{ID: s.id(), Key: mat, ReadOnly: body.ReadOnly != nil && *body.ReadOnly, CreatedAt: time.Now().UTC().Truncate(time.Second), AddedBy: "fake-app[bot]"}
	if body.Title != nil {
		k.Title = *body.Title
	}
	rp.keys = append(rp.keys, k)
	answer := s.keyJSON(o, rp, k)
	s.mu.Unlock()
	if s.dropping(RouteCreateKey) {
		hangUp(w)
		return
	}
	writeJSON(w, http.StatusCreated, answer)
}

func (s *Server) keyInUse(mat string) bool {
	for _, o := range s.orgs {
		for _, rp := range o.repos {
			for _, k := range rp.keys {
				if keyMaterial(k.Key) == mat {
					return true
				}
			}
		}
	}
	return false
}

// validation answers 422 as GitHub does for a deploy key it refuses.
func validation(w http.ResponseWriter, msg string) {
	writeJSON(w, http.StatusUnprocessableEntity, map[string]any{
		"message":           "Validation Failed",
		"errors":            []map[string]any{{"resource": "PublicKey", "code": "custom", "field": "key", "message": msg}},
		"documentation_url": docs + "/deploy-keys/deploy-keys#create-a-deploy-key", "status": "422",
	})
}

func (s *Server) findKey(w http.ResponseWriter, r *http.Request, c *caller) (*org, *repo, int, bool) {
	o, rp, ok := s.lookup(w, r, c)
	if !ok {
		return nil, nil, 0, false
	}
	id, err := strconv.ParseInt(r.PathValue("key_id"), 10, 64)
	if err == nil {
		for i, k := range rp.keys {
			if k.ID == id {
				return o, rp, i, true
			}
		}
	}
	writeError(w, http.StatusNotFound, "Not Found")
	return nil, nil, 0, false
}

func (s *Server) getKey(w http.ResponseWriter, r *http.Request, c *caller) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o, rp, i, ok := s.findKey(w, r, c); ok {
		writeJSON(w, http.StatusOK, s.keyJSON(o, rp, rp.keys[i]))
	}
}

func (s *Server) deleteKey(w http.ResponseWriter, r *http.Request, c *caller) {
	s.mu.Lock()
	_, rp, i, ok := s.findKey(w, r, c)
	if ok {
		rp.keys = append(rp.keys[:i], rp.keys[i+1:]...)
	}
	s.mu.Unlock()
	if !ok {
		return
	}
	if s.dropping(RouteDeleteKey) {
		hangUp(w)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) installationJSON(o *org, in *Installation) map[string]any {
	perms := map[string]string{}
	for k, v := range in.Permissions {
		perms[k] = v
	}
	events := in.Events
	if events == nil {
		events = []string{}
	}
	m := map[string]any{
		"id": in.ID, "client_id": fmt.Sprintf("Iv1.%x", in.AppID), "app_id": in.AppID, "app_slug": in.AppSlug,
		"target_id": o.id, "target_type": "Organization",
		"account":              map[string]any{"login": o.login, "id": o.id, "type": "Organization"},
		"repository_selection": in.RepositorySelection, "permissions": perms, "events": events,
		"created_at": ts(in.CreatedAt), "updated_at": ts(in.UpdatedAt), "suspended_at": tsPtr(in.SuspendedAt), "suspended_by": nil,
		"access_tokens_url": fmt.Sprintf("%s/app/installations/%d/access_tokens", s.srv.URL, in.ID),
		"repositories_url":  s.srv.URL + "/installation/repositories",
		"html_url":          fmt.Sprintf("https://github.com/organizations/%s/settings/installations/%d", o.login, in.ID),
		"single_file_name":  nil,
	}
	if in.SuspendedBy != "" {
		m["suspended_by"] = map[string]any{"login": in.SuspendedBy, "type": "User"}
	}
	return m
}

func (s *Server) orgInstallations(w http.ResponseWriter, r *http.Request, _ *caller) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orgOf(w, r)
	if !ok {
		return
	}
	out := []map[string]any{}
	for _, id := range o.installations {
		out = append(out, s.installationJSON(o, s.installations[id]))
	}
	page(w, r, out, "installations")
}

func (s *Server) patJSON(o *org, p PAT) map[string]any {
	perms := map[string]any{"organization": orEmpty(p.OrgPerms), "repository": orEmpty(p.RepoPerms), "other": map[string]string{}}
	return map[string]any{
		"id": p.ID, "owner": map[string]any{"login": p.OwnerLogin, "id": 1, "type": "User", "site_admin": false},
		"repository_selection": p.Selection,
		"repositories_url":     fmt.Sprintf("%s/orgs/%s/personal-access-tokens/%d/repositories", s.srv.URL, o.login, p.ID),
		"permissions":          perms, "access_granted_at": ts(p.GrantedAt), "token_id": p.TokenID, "token_name": p.TokenName,
		"token_expired": p.TokenExpired, "token_expires_at": tsPtr(p.ExpiresAt), "token_last_used_at": tsPtr(p.LastUsedAt),
	}
}

func orEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// appOnly answers 403 as GitHub does when a token that is not a GitHub
// App's calls an endpoint only Apps may use.
func appOnly(w http.ResponseWriter, c *caller) bool {
	if c.installation != nil {
		return true
	}
	writeError(w, http.StatusForbidden, "Resource not accessible by personal access token")
	return false
}

func (s *Server) pats(w http.ResponseWriter, r *http.Request, c *caller) {
	if !appOnly(w, c) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orgOf(w, r)
	if !ok {
		return
	}
	out := []map[string]any{}
	for _, p := range o.pats {
		out = append(out, s.patJSON(o, p))
	}
	page(w, r, out, "")
}

func (s *Server) patRepos(w http.ResponseWriter, r *http.Request, c *caller) {
	if !appOnly(w, c) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orgOf(w, r)
	if !ok {
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("pat_id"), 10, 64)
	for _, p := range o.pats {
		if p.ID != id {
			continue
		}
		out := []map[string]any{}
		for _, n := range p.Repos {
			if rp := o.repo(n); rp != nil {
				out = append(out, s.repoJSON(o, rp))
			}
		}
		page(w, r, out, "")
		return
	}
	writeError(w, http.StatusNotFound, "Not Found")
}

func secretsJSON(o *org, secs []Secret, orgLevel bool, base string) []map[string]any {
	out := []map[string]any{}
	for _, sec := range secs {
		m := map[string]any{"name": sec.Name, "created_at": ts(sec.CreatedAt), "updated_at": ts(sec.UpdatedAt)}
		if orgLevel {
			m["visibility"] = sec.Visibility
			if sec.Visibility == "selected" {
				m["selected_repositories_url"] = fmt.Sprintf("%s/orgs/%s/actions/secrets/%s/repositories", base, o.login, sec.Name)
			}
		}
		out = append(out, m)
	}
	return out
}

func (s *Server) orgSecrets(w http.ResponseWriter, r *http.Request, _ *caller) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o, ok := s.orgOf(w, r); ok {
		page(w, r, secretsJSON(o, o.secrets, true, s.srv.URL), "secrets")
	}
}

func (s *Server) repoSecrets(w http.ResponseWriter, r *http.Request, c *caller) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o, rp, ok := s.lookup(w, r, c); ok {
		page(w, r, secretsJSON(o, rp.secrets, false, s.srv.URL), "secrets")
	}
}

func (s *Server) orgHooks(w http.ResponseWriter, r *http.Request, _ *caller) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orgOf(w, r)
	if !ok {
		return
	}
	out := []map[string]any{}
	for _, h := range o.hooks {
		cfg := map[string]any{"url": h.URL, "content_type": "json", "insecure_ssl": "0"}
		if h.HasSecret {
			cfg["secret"] = "********"
		}
		events := h.Events
		if events == nil {
			events = []string{"push"}
		}
		out = append(out, map[string]any{
			"type": "Organization", "id": h.ID, "name": "web", "active": h.Active, "events": events, "config": cfg,
			"created_at": ts(h.CreatedAt), "updated_at": ts(h.UpdatedAt),
			"url":      fmt.Sprintf("%s/orgs/%s/hooks/%d", s.srv.URL, o.login, h.ID),
			"ping_url": fmt.Sprintf("%s/orgs/%s/hooks/%d/pings", s.srv.URL, o.login, h.ID),
		})
	}
	page(w, r, out, "")
}

func (s *Server) orgMembers(w http.ResponseWriter, r *http.Request, _ *caller) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orgOf(w, r)
	if !ok {
		return
	}
	logins := append([]string{}, o.members...)
	sort.Strings(logins)
	out := []map[string]any{}
	for i, l := range logins {
		out = append(out, map[string]any{"login": l, "id": 5000 + i, "node_id": fmt.Sprintf("U_%d", 5000+i), "type": "User", "site_admin": false})
	}
	page(w, r, out, "")
}

// AddTeam makes a team of org with these members' logins.
func (s *Server) AddTeam(org, slug string, members ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.org(org)
	if o.teams == nil {
		o.teams = map[string][]string{}
	}
	o.teams[strings.ToLower(slug)] = members
}

func (s *Server) teamMembers(w http.ResponseWriter, r *http.Request, _ *caller) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orgOf(w, r)
	if !ok {
		return
	}
	ms, ok := o.teams[strings.ToLower(r.PathValue("team_slug"))]
	if !ok {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	out := []map[string]any{}
	for i, l := range ms {
		out = append(out, map[string]any{"login": l, "id": 7000 + i, "type": "User", "site_admin": false})
	}
	page(w, r, out, "")
}
