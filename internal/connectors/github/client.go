// Package github is the GitHub connector: it reads an organisation's
// machine access (repository deploy keys, GitHub App installations,
// fine-grained personal access tokens, Actions secrets, webhooks) and
// writes deploy keys, through go-github over the shared retrying HTTP
// client (internal/connectors/httpclient). It has no Terraform imports, so
// the provider and the drift reporter share it.
package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	gh "github.com/google/go-github/v81/github"

	"github.com/nhi-ops/terraform-provider-nhi/internal/clock"
	"github.com/nhi-ops/terraform-provider-nhi/internal/connectors/httpclient"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/system"
)

// DefaultBaseURL is GitHub's REST API root.
const DefaultBaseURL = "https://api.github.com/"

// Config is everything New needs; New validates it (errors name the field)
// and makes no request.
type Config struct {
	// BaseURL is the REST API root; "" is https://api.github.com/ (GitHub
	// Enterprise Server: https://HOST/api/v3/).
	BaseURL      string
	Organization string
	// Token is a fine-grained personal access token or GITHUB_TOKEN. It is
	// never logged.
	Token string
	// AppID, InstallationID and PrivateKeyPEM authenticate as a GitHub App
	// installation instead of Token: a JWT signed with the private key is
	// exchanged for installation tokens, which are cached and refreshed
	// before they expire.
	AppID          int64
	InstallationID int64
	PrivateKeyPEM  []byte
	// Repositories limits the inventory to these repository names; empty
	// means all. Topics limits it to repositories with any of these
	// topics. With both, a repository in either is scanned.
	Repositories []string
	Topics       []string
	// Prefix is the provider's annotation_prefix: the governance marker in
	// deploy key titles ("" is nhi.DefaultMarkerPrefix).
	Prefix string
	// Clock is the provider's clock (nil: the wall clock). Installation
	// tokens and JWTs always use the wall clock: GitHub checks them
	// against its own.
	Clock clock.Clock
	// MaxRetries bounds the retries of one request (0: httpclient's
	// default; negative: none).
	MaxRetries int
	// RetryWaitMin is the first step of the exponential backoff (0:
	// httpclient's default); tests make it short.
	RetryWaitMin time.Duration
	// RetryWaitMax caps any single wait, including one GitHub asks for
	// with Retry-After or X-RateLimit-Reset (0: httpclient's default).
	RetryWaitMax time.Duration
	// Logger receives debug lines about requests (optional); it never
	// sees a credential.
	Logger httpclient.Logger
	// Transport is the base HTTP transport (nil: httpclient's); tests
	// route through fault proxies with it.
	Transport http.RoundTripper
	// PerPage is the page size of listings (0: 100, GitHub's largest).
	PerPage int
	// Workers bounds the repositories read at once (0: 4). GitHub's
	// secondary limits punish many concurrent requests.
	Workers int
}

// Client is the GitHub connector for one organisation.
type Client struct {
	cfg    Config
	gh     *gh.Client
	org    string
	prefix string
	clock  clock.Clock
	base   *url.URL
	auth   *tokenSource
	// wantRepos and wantTopics are the repository filter.
	wantRepos, wantTopics map[string]bool
}

var _ nhi.Inventory = (*Client)(nil)

// New builds a client. It makes no request: a bad credential shows on the
// first call, with GitHub's message.
func New(ctx context.Context, cfg Config) (*Client, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	base := cfg.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("github base_url %q must be an http(s) URL such as %q", cfg.BaseURL, DefaultBaseURL)
	}
	hc := httpclient.New(httpclient.Options{
		MaxRetries:   cfg.MaxRetries,
		RetryWaitMin: cfg.RetryWaitMin,
		RetryWaitMax: cfg.RetryWaitMax,
		Logger:       cfg.Logger,
		Transport:    cfg.Transport,
		RateLimited:  RateLimited,
	})
	c := &Client{cfg: cfg, org: cfg.Organization, prefix: cfg.Prefix, clock: cfg.Clock, base: u,
		wantRepos: set(cfg.Repositories), wantTopics: set(cfg.Topics)}
	if c.prefix == "" {
		c.prefix = nhi.DefaultMarkerPrefix
	}
	if c.clock == nil {
		c.clock = clock.System{}
	}
	c.auth, err = newTokenSource(cfg, u, hc)
	if err != nil {
		return nil, err
	}
	api := &http.Client{Transport: &authTransport{next: hc.Transport, src: c.auth, host: u.Host, scheme: u.Scheme}}
	c.gh = gh.NewClient(api)
	c.gh.BaseURL = u
	c.gh.UploadURL = u
	// The retrying transport waits out rate limits (capped); go-github's
	// own pre-emptive refusal would fail requests instead.
	c.gh.DisableRateLimitCheck = true
	return c, nil
}

func (cfg Config) validate() error {
	var problems []string
	if strings.TrimSpace(cfg.Organization) == "" {
		problems = append(problems, "organization is required: the login of the GitHub organisation, such as \"acme\"")
	}
	app := cfg.AppID != 0 || cfg.InstallationID != 0 || len(cfg.PrivateKeyPEM) > 0
	switch {
	case cfg.Token != "" && app:
		problems = append(problems, "set either token or the GitHub App fields (app_id, installation_id, private key), not both")
	case cfg.Token == "" && !app:
		problems = append(problems, "no credential: set a token (a fine-grained personal access token or GITHUB_TOKEN) or the GitHub App fields app_id, installation_id and private key")
	case app:
		if cfg.AppID <= 0 {
			problems = append(problems, "app_id is required with GitHub App authentication: the App's numeric ID from its settings page")
		}
		if cfg.InstallationID <= 0 {
			problems = append(problems, "installation_id is required with GitHub App authentication: the numeric ID of the App's installation on the organisation")
		}
		if len(cfg.PrivateKeyPEM) == 0 {
			problems = append(problems, "the private key is required with GitHub App authentication: the PEM file GitHub generated for the App")
		}
	}
	if len(problems) > 0 {
		return errors.New("github: " + strings.Join(problems, "; "))
	}
	return nil
}

func set(in []string) map[string]bool {
	if len(in) == 0 {
		return nil
	}
	out := map[string]bool{}
	for _, s := range in {
		if s = strings.TrimSpace(s); s != "" {
			out[strings.ToLower(s)] = true
		}
	}
	return out
}

// System implements nhi.Inventory.
func (c *Client) System() string { return SystemName }

// Organization is the organisation the client scans.
func (c *Client) Organization() string { return c.org }

// Descriptor describes GitHub to the system-agnostic rooms (the same as
// the package's Descriptor).
func (c *Client) Descriptor() system.Descriptor { return Descriptor() }

// authTransport sets the credential on requests to the API's host and
// scheme only, so a Link or redirect to another host, or to http:// on the
// API's host, never receives it.
type authTransport struct {
	next         http.RoundTripper
	src          *tokenSource
	host, scheme string
}

func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Host != t.host || req.URL.Scheme != t.scheme {
		return t.next.RoundTrip(req)
	}
	tok, err := t.src.token(req.Context())
	if err != nil {
		return nil, err
	}
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", "Bearer "+tok)
	resp, err := t.next.RoundTrip(r)
	if err == nil && resp.StatusCode == http.StatusUnauthorized && t.src.app() {
		// An installation token revoked or expired early: exchange a new
		// one and try once more.
		t.src.invalidate(tok)
		if tok2, terr := t.src.token(req.Context()); terr == nil && tok2 != tok && rewindable(req) {
			resp.Body.Close()
			r2 := req.Clone(req.Context())
			if req.GetBody != nil {
				r2.Body, _ = req.GetBody()
			}
			r2.Header.Set("Authorization", "Bearer "+tok2)
			return t.next.RoundTrip(r2)
		}
	}
	return resp, err
}

func rewindable(req *http.Request) bool {
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

// redacted stands for a secret in Config's printed forms.
const redacted = "[redacted]"

// String prints the configuration with Token and PrivateKeyPEM redacted,
// so that a %v or %+v of a Config (in a log line, an error or a test's
// failure) never shows a credential.
func (cfg Config) String() string {
	secret := func(set bool) string {
		if set {
			return redacted
		}
		return `""`
	}
	return fmt.Sprintf("github.Config{BaseURL:%q Organization:%q Token:%s AppID:%d InstallationID:%d PrivateKeyPEM:%s Repositories:%q Topics:%q Prefix:%q MaxRetries:%d RetryWaitMin:%s RetryWaitMax:%s PerPage:%d Workers:%d}",
		cfg.BaseURL, cfg.Organization, secret(cfg.Token != ""), cfg.AppID, cfg.InstallationID, secret(len(cfg.PrivateKeyPEM) > 0),
		cfg.Repositories, cfg.Topics, cfg.Prefix, cfg.MaxRetries, cfg.RetryWaitMin, cfg.RetryWaitMax, cfg.PerPage, cfg.Workers)
}

// GoString is String, for %#v.
func (cfg Config) GoString() string { return cfg.String() }
