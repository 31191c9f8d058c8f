package aws

// Creates that are safe to repeat.
//
// IAM's CreateUser and CreateRole take no idempotency token, and a create
// whose answer is lost (a 5xx, a reset connection, a timeout) may or may not
// have been carried out. So each create writes a fresh random token into
// the tag "<prefix>:create-token" of the user or role it makes, and is
// retried like any other call (throttling, 5xx, broken connections, up to
// the connection's attempts): names are unique, so a repeat cannot make a
// second one, it meets EntityAlreadyExists. After EntityAlreadyExists, or
// when an attempt may have reached IAM and the call still failed, the
// entity is read by name (waiting out eventual consistency as after any
// create): if it carries this create's token it is ours and the create goes
// on with it (grants, read-back); otherwise the name belongs to someone
// else and the error says so, as without the token. A create cancelled with
// its request in flight deletes what it made, since Terraform records
// nothing for it.
//
// The token is not governance: it is under the reserved prefix, so it is no
// user tag and never drift, and it is removed once the create has given the
// entity its grants. Should that removal fail, the next update's tag
// reconciliation (tags are authoritative) removes it; nothing reads it
// after the create.
//
// Access keys cannot carry a token; CreateAccessKey (keys.go) compares the
// user's keys before and after instead.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/nhi-ops/terraform-provider-nhi/internal/cleanup"
)

// newCreateToken is a fresh token for one create: 128 random bits in hex,
// which IAM tag values allow.
func newCreateToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

// createTags are the tags a create writes: the spec's, and the token when
// IAM's tag limit leaves room for it (without one, an unanswered create is
// reported as before: the entity cannot be told apart from someone else's).
func (c *Client) createTags(want map[string]string, token string) []types.Tag {
	t := make(map[string]string, len(want)+1)
	for k, v := range want {
		t[k] = v
	}
	if len(t) < MaxTags {
		t[c.Tags.CreateToken()] = token
	}
	return toTags(t)
}

// hasToken reports whether tags hold this create's token.
func (c *Client) hasToken(tags []types.Tag, token string) bool {
	for _, t := range tags {
		if aws.ToString(t.Key) == c.Tags.CreateToken() {
			return aws.ToString(t.Value) == token
		}
	}
	return false
}

// mayHaveRun reports whether a failed attempt may have been carried out by
// IAM: its request was sent and no answer said it was refused. A 4xx with
// an error code is a refusal (throttling included); a 5xx, an answer that
// could not be read, a broken connection, a timeout or a cancellation while
// the request was out leave it unknown.
func mayHaveRun(err error) bool {
	var send *smithyhttp.RequestSendError
	var canceled *smithy.CanceledError
	if errors.As(err, &send) || errors.As(err, &canceled) {
		return true
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		s := re.HTTPStatusCode()
		return s >= 500 || (s >= 200 && s < 300)
	}
	return false
}

// attempts records whether any attempt of one call may have been carried
// out; the SDK's final error describes only the last attempt.
type attempts struct{ ran bool }

// observe is the per-call option that records each failed attempt. It
// wraps whatever retryer the call has (notBlindly's too), so it goes last.
func (a *attempts) observe(o *iam.Options) {
	if v2, ok := o.Retryer.(aws.RetryerV2); ok {
		o.Retryer = observing{RetryerV2: v2, a: a}
	}
}

// mayHaveRun reports whether the call, which ended with err, may have been
// carried out by any of its attempts.
func (a *attempts) mayHaveRun(err error) bool { return a.ran || mayHaveRun(err) }

type observing struct {
	aws.RetryerV2
	a *attempts
}

// IsErrorRetryable is asked once per failed attempt.
func (r observing) IsErrorRetryable(err error) bool {
	if mayHaveRun(err) {
		r.a.ran = true
	}
	return r.RetryerV2.IsErrorRetryable(err)
}

// found is a user or role read by name after an unsettled create.
type found struct {
	d    Details
	tags []types.Tag
}

// settleCreate decides what a failed create of a user or role did. err is
// the create's error, ran its attempts; find reads the entity by name with
// its tags and del deletes it. It returns the entity when this create made
// it, and otherwise the error to report.
func (c *Client) settleCreate(ctx context.Context, e entity, token string, err error, ran *attempts,
	find func(context.Context, string) (found, error), del func(context.Context, string) error) (Details, error) {
	noun, name := "IAM "+e.kind(), e.name()
	exists := apiCode(err) == "EntityAlreadyExists"
	if !exists && !ran.mayHaveRun(err) {
		return Details{}, createFailed(err, noun, name)
	}
	if ctx.Err() != nil {
		// Cancelled with the request out: Terraform records nothing, so
		// what this create made would be nobody's.
		var removed bool
		derr := cleanup.Do(ctx, func(cctx context.Context) error {
			var f found
			ferr := c.untilVisible(cctx, func() (err error) { f, err = find(cctx, name); return err })
			if IsNotFound(ferr) {
				return nil
			}
			if ferr != nil {
				return ferr
			}
			if !c.hasToken(f.tags, token) {
				return nil
			}
			removed = true
			return del(cctx, name)
		})
		werr := wrap(err, "creating "+noun+" "+name)
		switch {
		case derr != nil:
			return Details{}, fmt.Errorf("%w\n\nThe create was cancelled while IAM may have been carrying it out, and checking for (or deleting) what it made failed: %v. "+
				"If %s %s exists and nobody uses it, delete it, or import it", werr, derr, noun, name)
		case removed:
			return Details{}, fmt.Errorf("%w (the %s it made was deleted again; nothing was left behind)", werr, e.kind())
		}
		return Details{}, fmt.Errorf("%w (no %s was made)", werr, e.kind())
	}
	var f found
	ferr := c.untilVisible(ctx, func() (err error) { f, err = find(ctx, name); return err })
	switch {
	case ferr == nil && c.hasToken(f.tags, token):
		return f.d, nil
	case ferr == nil || (exists && IsNotFound(ferr)):
		// Someone else's (or an earlier create's whose answer was lost
		// in another run): today's conflict.
		if !exists {
			err = &smithy.GenericAPIError{Code: "EntityAlreadyExists", Message: fmt.Sprintf("IAM did not answer the create (%v), and the %s named %s that exists carries no token of this create", err, e.kind(), name)}
		}
		return Details{}, createFailed(err, noun, name)
	case IsNotFound(ferr):
		return Details{}, fmt.Errorf("%w (no %s was made: reading it by name found none)", wrap(err, "creating "+noun+" "+name), e.kind())
	}
	return Details{}, fmt.Errorf("%w\n\nWhether IAM made the %s is unknown: reading it by name failed too (%v). If %s %s exists, the next apply reports it exists already; "+
		"import it, or delete it if nobody uses it", wrap(err, "creating "+noun+" "+name), e.kind(), ferr, noun, name)
}

// findUser reads a user by name with its tags.
func (c *Client) findUser(ctx context.Context, name string) (found, error) {
	out, err := c.iam.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(name)})
	if err != nil {
		return found{}, wrap(err, "reading IAM user "+name)
	}
	tags := out.User.Tags
	if len(tags) == 0 {
		if tags, err = c.user(name).listTags(ctx); err != nil {
			return found{}, err
		}
	}
	return found{d: userIdentity(*out.User), tags: tags}, nil
}

// findRole reads a role by name with its tags.
func (c *Client) findRole(ctx context.Context, name string) (found, error) {
	out, err := c.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	if err != nil {
		return found{}, wrap(err, "reading IAM role "+name)
	}
	tags := out.Role.Tags
	if len(tags) == 0 {
		if tags, err = c.role(name).listTags(ctx); err != nil {
			return found{}, err
		}
	}
	return found{d: roleIdentity(*out.Role), tags: tags}, nil
}

// dropToken removes the create token once the entity is ours and granted.
// A failure is left for the next update's tag reconciliation: the token is
// no governance marker and nothing reads it after the create.
func (c *Client) dropToken(ctx context.Context, e entity, sent []types.Tag) {
	for _, t := range sent {
		if aws.ToString(t.Key) == c.Tags.CreateToken() {
			_ = c.untilVisible(ctx, func() error { return e.untag(ctx, []string{c.Tags.CreateToken()}) })
			return
		}
	}
}
