package github

import (
	"context"
	"crypto/rsa"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	gh "github.com/google/go-github/v81/github"
	"golang.org/x/sync/singleflight"

	"github.com/nhi-ops/terraform-provider-nhi/internal/connectors/httpclient"
)

// refreshBefore is how long before its expiry an installation token is
// replaced (GitHub's last an hour), and at most half its lifetime.
const refreshBefore = 5 * time.Minute

// jwtLifetime is the App JWT's lifetime: GitHub accepts at most 10 minutes;
// iat is backdated a minute for clock skew, as GitHub recommends.
const jwtLifetime = 9 * time.Minute

// failureMemory is how long a failed token exchange is remembered: the
// requests in that time get its error at once instead of each repeating an
// exchange that has just failed (with its retries).
const failureMemory = 10 * time.Second

// exchangeTimeout bounds one shared token exchange, which runs on its own
// context (its waiters may give up; the exchange is not theirs alone).
const exchangeTimeout = 2 * time.Minute

// tokenSource hands out the credential: the configured token, or a cached
// installation token of a GitHub App. Concurrent first uses (and
// refreshes) share one exchange; each waiter stops waiting when its own
// context ends.
type tokenSource struct {
	static string

	appID, installationID int64
	key                   *rsa.PrivateKey
	exchange              *gh.Client
	// now decides when a cached token is replaced (tests move it).
	now func() time.Time

	flight singleflight.Group

	mu        sync.Mutex
	cached    string
	refreshAt time.Time
	expiresAt time.Time
	// selection and perms are the installation's repository_selection
	// ("all" or "selected") and permissions, as the last exchange's
	// answer gave them.
	selection string
	perms     map[string]string
	// failed is the last exchange's error, remembered until failedUntil.
	failed      error
	failedUntil time.Time
}

func newTokenSource(cfg Config, base *url.URL, hc *http.Client) (*tokenSource, error) {
	if cfg.Token != "" {
		return &tokenSource{static: cfg.Token}, nil
	}
	key, err := jwt.ParseRSAPrivateKeyFromPEM(cfg.PrivateKeyPEM)
	if err != nil {
		// The parser's text never quotes the key.
		return nil, fmt.Errorf("github: the App private key is not an RSA private key in PEM form (the .pem file GitHub generated for the App): %v", err)
	}
	ts := &tokenSource{appID: cfg.AppID, installationID: cfg.InstallationID, key: key, now: time.Now}
	ts.exchange = gh.NewClient(&http.Client{Transport: &jwtTransport{next: hc.Transport, src: ts, host: base.Host, scheme: base.Scheme}})
	ts.exchange.BaseURL, ts.exchange.UploadURL = base, base
	ts.exchange.DisableRateLimitCheck = true
	return ts, nil
}

func (t *tokenSource) app() bool { return t.static == "" }

// fresh is the cached token when it is not due for refresh, or the
// remembered failure; ok is false when an exchange is needed.
func (t *tokenSource) fresh() (tok string, err error, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if t.cached != "" && now.Before(t.refreshAt) {
		return t.cached, nil, true
	}
	if t.failed != nil && now.Before(t.failedUntil) {
		return "", t.failed, true
	}
	return "", nil, false
}

// token returns a valid token, exchanging a new installation token when the
// cached one is near its expiry.
func (t *tokenSource) token(ctx context.Context) (string, error) {
	if !t.app() {
		return t.static, nil
	}
	if tok, err, ok := t.fresh(); ok {
		return tok, err
	}
	ch := t.flight.DoChan("token", func() (any, error) {
		if tok, err, ok := t.fresh(); ok {
			return tok, err // a flight that just ended did the work
		}
		ectx, cancel := context.WithTimeout(context.WithoutCancel(ctx), exchangeTimeout)
		defer cancel()
		tok, err := t.exchangeToken(ectx)
		t.mu.Lock()
		if err != nil {
			t.failed, t.failedUntil = err, t.now().Add(failureMemory)
		} else {
			t.failed = nil
		}
		t.mu.Unlock()
		return tok, err
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return "", r.Err
		}
		return r.Val.(string), nil
	case <-ctx.Done():
		return "", fmt.Errorf("waiting for a token of GitHub App installation %d: %w", t.installationID, ctx.Err())
	}
}

// tokenAnswer is GitHub's answer to an installation token exchange, with
// the fields go-github's InstallationToken leaves out
// (repository_selection) and permissions as GitHub names them.
type tokenAnswer struct {
	Token               string            `json:"token"`
	ExpiresAt           time.Time         `json:"expires_at"`
	RepositorySelection string            `json:"repository_selection"`
	Permissions         map[string]string `json:"permissions"`
}

// exchangeToken exchanges the App's JWT for an installation token and
// caches it.
func (t *tokenSource) exchangeToken(ctx context.Context) (string, error) {
	// Creating an installation token twice only makes two tokens: safe to
	// repeat after a lost answer.
	req, err := t.exchange.NewRequest("POST", fmt.Sprintf("app/installations/%d/access_tokens", t.installationID), nil)
	if err != nil {
		return "", err
	}
	var it tokenAnswer
	if _, err := t.exchange.Do(httpclient.Idempotent(ctx), req, &it); err != nil {
		return "", wrap(err, fmt.Sprintf("exchanging the GitHub App %d's JWT for a token of installation %d (check app_id, installation_id and that the private key belongs to the App)", t.appID, t.installationID))
	}
	if it.Token == "" {
		return "", fmt.Errorf("exchanging a token of GitHub App installation %d: GitHub's answer holds no token", t.installationID)
	}
	now := t.now()
	exp := it.ExpiresAt
	if exp.IsZero() || !exp.After(now) {
		exp = now.Add(time.Hour)
	}
	margin := refreshBefore
	if life := exp.Sub(now); margin > life/2 {
		margin = life / 2
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.cached, t.expiresAt, t.refreshAt = it.Token, exp, exp.Add(-margin)
	t.selection, t.perms = it.RepositorySelection, it.Permissions
	return t.cached, nil
}

// installation is the repository selection and permissions of the App's
// installation as the last token exchange reported them ("" and nil
// before one, or with a token).
func (t *tokenSource) installation() (selection string, perms map[string]string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.selection, t.perms
}

// invalidate drops the cached token when it is tok (GitHub refused it).
func (t *tokenSource) invalidate(tok string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cached == tok {
		t.cached = ""
	}
}

// appJWT signs the App's JWT (RS256; iss the App ID), always on the wall
// clock, which GitHub checks it against.
func (t *tokenSource) appJWT() (string, error) {
	now := time.Now()
	claims := jwt.RegisteredClaims{
		Issuer:    strconv.FormatInt(t.appID, 10),
		IssuedAt:  jwt.NewNumericDate(now.Add(-time.Minute)),
		ExpiresAt: jwt.NewNumericDate(now.Add(jwtLifetime)),
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodRS256, claims).SignedString(t.key)
	if err != nil {
		return "", fmt.Errorf("signing the GitHub App JWT: %v", err)
	}
	return s, nil
}

// jwtTransport authenticates the token exchange with the App's JWT.
type jwtTransport struct {
	next         http.RoundTripper
	src          *tokenSource
	host, scheme string
}

func (j *jwtTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Host != j.host || req.URL.Scheme != j.scheme {
		return j.next.RoundTrip(req)
	}
	s, err := j.src.appJWT()
	if err != nil {
		return nil, err
	}
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", "Bearer "+s)
	return j.next.RoundTrip(r)
}
