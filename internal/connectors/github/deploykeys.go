package github

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	gh "github.com/google/go-github/v81/github"

	"github.com/nhi-ops/terraform-provider-nhi/internal/connectors/httpclient"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// DeployKey is one repository deploy key as GitHub reports it.
type DeployKey struct {
	ID    int64
	Owner string // repository owner (the organisation)
	Repo  string // repository name
	// Title is the title as registered (with the governance marker when
	// governed); Name is the title without it.
	Title     string
	Name      string
	Governed  bool   // the title carries the marker of Config.Prefix
	PublicKey string // "ssh-ed25519 AAAA..." as GitHub returns it
	ReadOnly  bool
	CreatedAt time.Time
	LastUsed  time.Time // zero when GitHub does not say
	AddedBy   string
}

// ImportID is the key's import ID and Terraform id: "owner/repo/key_id".
func (k DeployKey) ImportID() string {
	return k.Owner + "/" + k.Repo + "/" + strconv.FormatInt(k.ID, 10)
}

// TitleMarker is the suffix that marks a deploy key's title as governed by
// the provider with annotation prefix prefix: " [nhi.dev]".
func TitleMarker(prefix string) string {
	if prefix == "" {
		prefix = nhi.DefaultMarkerPrefix
	}
	return " [" + prefix + "]"
}

// GovernedTitle is the title the provider registers for a key named name.
func GovernedTitle(prefix, name string) string { return name + TitleMarker(prefix) }

// ParseTitle splits a registered title into the name and whether it
// carries the governance marker of prefix.
func ParseTitle(prefix, title string) (name string, governed bool) {
	if n, ok := strings.CutSuffix(title, TitleMarker(prefix)); ok {
		return n, true
	}
	return title, false
}

// ParseImportID reads "owner/repo/key_id".
func ParseImportID(id string) (owner, repo string, keyID int64, err error) {
	parts := strings.Split(id, "/")
	if len(parts) == 3 && parts[0] != "" && parts[1] != "" {
		if n, perr := strconv.ParseInt(parts[2], 10, 64); perr == nil && n > 0 {
			return parts[0], parts[1], n, nil
		}
	}
	return "", "", 0, fmt.Errorf("%q is not a deploy key ID: expected owner/repo/key_id, such as \"acme/api/81234567\"", id)
}

func (c *Client) deployKey(owner, repo string, k *gh.Key) DeployKey {
	name, governed := ParseTitle(c.prefix, k.GetTitle())
	d := DeployKey{ID: k.GetID(), Owner: owner, Repo: repo, Title: k.GetTitle(), Name: name, Governed: governed,
		PublicKey: k.GetKey(), ReadOnly: k.GetReadOnly(), AddedBy: k.GetAddedBy()}
	if k.CreatedAt != nil {
		d.CreatedAt = k.CreatedAt.UTC()
	}
	if k.LastUsed != nil {
		d.LastUsed = k.LastUsed.UTC()
	}
	return d
}

// sameKey compares two OpenSSH public keys by type and key material,
// ignoring comments and spacing.
func sameKey(a, b string) bool {
	fa, fb := strings.Fields(a), strings.Fields(b)
	return len(fa) >= 2 && len(fb) >= 2 && fa[0] == fb[0] && fa[1] == fb[1]
}

func keyPath(owner, repo string) string {
	return fmt.Sprintf("repos/%s/%s/keys", url.PathEscape(owner), url.PathEscape(repo))
}

// CreateDeployKey registers publicKey on owner/repo with a governed title
// built from name. It is safe to repeat: the create is retried after a lost
// answer (GitHub refuses the second registration of a key on a repository
// with 422 "key is already in use"), and whenever GitHub answers so, the key
// with the same public key on that repository is returned, when it has the
// same read_only (a key of a repeated create). A key in use elsewhere (on
// another repository, or as a user's SSH key) is an error that says so.
func (c *Client) CreateDeployKey(ctx context.Context, owner, repo, name, publicKey string, readOnly bool) (DeployKey, error) {
	title := GovernedTitle(c.prefix, name)
	doing := fmt.Sprintf("registering deploy key %q on repository %s/%s", title, owner, repo)
	k, _, err := c.gh.Repositories.CreateKey(httpclient.Idempotent(ctx), owner, repo, &gh.Key{Title: gh.Ptr(title), Key: gh.Ptr(publicKey), ReadOnly: gh.Ptr(readOnly)})
	if err == nil {
		return c.deployKey(owner, repo, k), nil
	}
	if status(err) != 422 || !hasMessage(err, "already in use") {
		if status(err) == 404 {
			return DeployKey{}, fmt.Errorf("%s: %w: repository %s/%s does not exist, or the credential may not see it or lacks the administration permission on it (GitHub answers 404 for all three)", doing, nhi.ErrNotFound, owner, repo)
		}
		return DeployKey{}, wrap(err, doing)
	}
	keys, lerr := c.ListDeployKeys(ctx, owner, repo)
	if lerr != nil {
		return DeployKey{}, fmt.Errorf("%s: GitHub says the key is already in use, and the repository's keys could not be read to find it: %w", doing, lerr)
	}
	for _, d := range keys {
		if !sameKey(d.PublicKey, publicKey) {
			continue
		}
		if d.ReadOnly != readOnly {
			return DeployKey{}, fmt.Errorf("%s: %w: the key is already registered on the repository as key %d (%q) with read_only = %t; delete that key or use another key pair", doing, ErrInvalid, d.ID, d.Title, d.ReadOnly)
		}
		return d, nil
	}
	return DeployKey{}, fmt.Errorf("%s: %w: GitHub says the key is already in use, but not on this repository: a public key can be registered once on all of GitHub (as one repository's deploy key or a user's SSH key); generate a new key pair", doing, ErrInvalid)
}

// GetDeployKey returns one key, or an error wrapping nhi.ErrNotFound.
func (c *Client) GetDeployKey(ctx context.Context, owner, repo string, id int64) (DeployKey, error) {
	k, err := c.getDeployKeyRaw(ctx, owner, repo, id)
	if err != nil {
		return DeployKey{}, err
	}
	return k.DeployKey, nil
}

// DeleteDeployKey deletes a key; a key already gone (404) is success.
func (c *Client) DeleteDeployKey(ctx context.Context, owner, repo string, id int64) error {
	_, err := c.gh.Repositories.DeleteKey(ctx, owner, repo, id)
	if err == nil || status(err) == 404 {
		return nil
	}
	return wrap(err, fmt.Sprintf("deleting deploy key %d of repository %s/%s", id, owner, repo))
}

// ListDeployKeys returns every deploy key of owner/repo, following Link
// pages.
func (c *Client) ListDeployKeys(ctx context.Context, owner, repo string) ([]DeployKey, error) {
	ks, err := listAll[*gh.Key](ctx, c, keyPath(owner, repo)+"?per_page=100")
	if err != nil {
		if status(err) == 404 {
			return nil, fmt.Errorf("listing the deploy keys of repository %s/%s: %w: the repository does not exist, or the credential may not see it or lacks the administration permission on it (GitHub answers 404 for all three)", owner, repo, nhi.ErrNotFound)
		}
		return nil, wrap(err, fmt.Sprintf("listing the deploy keys of repository %s/%s", owner, repo))
	}
	out := make([]DeployKey, 0, len(ks))
	for _, k := range ks {
		out = append(out, c.deployKey(owner, repo, k))
	}
	return out, nil
}

// RepositoryExists reports whether the caller can see owner/repo.
func (c *Client) RepositoryExists(ctx context.Context, owner, repo string) (bool, error) {
	_, _, err := c.gh.Repositories.Get(ctx, owner, repo)
	switch {
	case err == nil:
		return true, nil
	case status(err) == 404:
		return false, nil
	}
	return false, wrap(err, fmt.Sprintf("reading repository %s/%s", owner, repo))
}

// maxPages bounds one listing: 10,000 pages of 100 is a million objects,
// far beyond any organisation; a server that keeps naming new pages fails
// the listing instead of looping until the context ends.
const maxPages = 10000

// listAll reads every page of a listing whose answer is a JSON array,
// following the Link header's rel="next" as GitHub gives it. A next link
// seen before fails the listing instead of looping.
func listAll[T any](ctx context.Context, c *Client, first string) ([]T, error) {
	var out []T
	err := pages(ctx, c, first, func() any { return new([]T) }, func(v any) int {
		page := *(v.(*[]T))
		out = append(out, page...)
		return len(page)
	})
	return out, err
}

// pages drives a Link-paginated listing: each page is decoded into a new
// value of fresh() and handed to add, which returns how many items it
// held. A next link seen before, an empty page that names a next one, or
// more than maxPages pages fail the listing: it would never end.
func pages(ctx context.Context, c *Client, next string, fresh func() any, add func(any) int) error {
	seen := map[string]bool{}
	for n := 0; next != ""; n++ {
		if seen[next] {
			return fmt.Errorf("GitHub's Link header named page %s again; the listing would never end", httpclient.RedactURL(next))
		}
		if n >= maxPages {
			return fmt.Errorf("GitHub's listing went on for more than %d pages; stopped reading it", maxPages)
		}
		seen[next] = true
		req, err := c.gh.NewRequest("GET", next, nil)
		if err != nil {
			return err
		}
		v := fresh()
		resp, err := c.gh.Do(ctx, req, v)
		if err != nil {
			return err
		}
		items := add(v)
		next = httpclient.NextLink(resp.Header)
		if next != "" {
			if items == 0 {
				return fmt.Errorf("GitHub answered an empty page that names a next page (%s); the listing would never end", httpclient.RedactURL(next))
			}
			if err := c.sameHost(next); err != nil {
				return err
			}
		}
	}
	return nil
}

// sameHost refuses a next link to another host than the API's.
func (c *Client) sameHost(link string) error {
	u, err := url.Parse(link)
	if err != nil {
		return fmt.Errorf("GitHub's Link header holds an invalid URL: %v", err)
	}
	if u.IsAbs() && u.Host != c.base.Host {
		return errors.New("GitHub's Link header points to another host (" + u.Host + "); not following it")
	}
	if u.IsAbs() && u.Scheme != c.base.Scheme {
		return errors.New("GitHub's Link header points to " + u.Scheme + ":// on the API's host, not " + c.base.Scheme + "://; not following it")
	}
	return nil
}
