package aws

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// ErrForbidden is wrapped when the credentials may not do what was asked.
var ErrForbidden = errors.New("access denied")

// ErrAlreadyExists is wrapped when a name is taken.
var ErrAlreadyExists = errors.New("already exists")

// ErrLimitExceeded is wrapped when an IAM quota stops the call (the third
// access key of a user, for one).
var ErrLimitExceeded = errors.New("limit exceeded")

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// IsNotFound reports whether err means the entity does not exist. A failed
// read of a policy or group that an identity holds is never "not found"
// for the identity.
func IsNotFound(err error) bool {
	var g *grantReadError
	if errors.As(err, &g) {
		return false
	}
	return err != nil && (errors.Is(err, nhi.ErrNotFound) || apiCode(err) == "NoSuchEntity")
}

// grantReadError is a failed read of a managed policy or group that an
// identity holds. Even NoSuchEntity (the policy or group changed while it
// was read) leaves the scan incomplete; it does not mean the identity is
// gone.
type grantReadError struct{ err error }

func (e *grantReadError) Error() string { return e.err.Error() }
func (e *grantReadError) Unwrap() error { return e.err }

func grantReadFailed(err error, doing string) error {
	return &grantReadError{err: wrap(err, doing)}
}

// wrap adds what was being done and a sentinel for the error classes callers
// branch on. The SDK's messages carry the request ID, never credentials.
func wrap(err error, doing string) error {
	if err == nil {
		return nil
	}
	switch apiCode(err) {
	case "NoSuchEntity":
		return fmt.Errorf("%s: %w: %w", doing, nhi.ErrNotFound, err)
	case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "InvalidClientTokenId", "SignatureDoesNotMatch":
		return fmt.Errorf("%s: %w: %w (check the credentials the provider uses and their IAM permissions)", doing, ErrForbidden, err)
	case "EntityAlreadyExists":
		return fmt.Errorf("%s: %w: %w", doing, ErrAlreadyExists, err)
	case "LimitExceeded":
		return fmt.Errorf("%s: %w: %w", doing, ErrLimitExceeded, err)
	}
	return fmt.Errorf("%s: %w%s", doing, err, exhausted(err))
}

// exhausted explains an error that ended the SDK's retries, whose own text
// ("exceeded maximum number of attempts, 8, https response error
// StatusCode: 503, RequestID: , api error UnknownError") says little about
// what to do.
func exhausted(err error) string {
	var me *retry.MaxAttemptsError
	if !errors.As(err, &me) {
		return ""
	}
	last := "failed"
	var send *smithyhttp.RequestSendError
	var re *awshttp.ResponseError
	switch {
	case errors.As(err, &send):
		last = "got no answer (a broken connection or a timeout)"
	case errors.As(err, &re) && re.HTTPStatusCode() >= 500:
		last = fmt.Sprintf("was answered %d %s", re.HTTPStatusCode(), http.StatusText(re.HTTPStatusCode()))
	default:
		if _, ok := retry.DefaultThrottleErrorCodes[apiCode(err)]; ok {
			last = "was throttled"
		}
	}
	return fmt.Sprintf(" (no success in %d attempts, the last %s: IAM or the network to it is failing; try again later)", me.Attempt, last)
}
