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

	"github.com/nhi-ops/terraform-provider-nhi/internal/connectors/httpclient"
)

// refreshBefore is how long before its expiry an installation token is
// replaced (GitHub's last an hour), and at most half its lifetime.
const refreshBefore = 5 * time.Minute

// jwtLifetime is the App JWT's lifetime: GitHub accepts at most 10 minutes;
// iat is backdated a minute for clock skew, as GitHub recommends.
const jwtLifetime = 9 * time.Minute

// tokenSource hands out the credential: the configured token, or a cached
// installation token of a GitHub App.
type tokenSource struct {
	static string

	appID, installationID int64
	key                   *rsa.PrivateKey
	exchange              *gh.Client
	// now decides when a cached token is replaced (tests move it).
	now func() time.Time

	mu        sync.Mutex
	cached    string
	refreshAt time.Time
	expiresAt time.Time
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
	ts.exchange = gh.NewClient(&http.Client{Transport: &jwtTransport{next: hc.Transport, src: ts, host: base.Host}})
	ts.exchange.BaseURL, ts.exchange.UploadURL = base, base
	ts.exchange.DisableRateLimitCheck = true
	return ts, nil
}

func (t *tokenSource) app() bool { return t.static == "" }

// token returns a valid token, exchanging a new installation token when the
// cached one is near its expiry.
func (t *tokenSource) token(ctx context.Context) (string, error) {
	if !t.app() {
		return t.static, nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cached != "" && t.now().Before(t.refreshAt) {
		return t.cached, nil
	}
	// Creating an installation token twice only makes two tokens: safe to
	// repeat after a lost answer.
	it, _, err := t.exchange.Apps.CreateInstallationToken(httpclient.Idempotent(ctx), t.installationID, nil)
	if err != nil {
		return "", wrap(err, fmt.Sprintf("exchanging the GitHub App %d's JWT for a token of installation %d (check app_id, installation_id and that the private key belongs to the App)", t.appID, t.installationID))
	}
	if it.GetToken() == "" {
		return "", fmt.Errorf("exchanging a token of GitHub App installation %d: GitHub's answer holds no token", t.installationID)
	}
	now := t.now()
	exp := it.GetExpiresAt().Time
	if exp.IsZero() || !exp.After(now) {
		exp = now.Add(time.Hour)
	}
	margin := refreshBefore
	if life := exp.Sub(now); margin > life/2 {
		margin = life / 2
	}
	t.cached, t.expiresAt, t.refreshAt = it.GetToken(), exp, exp.Add(-margin)
	return t.cached, nil
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
	next http.RoundTripper
	src  *tokenSource
	host string
}

func (j *jwtTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Host != j.host {
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
