package httpclient

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
)

// Logger is a leveled logger, as go-retryablehttp's LeveledLogger and
// tflog's functions take it: a message and key/value pairs. The client
// hands it nothing that carries a credential: no request headers at all,
// answer headers without the ones that may hold secrets (SafeHeaders), URLs
// without user info or credential-like query parameters (RedactURL).
type Logger interface {
	Error(msg string, keysAndValues ...any)
	Info(msg string, keysAndValues ...any)
	Debug(msg string, keysAndValues ...any)
	Warn(msg string, keysAndValues ...any)
}

// safeLogger cleans what go-retryablehttp logs before the caller's logger
// sees it.
type safeLogger struct{ l Logger }

func (s safeLogger) Error(msg string, kv ...any) { s.l.Error(msg, clean(kv)...) }
func (s safeLogger) Info(msg string, kv ...any)  { s.l.Info(msg, clean(kv)...) }
func (s safeLogger) Debug(msg string, kv ...any) { s.l.Debug(msg, clean(kv)...) }
func (s safeLogger) Warn(msg string, kv ...any)  { s.l.Warn(msg, clean(kv)...) }

// clean turns every value into a string without credentials: headers
// through SafeHeaders, requests into their method and redacted URL, the
// rest through RedactURL of its text (an error's text carries the URL).
func clean(kv []any) []any {
	out := make([]any, len(kv))
	for i, v := range kv {
		if i%2 == 0 {
			out[i] = v
			continue
		}
		switch x := v.(type) {
		case http.Header:
			out[i] = SafeHeaders(x)
		case *http.Request:
			out[i] = x.Method + " " + RedactURL(x.URL.String())
		case *http.Response:
			out[i] = fmt.Sprintf("%d", x.StatusCode)
		case *url.URL:
			out[i] = RedactURL(x.String())
		case int, int64, bool:
			out[i] = x
		default:
			out[i] = RedactURL(fmt.Sprint(x))
		}
	}
	return out
}

// sensitiveHeader matches header names that may carry a credential.
var sensitiveHeader = regexp.MustCompile(`(?i)auth|cookie|token|secret|key|signature|password|session`)

// SafeHeaders renders headers for a log: sorted "Name: value" lines, with
// the value of every header whose name may carry a credential (Authorization,
// Cookie, Set-Cookie, X-*-Token, *-Key, ...) replaced by "[redacted]".
func SafeHeaders(h http.Header) string {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, k := range names {
		v := strings.Join(h[k], ", ")
		if sensitiveHeader.MatchString(k) {
			v = "[redacted]"
		}
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		b.WriteString(k + ": " + v)
	}
	return b.String()
}

var (
	userInfo      = regexp.MustCompile(`(https?://)[^/@\s]*@`)
	credentialArg = regexp.MustCompile(`(?i)([?&](?:access_token|token|client_secret|secret|password|sig|signature|code|key|jwt)=)[^&\s"]*`)
)

// RedactURL removes user info and credential-like query parameters
// (access_token, token, client_secret, ...) from every URL in s.
func RedactURL(s string) string {
	s = userInfo.ReplaceAllString(s, "${1}[redacted]@")
	return credentialArg.ReplaceAllString(s, "${1}[redacted]")
}
