package github

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-log/tflogtest"
)

// The HTTP client's logger writes to tflog's github subsystem and never
// writes a credential: not the configured token or App key, not a token
// of GitHub's formats, an Authorization value, a JWT, a PEM block or URL
// credentials, whether in the message, a credential-named field, a
// request, headers or an error.
func TestLoggerNeverLogsCredentials(t *testing.T) {
	var buf bytes.Buffer
	ctx := tflogtest.RootLogger(context.Background(), &buf)
	const token = "github_pat_11AAAAAAA0abcdefghijklmnopqrstuvwxyz0123456789"
	const pemKey = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n-----END RSA PRIVATE KEY-----\n"
	const installation = "ghs_16C7e42F292c6912E7710c838347Ae178B4a"
	const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiIxMjMifQ.c2lnbmF0dXJlc2lnbmF0dXJl"
	l := newLogger(ctx, token, pemKey)

	req, _ := http.NewRequest(http.MethodGet, "https://x-access-token:"+installation+"@api.github.com/repos/acme/app/keys?access_token="+installation, nil)
	req.Header.Set("Authorization", "Bearer "+installation)
	l.Debug("performing request", "method", "GET", "url", req.URL, "request", req, "headers", req.Header)
	l.Info("token "+token+" used", "Authorization", "token "+token, "app_jwt", jwt)
	l.Warn("retrying", "error", errors.New("POST https://api.github.com/app/installations/1/access_tokens: Bearer "+jwt+" refused"), "attempt", 2)
	l.Error("failed", "error", errors.New("parsing "+pemKey), "body", "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun")
	l.Debug("odd", "dangling")

	out := buf.String()
	for _, secret := range []string{token, installation, jwt, "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun", "eyJpc3MiOiIxMjMifQ"} {
		if strings.Contains(out, secret) {
			t.Errorf("the log holds %.20s...:\n%s", secret, out)
		}
	}
	lines, err := tflogtest.MultilineJSONDecode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 5 {
		t.Fatalf("%d log lines, want 5:\n%s", len(lines), out)
	}
	first := lines[0]
	if first["@module"] != "provider."+subsystem || first["@level"] != "debug" {
		t.Errorf("first line is not the github subsystem's debug line: %v", first)
	}
	// What is useful stays: method, host and path, the header names.
	if r, _ := first["request"].(string); !strings.HasPrefix(r, "GET https://") || !strings.Contains(r, "api.github.com/repos/acme/app/keys") {
		t.Errorf("request logged as %q", first["request"])
	}
	if h, _ := first["headers"].(string); h != "Authorization" {
		t.Errorf("headers logged as %q, want only the names", first["headers"])
	}
	if lines[2]["attempt"] != float64(2) {
		t.Errorf("attempt logged as %v", lines[2]["attempt"])
	}
}

func TestRedactURL(t *testing.T) {
	u, _ := url.Parse("https://user:pw@ghe.example.com/api/v3/?page=2&token=abc")
	if got := redactURL(u.String()); got != "https://(redacted)@ghe.example.com/api/v3/?page=2&token=(redacted)" {
		t.Errorf("redactURL = %q", got)
	}
}
