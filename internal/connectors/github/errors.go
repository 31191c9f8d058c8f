package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	gh "github.com/google/go-github/v81/github"

	"github.com/nhi-ops/terraform-provider-nhi/internal/connectors/httpclient"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// ErrForbidden is wrapped when the credential may not do what was asked
// (401, or a 403 that is not a rate limit).
var ErrForbidden = errors.New("access denied")

// ErrRateLimited is wrapped when GitHub still refused for rate after the
// client's retries (its waits are capped, so a limit that resets later
// than the cap outlasts them).
var ErrRateLimited = errors.New("rate limited")

// ErrInvalid is wrapped when GitHub refuses a write as invalid (422).
var ErrInvalid = errors.New("refused as invalid")

// IsNotFound reports whether err means the object does not exist, or the
// credential may not see it: GitHub answers 404 for both.
func IsNotFound(err error) bool { return errors.Is(err, nhi.ErrNotFound) }

// status is the HTTP status of a go-github error, or 0.
func status(err error) int {
	var er *gh.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		return er.Response.StatusCode
	}
	var rl *gh.RateLimitError
	if errors.As(err, &rl) && rl.Response != nil {
		return rl.Response.StatusCode
	}
	var ab *gh.AbuseRateLimitError
	if errors.As(err, &ab) && ab.Response != nil {
		return ab.Response.StatusCode
	}
	return 0
}

// wrap adds what was being done and the sentinel callers branch on.
// go-github's messages name the method and URL, never the credential.
func wrap(err error, doing string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", doing, err)
	}
	var rl *gh.RateLimitError
	if errors.As(err, &rl) {
		return fmt.Errorf("%s: %w: GitHub's primary rate limit of %d requests is used up until %s; try again after it resets (%v)",
			doing, ErrRateLimited, rl.Rate.Limit, rl.Rate.Reset.UTC().Format(time.RFC3339), message(err))
	}
	var ab *gh.AbuseRateLimitError
	if errors.As(err, &ab) {
		return fmt.Errorf("%s: %w: GitHub's secondary rate limit still refused after the retries; scan fewer repositories at once or try again later (%v)", doing, ErrRateLimited, message(err))
	}
	var ex *httpclient.ExhaustedError
	if errors.As(err, &ex) {
		return fmt.Errorf("%s: %w (GitHub or the network to it is failing; try again later)", doing, err)
	}
	switch st := status(err); {
	case st == http.StatusTooManyRequests:
		// go-github types only 403s as rate limits; GitHub documents 429
		// for both limits.
		return fmt.Errorf("%s: %w: GitHub still answered 429 (rate limited) after the retries; scan fewer repositories at once or try again later (%v)", doing, ErrRateLimited, message(err))
	case st == http.StatusNotFound:
		return fmt.Errorf("%s: %w: %v", doing, nhi.ErrNotFound, message(err))
	case st == http.StatusUnauthorized:
		return fmt.Errorf("%s: %w: GitHub refused the credential (401): it is wrong, expired or revoked (%v)", doing, ErrForbidden, message(err))
	case st == http.StatusForbidden:
		return fmt.Errorf("%s: %w: the credential may not do this (403); give the token or App the permission named in GitHub's message (%v)", doing, ErrForbidden, message(err))
	case st == http.StatusUnprocessableEntity:
		return fmt.Errorf("%s: %w: %v", doing, ErrInvalid, message(err))
	case st >= 500:
		return fmt.Errorf("%s: GitHub answered %d after the client's retries (GitHub is failing; try again later): %v", doing, st, message(err))
	}
	return fmt.Errorf("%s: %w", doing, err)
}

// message is GitHub's own message, with its validation errors, without
// the request line.
func message(err error) string {
	var er *gh.ErrorResponse
	if errors.As(err, &er) {
		parts := []string{}
		if er.Message != "" {
			parts = append(parts, er.Message)
		}
		for _, e := range er.Errors {
			if e.Message != "" {
				parts = append(parts, e.Message)
			} else if e.Code != "" {
				parts = append(parts, e.Field+" "+e.Code)
			}
		}
		if len(parts) > 0 {
			return "GitHub: " + strings.Join(parts, ": ")
		}
	}
	return httpclient.RedactURL(err.Error())
}

// hasMessage reports whether GitHub's error (message or validation
// errors) contains s, case-insensitively.
func hasMessage(err error, s string) bool {
	var er *gh.ErrorResponse
	if !errors.As(err, &er) {
		return false
	}
	s = strings.ToLower(s)
	if strings.Contains(strings.ToLower(er.Message), s) {
		return true
	}
	for _, e := range er.Errors {
		if strings.Contains(strings.ToLower(e.Message), s) {
			return true
		}
	}
	return false
}

// acceptedPermissions is GitHub's X-Accepted-GitHub-Permissions header of
// a refused request ("organization_hooks=read"), or "".
func acceptedPermissions(err error) string {
	var er *gh.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		return strings.TrimSpace(er.Response.Header.Get("X-Accepted-GitHub-Permissions"))
	}
	return ""
}
