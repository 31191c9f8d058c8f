package kubernetes

// Creates that are safe to repeat.
//
// A create (POST) is not idempotent, so the retry layer (retry.go) resends
// it only when the server certainly did not act: on 429, and when the
// connection failed before the request was sent. Any other failure of a
// create (an answer lost after the request was sent, a 5xx, a timeout)
// leaves its outcome unknown, and so does "already exists" after an unknown
// outcome was followed by another try. The connector settles the outcome
// here, for service accounts, RoleBindings, ClusterRoleBindings, token
// Secrets and delivery Secrets:
//
//   - Every create writes a fresh create token with the object: 128 random
//     bits under <prefix>/create-token (Markers.CreateToken). Objects whose
//     names are known carry it as an annotation; token Secrets, whose names
//     the API server generates, carry it as a label, so that a label
//     selector finds the Secret when the answer that named it was lost.
//   - When the outcome is unknown, or the create fails with AlreadyExists,
//     the object is read back (by name, or by the token's label) with a
//     retried read. Carrying this create's token, it is this create's work:
//     it is adopted as if the answer had arrived. Existing without the
//     token, it is somebody else's: the conflict is reported as before. Not
//     existing, the create did not happen: it is sent again, with the same
//     token, up to DefaultRetryPolicy.MaxAttempts sends in all with the
//     retry layer's backoff between them.
//   - When the context ends with the outcome unknown, whatever the create
//     made (found by its token) is removed again under internal/cleanup's
//     context, as every rollback is.
//
// Nothing is made twice: a name that exists answers AlreadyExists, and a
// generated name is looked for by the token before another is made. A
// TokenRequest (RequestToken) stores nothing, so it is simply sent again.
//
// The token is bookkeeping, not governance. No identity, token Secret, plan
// or report reads it (Markers.IsReservedKey keeps it out of the labels the
// connector reports, as every key under the prefix), so it never shows as
// drift, and it stays on the object harmlessly: a later create writes a
// token of its own, so an old one never matches.

import (
	"context"
	cryptorand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/nhi-ops/terraform-provider-nhi/internal/cleanup"
)

// CreateToken names the create token a created object carries (see the top
// of idempotent.go): an annotation on service accounts, bindings and
// delivery Secrets, a label on token Secrets. It is not a governance marker.
func (m Markers) CreateToken() string { return m.Prefix + "/create-token" }

// newCreateToken returns 128 random bits in hex: 32 characters, a valid
// label value.
func newCreateToken() string {
	var b [16]byte
	if _, err := cryptorand.Read(b[:]); err != nil {
		panic("kubernetes: no randomness for a create token: " + err.Error())
	}
	return hex.EncodeToString(b[:])
}

// createPause waits between the sends of one create (a variable for tests).
var createPause = sleepCtx

// errTaken says that the object a create would make exists and is not this
// create's work; callers report it as the conflict they always did.
var errTaken = errors.New("exists and was not created by this request")

// outcomeUnknown reports whether a create's failure leaves open whether the
// server did the work: a connection lost after the request was sent (the
// retry layer's *RequestError, or client-go's own error when the context
// ended on the first attempt), a timeout, or a 5xx. A 429 the retry layer
// gave up on, and every 4xx, are definite: the server did not create.
func outcomeUnknown(err error) bool {
	var re *RequestError
	if errors.As(err, &re) {
		return true
	}
	var st apierrors.APIStatus
	if errors.As(err, &st) {
		code := int(st.Status().Code)
		return code >= 500 && code != http.StatusNotImplemented && code != http.StatusHTTPVersionNotSupported
	}
	return isConnectionError(err) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// lookupResult is what a create's read-back found.
type lookupResult[T any] struct {
	obj    T
	exists bool // an object of the name (or with the token) exists
	ours   bool // and it carries this create's token
}

// creation is the result of createSafely.
type creation[T any] struct {
	obj T
	// adopted: obj was found by the read-back, not returned by the create.
	adopted bool
	// left: the context ended with the outcome unknown, obj is this
	// create's work, and removing it again failed; it comes with the error
	// so that the caller records it instead of orphaning it.
	left bool
}

// createSafely sends create until it succeeds or its outcome is settled
// (see the top of the file). lookup reads what the create would have made;
// remove deletes this create's work when the context ends with the outcome
// unknown. Errors are create's own (for the caller to wrap), or wrap
// errTaken when a read-back found somebody else's object.
func createSafely[T any](ctx context.Context,
	create func(context.Context) (T, error),
	lookup func(context.Context) (lookupResult[T], error),
	remove func(context.Context, T) error,
) (creation[T], error) {
	var zero creation[T]
	p := DefaultRetryPolicy
	var waited time.Duration
	for attempt := 1; ; attempt++ {
		obj, err := create(ctx)
		if err == nil {
			return creation[T]{obj: obj}, nil
		}
		exists := apierrors.IsAlreadyExists(err)
		if !exists && !outcomeUnknown(err) {
			return zero, err // the server did not create it
		}
		if ctx.Err() != nil {
			return abandon(ctx, err, lookup, remove)
		}
		found, lerr := lookup(ctx)
		switch {
		case lerr != nil:
			return zero, fmt.Errorf("%w; reading it back to learn whether it was created failed too: %v", err, lerr)
		case found.ours:
			return creation[T]{obj: found.obj, adopted: true}, nil
		case found.exists:
			return zero, fmt.Errorf("%w: %w", errTaken, err)
		}
		// Not made: send it again, unless the sends or the waits are used up.
		if attempt >= p.MaxAttempts {
			return zero, fmt.Errorf("%w; it was not created, after %d tries", err, attempt)
		}
		d := p.backoff(attempt, -1, rand.Float64())
		if waited+d > p.MaxTotalDelay {
			return zero, fmt.Errorf("%w; it was not created, after %d tries", err, attempt)
		}
		if serr := createPause(ctx, d); serr != nil {
			return zero, fmt.Errorf("%w; stopped before trying again: %w", err, serr)
		}
		waited += d
	}
}

// abandon settles a create whose context ended with its outcome unknown:
// what it made, if anything, is removed again with a cleanup context.
func abandon[T any](ctx context.Context, err error, lookup func(context.Context) (lookupResult[T], error), remove func(context.Context, T) error) (creation[T], error) {
	var found lookupResult[T]
	cerr := cleanup.Do(ctx, func(ctx context.Context) error {
		var lerr error
		if found, lerr = lookup(ctx); lerr != nil || !found.ours {
			return lerr
		}
		return remove(ctx, found.obj)
	})
	switch {
	case cerr == nil:
		return creation[T]{}, err
	case found.ours:
		return creation[T]{obj: found.obj, left: true}, fmt.Errorf("%w; it was created, and removing it again failed (%v)", err, cerr)
	default:
		return creation[T]{}, fmt.Errorf("%w; whether it was created is unknown: reading it back failed (%v)", err, cerr)
	}
}
