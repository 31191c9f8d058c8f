package github

import (
	"bytes"
	"net/http"
	"time"
)

// SecondaryLimitWait is the least GitHub asks a client to wait after a
// secondary rate limit that gives no retry-after.
const SecondaryLimitWait = time.Minute

// RateLimited recognises GitHub's rate-limit answers for the retrying
// client (httpclient.Options.RateLimited), as GitHub's REST documentation
// ("Rate limits for the REST API", "Exceeding the rate limit") describes
// them:
//   - the primary limit: 403 or 429 with x-ratelimit-remaining: 0; wait
//     until x-ratelimit-reset (the client reads it);
//   - the secondary limit: 403 or 429 with a retry-after header, or whose
//     message says "secondary rate limit", or any 429; wait retry-after,
//     or at least a minute when it is missing, as GitHub asks ("Otherwise,
//     wait for at least one minute before retrying"; capped by the
//     client's RetryWaitMax).
func RateLimited(resp *http.Response, body []byte) (bool, time.Duration) {
	if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusTooManyRequests {
		return false, 0
	}
	if resp.Header.Get("Retry-After") != "" {
		return true, 0 // the client reads it
	}
	if resp.Header.Get("X-RateLimit-Remaining") == "0" {
		return true, 0
	}
	if bytes.Contains(bytes.ToLower(body), []byte("secondary rate limit")) || resp.StatusCode == http.StatusTooManyRequests {
		return true, SecondaryLimitWait
	}
	return false, 0
}
