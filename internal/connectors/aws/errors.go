package aws

import (
	"errors"
	"fmt"

	"github.com/aws/smithy-go"

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

// IsNotFound reports whether err means the entity does not exist.
func IsNotFound(err error) bool {
	return err != nil && (errors.Is(err, nhi.ErrNotFound) || apiCode(err) == "NoSuchEntity")
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
	return fmt.Errorf("%s: %w", doing, err)
}
