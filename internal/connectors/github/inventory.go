package github

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	gh "github.com/google/go-github/v81/github"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

var _ nhi.Scanner = (*Client)(nil)

// Locations of the model's references (nhi.Ref.Location) other than a
// deploy key's "<owner>/<repo>".
const (
	LocationInstallation = "installation"
	LocationToken        = "token"
	LocationActions      = "actions"
	LocationWebhook      = "webhook"
)

// Scopes. A deploy key holds deploy_key:read@<owner>/<repo> or
// deploy_key:write@<owner>/<repo> (DeployKeyScope); an App
// installation installation:<permission>:<level> per permission and
// installation:repositories:<all|selected>; a fine-grained token
// token:<permission>:<level> per organisation and repository permission,
// token:repositories:<all|subset|none> and, for a subset,
// token:repository:<name> per repository.
const (
	// ScopeDeployKeyWriteAny matches every deploy key that may push.
	ScopeDeployKeyWriteAny = "deploy_key:write@*"
)

// DeployKeyScope is a deploy key's effective scope on owner/repo, as the
// provider's nhi_github_deploy_key records it in scopes.
func DeployKeyScope(owner, repo string, readOnly bool) string {
	access := "write"
	if readOnly {
		access = "read"
	}
	return "deploy_key:" + access + "@" + owner + "/" + repo
}

// List returns the organisation's identities in one page (a scan; GitHub's
// listings are paged underneath). Locations are as Scan's. A client that
// is not a GitHub App leaves the fine-grained token grants out unless
// Locations name "token": GitHub lets only Apps list them, and the
// provider usually runs with a token. Scan (the drift reporter) never
// leaves them out: there, a listing it could not read makes the report
// incomplete.
func (c *Client) List(ctx context.Context, opts nhi.ListOptions) (nhi.Page, error) {
	locations := opts.Locations
	if len(locations) == 0 && !c.auth.app() {
		locations = []string{LocationInstallation, LocationActions, LocationWebhook, c.org + "/*"}
	}
	ids, err := c.Scan(ctx, locations)
	if err != nil {
		return nhi.Page{}, err
	}
	return filterPage(ids, opts), nil
}

// ListOrganizationDeployKeys is List of the deploy keys alone (OrganizationDeployKeys),
// of the repositories opts.Locations name.
func (c *Client) ListOrganizationDeployKeys(ctx context.Context, opts nhi.ListOptions) (nhi.Page, error) {
	ids, err := c.OrganizationDeployKeys(ctx, opts.Locations)
	if err != nil {
		return nhi.Page{}, err
	}
	return filterPage(ids, opts), nil
}

// filterPage keeps the identities opts' declared and owner filters keep.
func filterPage(ids []nhi.Identity, opts nhi.ListOptions) nhi.Page {
	var page nhi.Page
	for _, id := range ids {
		if opts.Declared != nil && id.Declared != *opts.Declared {
			continue
		}
		if opts.Owner != "" && id.Governance.Owner != opts.Owner {
			continue
		}
		page.Identities = append(page.Identities, id)
	}
	return page
}

// Get returns one identity by reference, or an error wrapping
// nhi.ErrNotFound. A deploy key ("<owner>/<repo>" and the key ID) is read
// alone; other kinds through a scan of their location.
func (c *Client) Get(ctx context.Context, ref nhi.Ref) (nhi.Identity, error) {
	if owner, repo, ok := strings.Cut(ref.Location, "/"); ok && !strings.Contains(repo, "/") {
		id, err := strconv.ParseInt(ref.Name, 10, 64)
		if err != nil {
			return nhi.Identity{}, fmt.Errorf("%q is not a deploy key reference: expected owner/repo/key_id: %w", ref.String(), nhi.ErrNotFound)
		}
		k, err := c.getDeployKeyRaw(ctx, owner, repo, id)
		if err != nil {
			return nhi.Identity{}, err
		}
		return c.deployKeyIdentity(k.DeployKey, k.usageKnown), nil
	}
	ids, err := c.Scan(ctx, []string{ref.Location})
	if err != nil {
		return nhi.Identity{}, err
	}
	for _, id := range ids {
		if id.Ref == ref {
			return id, nil
		}
	}
	return nhi.Identity{}, fmt.Errorf("GitHub identity %s of organisation %s: %w", ref, c.org, nhi.ErrNotFound)
}

// scanParts says what a scan reads.
type scanParts struct {
	repos                                       map[string]bool // nil: every repository the filter keeps
	keys, installations, tokens, secrets, hooks bool
	// allRepos reads every kept repository's deploy keys and secrets
	// although other locations are named.
	allRepos bool
}

func (c *Client) parts(locations []string) scanParts {
	if len(locations) == 0 {
		return scanParts{keys: true, installations: true, tokens: true, secrets: true, hooks: true}
	}
	p := scanParts{}
	for _, l := range locations {
		switch l {
		case LocationInstallation:
			p.installations = true
		case LocationToken:
			p.tokens = true
		case LocationActions:
			p.secrets = true
		case LocationWebhook:
			p.hooks = true
		case c.org + "/*":
			// Every repository: deploy keys and Actions secrets.
			p.keys, p.secrets, p.allRepos = true, true, true
		default:
			// "<owner>/<repo>" or a repository name: its deploy keys.
			name := l
			if o, r, ok := strings.Cut(l, "/"); ok {
				if !strings.EqualFold(o, c.org) {
					continue
				}
				name = r
			}
			if p.repos == nil {
				p.repos = map[string]bool{}
			}
			p.repos[strings.ToLower(name)] = true
			p.keys = true
		}
	}
	return p
}

// Scan reads the organisation's machine access: deploy keys and Actions
// secrets of each repository the filter keeps, App installations,
// fine-grained token grants, organisation Actions secrets and webhooks.
// Locations limit it: "installation", "token", "actions", "webhook", a
// repository ("<owner>/<repo>" or its name) for its deploy keys, or
// "<owner>/*" for every repository's deploy keys and secrets.
//
// A listing that fails (after the client's retries, or with 403 because the
// credential may not read it) does not stop the scan: the rest is
// returned with an error naming every listing that is missing, so the
// drift report is marked incomplete rather than silently short.
func (c *Client) Scan(ctx context.Context, locations []string) ([]nhi.Identity, error) {
	p := c.parts(locations)
	// The App's installation token once, before the listings fan out: a
	// failing exchange is one error, not one per listing.
	if _, err := c.auth.token(ctx); err != nil {
		return nil, fmt.Errorf("GitHub organisation %s was not scanned: %w", c.org, err)
	}
	var (
		mu   sync.Mutex
		out  []nhi.Identity
		errs []error
	)
	if err := c.coverage(p); err != nil {
		errs = append(errs, err)
	}
	add := func(ids []nhi.Identity, err error) {
		mu.Lock()
		defer mu.Unlock()
		out = append(out, ids...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	var wg sync.WaitGroup
	run := func(f func() ([]nhi.Identity, error)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			add(f())
		}()
	}
	if p.keys || p.secrets {
		run(func() ([]nhi.Identity, error) { return c.scanRepositories(ctx, p) })
	}
	if p.installations {
		run(func() ([]nhi.Identity, error) { return c.scanInstallations(ctx) })
	}
	if p.tokens {
		run(func() ([]nhi.Identity, error) { return c.scanTokens(ctx) })
	}
	if p.secrets {
		run(func() ([]nhi.Identity, error) { return c.scanOrgSecrets(ctx) })
	}
	if p.hooks {
		run(func() ([]nhi.Identity, error) { return c.scanHooks(ctx) })
	}
	wg.Wait()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Kind != out[j].Kind {
			return out[i].Kind < out[j].Kind
		}
		return out[i].Ref.String() < out[j].Ref.String()
	})
	if len(errs) > 0 {
		sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
		return out, fmt.Errorf("GitHub organisation %s was not fully scanned: %w", c.org, errors.Join(errs...))
	}
	return out, nil
}

// coverage is an error when the scan is meant to read every repository
// of the organisation (no repositories or topics filter, no repository
// named) but the scanner is a GitHub App installed on selected
// repositories only: the others are invisible to it, and the scan would
// look complete while it is not.
func (c *Client) coverage(p scanParts) error {
	if !c.auth.app() || !(p.keys || p.secrets) || (p.repos != nil && !p.allRepos) || c.wantRepos != nil || c.wantTopics != nil {
		return nil
	}
	if sel, _ := c.auth.installation(); sel == "selected" {
		return fmt.Errorf("the repositories of organisation %s were only partly scanned: GitHub App installation %d (app_id %d) is installed on selected repositories only (repository_selection \"selected\"), so the deploy keys and Actions secrets of the repositories it was not given are not read; install the App on all repositories, or limit the source to the repositories it covers with repositories or topics", c.org, c.auth.installationID, c.auth.appID)
	}
	return nil
}

func (c *Client) perPage() int {
	if c.cfg.PerPage > 0 {
		return c.cfg.PerPage
	}
	return 100
}

func (c *Client) orgPath(rest string) string {
	return fmt.Sprintf("orgs/%s/%s?per_page=%d", url.PathEscape(c.org), rest, c.perPage())
}

// Repositories lists the organisation's repositories that the filter
// (Config.Repositories, Config.Topics) keeps. A repository the filter names
// that is not there is an error.
func (c *Client) Repositories(ctx context.Context) ([]*gh.Repository, error) {
	all, err := listAll[*gh.Repository](ctx, c, c.orgPath("repos")+"&type=all")
	if err != nil {
		return nil, wrap(err, "listing the repositories of organisation "+c.org)
	}
	if c.wantRepos == nil && c.wantTopics == nil {
		return all, nil
	}
	var out []*gh.Repository
	found := map[string]bool{}
	for _, r := range all {
		keep := c.wantRepos[strings.ToLower(r.GetName())]
		for _, t := range r.Topics {
			keep = keep || c.wantTopics[strings.ToLower(t)]
		}
		if keep {
			found[strings.ToLower(r.GetName())] = true
			out = append(out, r)
		}
	}
	var missing []string
	for name := range c.wantRepos {
		if !found[name] {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return out, fmt.Errorf("repositories %s named in the repository filter are not in organisation %s, or the credential may not see them", strings.Join(missing, ", "), c.org)
	}
	return out, nil
}

func (c *Client) workers() int {
	if c.cfg.Workers > 0 {
		return c.cfg.Workers
	}
	return 4
}

// scanRepositories reads each kept repository's deploy keys and Actions
// secrets, a few repositories at a time.
func (c *Client) scanRepositories(ctx context.Context, p scanParts) ([]nhi.Identity, error) {
	repos, err := c.Repositories(ctx)
	if repos == nil && err != nil {
		return nil, err
	}
	var errs []error
	if err != nil {
		errs = append(errs, err)
	}
	var kept []*gh.Repository
	for _, r := range repos {
		if p.allRepos || p.repos == nil || p.repos[strings.ToLower(r.GetName())] {
			kept = append(kept, r)
		}
	}
	results := make([][]nhi.Identity, len(kept))
	rerrs := make([][]error, len(kept))
	sem := make(chan struct{}, c.workers())
	var wg sync.WaitGroup
	for i, r := range kept {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				rerrs[i] = append(rerrs[i], ctx.Err())
				return
			}
			defer func() { <-sem }()
			if p.keys {
				ks, err := c.listDeployKeysRaw(ctx, c.org, r.GetName())
				for _, k := range ks {
					results[i] = append(results[i], c.deployKeyIdentity(k.DeployKey, k.usageKnown))
				}
				if err != nil {
					rerrs[i] = append(rerrs[i], err)
				}
			}
			if p.secrets && (p.repos == nil || p.allRepos) {
				id, err := c.repoSecrets(ctx, r)
				if id != nil {
					results[i] = append(results[i], *id)
				}
				if err != nil {
					rerrs[i] = append(rerrs[i], err)
				}
			}
		}()
	}
	wg.Wait()
	var out []nhi.Identity
	for i := range kept {
		out = append(out, results[i]...)
		errs = append(errs, rerrs[i]...)
	}
	return out, errors.Join(errs...)
}

// keyJSON is a deploy key as GitHub sends it, keeping whether last_used
// was in the answer at all (GitHub Enterprise Server releases before the
// field have none: the key's use is then unknown, not "never").
type keyJSON struct {
	gh.Key
	LastUsedRaw json.RawMessage `json:"last_used"`
}

type deployKeyFound struct {
	DeployKey
	usageKnown bool
}

func (c *Client) listDeployKeysRaw(ctx context.Context, owner, repo string) ([]deployKeyFound, error) {
	ks, err := listAll[keyJSON](ctx, c, fmt.Sprintf("%s?per_page=%d", keyPath(owner, repo), c.perPage()))
	if err != nil {
		if status(err) == 404 {
			return nil, fmt.Errorf("listing the deploy keys of repository %s/%s: %w: the credential may not see it or lacks the administration permission (read) on it (GitHub answers 404)", owner, repo, nhi.ErrNotFound)
		}
		return nil, readError(err, fmt.Sprintf("listing the deploy keys of repository %s/%s", owner, repo), "Administration (read) repository permission (administration)")
	}
	out := make([]deployKeyFound, 0, len(ks))
	for _, k := range ks {
		out = append(out, c.deployKeyFound(owner, repo, k))
	}
	return out, nil
}

// deployKeyFound is a key as decoded by keyJSON: its last use, and
// whether GitHub reports last use at all.
func (c *Client) deployKeyFound(owner, repo string, k keyJSON) deployKeyFound {
	raw := strings.TrimSpace(string(k.LastUsedRaw))
	if raw != "" && raw != "null" {
		var t gh.Timestamp
		if json.Unmarshal(k.LastUsedRaw, &t) == nil {
			k.Key.LastUsed = &t
		}
	}
	return deployKeyFound{DeployKey: c.deployKey(owner, repo, &k.Key), usageKnown: raw != ""}
}

// getDeployKeyRaw reads one key with keyJSON, as listDeployKeysRaw does.
func (c *Client) getDeployKeyRaw(ctx context.Context, owner, repo string, id int64) (deployKeyFound, error) {
	req, err := c.gh.NewRequest("GET", fmt.Sprintf("%s/%d", keyPath(owner, repo), id), nil)
	if err != nil {
		return deployKeyFound{}, err
	}
	var k keyJSON
	if _, err := c.gh.Do(ctx, req, &k); err != nil {
		if status(err) == 404 {
			return deployKeyFound{}, fmt.Errorf("reading deploy key %d of repository %s/%s: %w: the key was deleted, or the repository does not exist or the credential may not see it (GitHub answers 404 for both)", id, owner, repo, nhi.ErrNotFound)
		}
		return deployKeyFound{}, wrap(err, fmt.Sprintf("reading deploy key %d of repository %s/%s", id, owner, repo))
	}
	return c.deployKeyFound(owner, repo, k), nil
}

// deployKeyIdentity is a deploy key in the model; known says whether
// GitHub reports its last use.
func (c *Client) deployKeyIdentity(d DeployKey, known bool) nhi.Identity {
	id := nhi.Identity{
		System: SystemName, Kind: KindDeployKey, ID: strconv.FormatInt(d.ID, 10),
		Ref:      nhi.Ref{Location: d.Owner + "/" + d.Repo, Name: strconv.FormatInt(d.ID, 10)},
		Declared: d.Governed, Labels: map[string]string{"title": d.Name},
		EffectiveScopes: []string{DeployKeyScope(d.Owner, d.Repo, d.ReadOnly)}, CreatedAt: d.CreatedAt,
	}
	if d.AddedBy != "" {
		id.Labels["added_by"] = d.AddedBy
	}
	// The credential's ID is the key's "<owner>/<repo>/<key_id>", the
	// resource's id, which its delivery Secret records (NHI015 matches the
	// two); a title is neither unique nor stable.
	cred := nhi.Credential{ID: d.ImportID(), Kind: CredentialDeployKey, UID: id.ID, Declared: d.Governed, CreatedAt: d.CreatedAt, UsageKnown: known}
	if !d.LastUsed.IsZero() {
		t := d.LastUsed
		cred.LastUsedAt, id.LastUsedAt = &t, &t
	}
	id.Credentials = []nhi.Credential{cred}
	return id
}

// repoSecrets is a repository's Actions secrets as one identity (nil when
// it has none).
func (c *Client) repoSecrets(ctx context.Context, r *gh.Repository) (*nhi.Identity, error) {
	path := fmt.Sprintf("repos/%s/%s/actions/secrets?per_page=%d", url.PathEscape(c.org), url.PathEscape(r.GetName()), c.perPage())
	secs, err := c.listSecrets(ctx, path)
	if err != nil {
		return nil, readError(err, fmt.Sprintf("listing the Actions secrets of repository %s/%s", c.org, r.GetName()), "Secrets (read) repository permission (secrets)")
	}
	if len(secs) == 0 {
		return nil, nil
	}
	id := secretsIdentity(c.org+"/"+r.GetName(), "repository:"+strconv.FormatInt(r.GetID(), 10), secs)
	return &id, nil
}

func (c *Client) listSecrets(ctx context.Context, first string) ([]*gh.Secret, error) {
	var out []*gh.Secret
	err := pages(ctx, c, first, func() any { return new(gh.Secrets) }, func(v any) int {
		page := v.(*gh.Secrets).Secrets
		out = append(out, page...)
		return len(page)
	})
	return out, err
}

// secretsIdentity holds Actions secrets as credentials; a secret's age is
// from its updated_at (when its value was last set).
func secretsIdentity(name, uid string, secs []*gh.Secret) nhi.Identity {
	id := nhi.Identity{System: SystemName, Kind: KindActionsSecrets, ID: uid, Ref: nhi.Ref{Location: LocationActions, Name: name}}
	for _, s := range secs {
		at := s.UpdatedAt.UTC()
		if at.IsZero() {
			at = s.CreatedAt.UTC()
		}
		id.Credentials = append(id.Credentials, nhi.Credential{ID: s.Name, Kind: CredentialActionsSecret, CreatedAt: at})
		if id.CreatedAt.IsZero() || s.CreatedAt.Before(id.CreatedAt) {
			id.CreatedAt = s.CreatedAt.UTC()
		}
		if s.Visibility != "" {
			id.EffectiveScopes = append(id.EffectiveScopes, "actions_secret:"+s.Name+":"+s.Visibility)
		}
	}
	id.EffectiveScopes = nhi.SortedUnique(id.EffectiveScopes)
	return id
}

func (c *Client) scanOrgSecrets(ctx context.Context) ([]nhi.Identity, error) {
	secs, err := c.listSecrets(ctx, c.orgPath("actions/secrets"))
	if err != nil {
		return nil, c.listingError(err, "the organisation's Actions secrets", "Secrets (read) organisation permission (organization_secrets)")
	}
	if len(secs) == 0 {
		return nil, nil
	}
	return []nhi.Identity{secretsIdentity(c.org, "organization:"+c.org, secs)}, nil
}

// listingError explains a failed organisation listing; a 403 says which
// permission the credential lacks.
func (c *Client) listingError(err error, what, permission string) error {
	return readError(err, fmt.Sprintf("listing %s of organisation %s", what, c.org), permission)
}

// readError explains a failed read; a 403 that is not a rate limit says
// which permission the credential lacks (and what GitHub's
// X-Accepted-GitHub-Permissions header names, when it sends one).
func readError(err error, doing, permission string) error {
	if status(err) == 403 && !errors.Is(wrap(err, ""), ErrRateLimited) {
		accepted := ""
		if a := acceptedPermissions(err); a != "" {
			accepted = " (GitHub accepts " + a + ")"
		}
		return fmt.Errorf("%s: %w: the credential may not read them (403: %v); give it the %s%s", doing, ErrForbidden, message(err), permission, accepted)
	}
	return wrap(err, doing)
}

// installationScopePrefix and tokenScopePrefix start the scopes of App
// installations and fine-grained tokens.
const (
	installationScopePrefix = "installation:"
	tokenScopePrefix        = "token:"
)

// writeLevel reports whether a permission level lets its holder change
// things.
func writeLevel(level string) bool { return level == "write" || level == "admin" }

// installationJSON is an App installation as GitHub lists it, with its
// permissions kept as GitHub names them: go-github's
// InstallationPermissions drops any permission it does not know, a write
// one included.
type installationJSON struct {
	gh.Installation
	Permissions map[string]string `json:"permissions"`
}

type installationsJSON struct {
	TotalCount    int                 `json:"total_count"`
	Installations []*installationJSON `json:"installations"`
}

func (c *Client) scanInstallations(ctx context.Context) ([]nhi.Identity, error) {
	var ins []*installationJSON
	err := pages(ctx, c, c.orgPath("installations"), func() any { return new(installationsJSON) },
		func(v any) int {
			page := v.(*installationsJSON).Installations
			ins = append(ins, page...)
			return len(page)
		})
	if err != nil {
		return nil, c.listingError(err, "the GitHub App installations", "Administration (read) organisation permission (organization_administration; an organisation owner's token, or an App with it)")
	}
	out := make([]nhi.Identity, 0, len(ins))
	for _, in := range ins {
		out = append(out, installationIdentity(&in.Installation, in.Permissions))
	}
	return out, nil
}

// orgWidePermission reports whether an App permission applies to the
// organisation itself rather than to the repositories the installation
// was given (members, organization_administration, organization_secrets,
// organization_hooks, organization_personal_access_tokens, ...): write on
// one is privileged whatever the repository selection.
func orgWidePermission(name string) bool {
	return strings.HasPrefix(name, "organization_") || name == "members"
}

func installationIdentity(in *gh.Installation, perms map[string]string) nhi.Identity {
	id := nhi.Identity{
		System: SystemName, Kind: KindAppInstallation, ID: strconv.FormatInt(in.GetID(), 10),
		Ref:    nhi.Ref{Location: LocationInstallation, Name: in.GetAppSlug()},
		Labels: map[string]string{"app_id": strconv.FormatInt(in.GetAppID(), 10), "repository_selection": in.GetRepositorySelection()},
	}
	if in.CreatedAt != nil {
		id.CreatedAt = in.CreatedAt.UTC()
	}
	if in.SuspendedAt != nil {
		id.Labels["suspended_at"] = in.SuspendedAt.UTC().Format(time.RFC3339)
		id.Disabled = true
		return id // a suspended installation can do nothing
	}
	why := map[string]string{}
	var writes []string
	for _, name := range nhi.SortedKeys(perms) {
		scope := installationScopePrefix + name + ":" + perms[name]
		id.EffectiveScopes = append(id.EffectiveScopes, scope)
		if !writeLevel(perms[name]) || name == "metadata" {
			continue
		}
		if orgWidePermission(name) {
			why[scope] = "an organisation permission: it applies to the whole organisation, whatever repositories the installation covers"
			continue
		}
		writes = append(writes, name+":"+perms[name])
	}
	sel := in.GetRepositorySelection()
	if sel == "" {
		sel = "selected"
	}
	all := installationScopePrefix + "repositories:" + sel
	id.EffectiveScopes = nhi.SortedUnique(append(id.EffectiveScopes, all))
	if sel == "all" && len(writes) > 0 {
		why[all] = "with " + strings.Join(writes, ", ") + " on every repository of the organisation"
	}
	if len(why) > 0 {
		id.PrivilegedWhy = why
	}
	return id
}

func (c *Client) scanTokens(ctx context.Context) ([]nhi.Identity, error) {
	pats, err := listAll[*gh.PersonalAccessToken](ctx, c, c.orgPath("personal-access-tokens"))
	if err != nil {
		if status(err) == 403 && !c.auth.app() {
			return nil, fmt.Errorf("listing the fine-grained personal access tokens of organisation %s: %w: only a GitHub App may list them (403: %v); authenticate the source as a GitHub App with the Personal access tokens (read) organisation permission (app_id, installation_id, private_key_file)", c.org, ErrForbidden, message(err))
		}
		return nil, c.listingError(err, "the fine-grained personal access tokens", "Personal access tokens (read) organisation permission (organization_personal_access_tokens)")
	}
	var out []nhi.Identity
	var errs []error
	for _, p := range pats {
		id := tokenIdentity(p)
		if p.GetRepositorySelection() == "subset" && p.GetRepositoriesURL() != "" {
			if err := c.sameHost(p.GetRepositoriesURL()); err != nil {
				errs = append(errs, err)
			} else if repos, err := listAll[*gh.Repository](ctx, c, p.GetRepositoriesURL()); err != nil {
				errs = append(errs, c.listingError(err, fmt.Sprintf("the repositories of fine-grained token grant %d", p.GetID()), "Personal access tokens (read) organisation permission"))
			} else {
				for _, r := range repos {
					id.EffectiveScopes = append(id.EffectiveScopes, tokenScopePrefix+"repository:"+r.GetName())
				}
				id.EffectiveScopes = nhi.SortedUnique(id.EffectiveScopes)
			}
		}
		out = append(out, id)
	}
	return out, errors.Join(errs...)
}

func tokenIdentity(p *gh.PersonalAccessToken) nhi.Identity {
	owner := p.GetOwner().GetLogin()
	gid := strconv.FormatInt(p.GetID(), 10)
	id := nhi.Identity{
		System: SystemName, Kind: KindFineGrainedToken, ID: gid,
		Ref:    nhi.Ref{Location: LocationToken, Name: owner + "/" + gid},
		Labels: map[string]string{"owner": owner, "token_name": p.GetTokenName(), "repository_selection": p.GetRepositorySelection()},
	}
	if p.AccessGrantedAt != nil {
		// The grant's date, not the token's creation (GitHub does not
		// give that): the identity (the grant) dates from it; the
		// credential's age is unknown, so max_credential_age does not
		// apply to the token, whose NHI007 is its own expiry (none, or
		// beyond max_lifetime).
		id.CreatedAt = p.AccessGrantedAt.UTC()
		id.Labels["access_granted_at"] = nhi.FormatTime(id.CreatedAt)
	}
	if perms := p.GetPermissions(); perms != nil {
		for _, m := range []map[string]string{perms.Org, perms.Repo, perms.Other} {
			for name, level := range m {
				id.EffectiveScopes = append(id.EffectiveScopes, tokenScopePrefix+name+":"+level)
			}
		}
	}
	if sel := p.GetRepositorySelection(); sel != "" {
		id.EffectiveScopes = append(id.EffectiveScopes, tokenScopePrefix+"repositories:"+sel)
	}
	id.EffectiveScopes = nhi.SortedUnique(id.EffectiveScopes)
	cred := nhi.Credential{ID: p.GetTokenName(), Kind: CredentialFineGrainedToken, UID: strconv.FormatInt(p.GetTokenID(), 10),
		Owner: owner, Inactive: p.GetTokenExpired()}
	if cred.ID == "" {
		cred.ID = cred.UID
	}
	if p.TokenExpiresAt != nil {
		t := p.TokenExpiresAt.UTC()
		cred.ExpiresAt = &t
	} else {
		cred.NeverExpires = true
	}
	if p.TokenLastUsedAt != nil {
		// Last use is judged on the token (NHI009 "last used").
		t := p.TokenLastUsedAt.UTC()
		cred.LastUsedAt, cred.UsageKnown = &t, true
	} else {
		// Never used: judged on the grant, which dates from
		// access_granted_at (the token's own age is unknown); the kind's
		// LastUsedIsActivity reads the zero time as "no use recorded".
		id.LastUsedAt = &time.Time{}
	}
	id.Credentials = []nhi.Credential{cred}
	return id
}

func (c *Client) scanHooks(ctx context.Context) ([]nhi.Identity, error) {
	hooks, err := listAll[*gh.Hook](ctx, c, c.orgPath("hooks"))
	if err != nil {
		return nil, c.listingError(err, "the webhooks", "Webhooks (read) organisation permission (organization_hooks; admin:org_hook for a classic token)")
	}
	out := make([]nhi.Identity, 0, len(hooks))
	for _, h := range hooks {
		out = append(out, hookIdentity(h))
	}
	return out, nil
}

func hookIdentity(h *gh.Hook) nhi.Identity {
	hid := strconv.FormatInt(h.GetID(), 10)
	id := nhi.Identity{System: SystemName, Kind: KindWebhook, ID: hid, Ref: nhi.Ref{Location: LocationWebhook, Name: hid}, Labels: map[string]string{}}
	if h.CreatedAt != nil {
		id.CreatedAt = h.CreatedAt.UTC()
	}
	if h.Config != nil {
		if u, err := url.Parse(h.Config.GetURL()); err == nil && u.Host != "" {
			// The host only: a URL's path or query may carry a token.
			id.Labels["url_host"] = u.Host
		}
	}
	if len(h.Events) > 0 {
		id.EffectiveScopes = make([]string, 0, len(h.Events))
		for _, e := range h.Events {
			id.EffectiveScopes = append(id.EffectiveScopes, "webhook:event:"+e)
		}
		id.EffectiveScopes = nhi.SortedUnique(id.EffectiveScopes)
	}
	if h.Config != nil && h.Config.GetSecret() != "" {
		at := id.CreatedAt
		if h.UpdatedAt != nil && h.UpdatedAt.After(at) {
			at = h.UpdatedAt.UTC()
		}
		id.Credentials = []nhi.Credential{{ID: "secret", Kind: CredentialWebhookSecret, CreatedAt: at, Inactive: !h.GetActive()}}
	}
	return id
}
