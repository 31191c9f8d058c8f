package github

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/hashicorp/terraform-plugin-log/tflog"
)

// subsystem is the tflog subsystem of the GitHub HTTP client: its lines
// carry @module=nhi.github and follow TF_LOG_PROVIDER_NHI_GITHUB (else
// TF_LOG_PROVIDER / TF_LOG).
const subsystem = "github"

// credentialPatterns match credentials that may appear in what the HTTP
// client logs (a URL, an error): GitHub's token formats (classic and
// fine-grained personal access tokens, installation, OAuth, user-to-server
// and refresh tokens), Authorization header values, JSON Web Tokens (the
// App's signed assertion) and PEM blocks (the App's private key).
var credentialPatterns = []*regexp.Regexp{
	regexp.MustCompile(`\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})`),
	regexp.MustCompile(`(?i)\b(bearer|token|basic)\s+[A-Za-z0-9._~+/=-]{8,}`),
	regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`),
	regexp.MustCompile(`-----BEGIN [A-Z ]+-----[\s\S]*?(-----END [A-Z ]+-----|$)`),
}

// credentialKeys are field keys whose values are never logged, whatever
// they hold: the headers that carry credentials, and anything named like a
// secret.
var credentialKeys = []string{"authorization", "proxy-authorization", "cookie", "set-cookie", "token", "password", "secret", "private_key", "jwt"}

// tflogLogger is the leveled logger the GitHub connector's HTTP client
// (go-retryablehttp) writes to, adapted to tflog, so that its lines go to
// Terraform's log with the provider's. It never logs credentials: values
// of credential-named fields are dropped, headers are reduced to their
// names, and the configured secrets and anything shaped like a GitHub
// token, an Authorization value, a JWT or a PEM block are masked in
// messages and values.
type tflogLogger struct{ ctx context.Context }

// newLogger returns the logger for the HTTP client of one connection;
// secrets are the configured credentials (token, App private key), masked
// wherever they would appear.
func newLogger(ctx context.Context, secrets ...string) tflogLogger {
	ctx = tflog.NewSubsystem(ctx, subsystem)
	var lits []string
	for _, s := range secrets {
		if s = strings.TrimSpace(s); len(s) >= 4 {
			lits = append(lits, s)
			// A PEM key is also masked line by line, in case a
			// message holds part of it.
			for _, line := range strings.Split(s, "\n") {
				if line = strings.TrimSpace(line); len(line) >= 16 && !strings.HasPrefix(line, "-----") {
					lits = append(lits, line)
				}
			}
		}
	}
	if len(lits) > 0 {
		ctx = tflog.SubsystemMaskAllFieldValuesStrings(ctx, subsystem, lits...)
		ctx = tflog.SubsystemMaskMessageStrings(ctx, subsystem, lits...)
	}
	ctx = tflog.SubsystemMaskAllFieldValuesRegexes(ctx, subsystem, credentialPatterns...)
	ctx = tflog.SubsystemMaskMessageRegexes(ctx, subsystem, credentialPatterns...)
	return tflogLogger{ctx: ctx}
}

func (l tflogLogger) Error(msg string, kv ...any) {
	tflog.SubsystemError(l.ctx, subsystem, msg, fields(kv))
}
func (l tflogLogger) Warn(msg string, kv ...any) {
	tflog.SubsystemWarn(l.ctx, subsystem, msg, fields(kv))
}
func (l tflogLogger) Info(msg string, kv ...any) {
	tflog.SubsystemInfo(l.ctx, subsystem, msg, fields(kv))
}
func (l tflogLogger) Debug(msg string, kv ...any) {
	tflog.SubsystemDebug(l.ctx, subsystem, msg, fields(kv))
}

// fields turns retryablehttp's alternating keys and values into tflog
// fields, leaving out the values of credential-named keys and rendering
// requests, responses and headers without their headers' values.
func fields(kv []any) map[string]any {
	out := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		key := fmt.Sprint(kv[i])
		if i+1 >= len(kv) {
			out[key] = nil
			break
		}
		if credentialKey(key) {
			out[key] = "(redacted)"
			continue
		}
		out[key] = safeValue(kv[i+1])
	}
	return out
}

func credentialKey(key string) bool {
	k := strings.ToLower(key)
	for _, c := range credentialKeys {
		if strings.Contains(k, c) {
			return true
		}
	}
	return false
}

// safeValue renders what retryablehttp passes (a *http.Request, an
// *http.Response, a URL, an error, a number) without headers.
func safeValue(v any) any {
	switch x := v.(type) {
	case *http.Request:
		if x == nil {
			return nil
		}
		return x.Method + " " + redactURL(x.URL.String())
	case *http.Response:
		if x == nil {
			return nil
		}
		return x.Status
	case http.Header:
		names := make([]string, 0, len(x))
		for k := range x {
			names = append(names, k)
		}
		return strings.Join(names, ",")
	case string:
		return redactURL(x)
	case error:
		return redactURL(x.Error())
	case fmt.Stringer:
		return redactURL(x.String())
	}
	return v
}

// userinfo matches the credentials of a URL (https://user:secret@host).
var userinfo = regexp.MustCompile(`(?i)(https?://)[^/@\s]+@`)

// redactURL removes URL credentials and the query values GitHub accepts
// credentials in (access_token, client_secret).
func redactURL(s string) string {
	s = userinfo.ReplaceAllString(s, "${1}(redacted)@")
	return queryCredential.ReplaceAllString(s, "${1}=(redacted)")
}

var queryCredential = regexp.MustCompile(`(?i)\b(access_token|client_secret|token|jwt)=[^&\s]+`)
