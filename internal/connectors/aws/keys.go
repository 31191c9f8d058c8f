package aws

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/nhi-ops/terraform-provider-nhi/internal/cleanup"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// MaxAccessKeys is how many access keys IAM lets one user hold.
const MaxAccessKeys = 2

// NewAccessKey is a key just created. Secret is shown once by IAM; callers
// hand it on without logging or storing it.
type NewAccessKey struct {
	ID        string
	Secret    string
	CreatedAt time.Time
}

// ErrTooManyKeys is wrapped when a user already holds MaxAccessKeys keys.
var ErrTooManyKeys = errors.New("the user already has two access keys")

// ListAccessKeys lists a user's keys as credentials; withLastUsed also asks
// IAM when each was last used (one call per key).
func (c *Client) ListAccessKeys(ctx context.Context, user string, withLastUsed bool) ([]nhi.Credential, error) {
	var out []nhi.Credential
	p := iam.NewListAccessKeysPaginator(c.iam, &iam.ListAccessKeysInput{UserName: aws.String(user)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, wrap(err, "listing the access keys of IAM user "+user)
		}
		for _, k := range page.AccessKeyMetadata {
			cr := nhi.Credential{
				ID: aws.ToString(k.AccessKeyId), Kind: CredentialAccessKey,
				CreatedAt: aws.ToTime(k.CreateDate).UTC(), Inactive: k.Status == types.StatusTypeInactive,
			}
			if withLastUsed {
				last, err := c.AccessKeyLastUsed(ctx, cr.ID)
				if IsNotFound(err) {
					// Deleted since the listing: the user still exists,
					// so leave out only the key.
					continue
				}
				if err != nil {
					return nil, err
				}
				cr.UsageKnown, cr.LastUsedAt = true, last
			}
			out = append(out, cr)
		}
	}
	return out, nil
}

// AccessKeyLastUsed returns when a key was last used, nil when never.
func (c *Client) AccessKeyLastUsed(ctx context.Context, id string) (*time.Time, error) {
	out, err := c.iam.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(id)})
	if err != nil {
		return nil, wrap(err, "reading when access key "+id+" was last used")
	}
	if out.AccessKeyLastUsed == nil || out.AccessKeyLastUsed.LastUsedDate == nil || out.AccessKeyLastUsed.LastUsedDate.IsZero() {
		return nil, nil
	}
	t := out.AccessKeyLastUsed.LastUsedDate.UTC()
	return &t, nil
}

// GetAccessKey finds one key of a user, or an error wrapping nhi.ErrNotFound.
func (c *Client) GetAccessKey(ctx context.Context, user, id string) (nhi.Credential, error) {
	keys, err := c.ListAccessKeys(ctx, user, false)
	if err != nil {
		return nhi.Credential{}, err
	}
	for _, k := range keys {
		if k.ID == id {
			return k, nil
		}
	}
	return nhi.Credential{}, fmt.Errorf("access key %s of IAM user %s: %w", id, user, nhi.ErrNotFound)
}

// CreateAccessKey makes a new key for a user. It refuses a third key with
// what to do instead, before asking IAM. Creating a key is not idempotent,
// so only a throttled request (refused, not carried out) is retried; after
// a 5xx or a lost answer the error goes to the caller, and the next plan
// shows any key that was made after all.
func (c *Client) CreateAccessKey(ctx context.Context, user string) (NewAccessKey, error) {
	keys, err := c.ListAccessKeys(ctx, user, false)
	if err != nil {
		return NewAccessKey{}, err
	}
	if len(keys) >= MaxAccessKeys {
		ids := make([]string, 0, len(keys))
		for _, k := range keys {
			ids = append(ids, k.ID)
		}
		return NewAccessKey{}, fmt.Errorf("%w (%s): AWS allows two per user. Delete or let rotation replace one of them first; "+
			"with create_before_destroy, a rotation needs one free slot", ErrTooManyKeys, strings.Join(ids, ", "))
	}
	out, err := c.iam.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(user)}, notBlindly)
	if err != nil {
		err = wrap(err, "creating an access key for IAM user "+user)
		if errors.Is(err, ErrLimitExceeded) {
			return NewAccessKey{}, fmt.Errorf("%w: %w", ErrTooManyKeys, err)
		}
		return NewAccessKey{}, err
	}
	k := out.AccessKey
	return NewAccessKey{ID: aws.ToString(k.AccessKeyId), Secret: aws.ToString(k.SecretAccessKey), CreatedAt: aws.ToTime(k.CreateDate).UTC()}, nil
}

// ErrNotDelivered is wrapped when a new key's secret could not be handed to
// its consumer: the key was deleted again (or, if that failed too, the
// error says which key to delete by hand).
var ErrNotDelivered = errors.New("the new access key could not be delivered")

// CreateDeliveredAccessKey makes a new key for a user and hands it to
// deliver at once, the only moment IAM shows its secret. When deliver fails
// (or ctx is cancelled in between) the secret is lost, so the key is
// deleted again with a cleanup context that outlives ctx. The key returned
// has no Secret.
func (c *Client) CreateDeliveredAccessKey(ctx context.Context, user string, deliver func(context.Context, NewAccessKey) error) (NewAccessKey, error) {
	key, err := c.CreateAccessKey(ctx, user)
	if err != nil {
		return NewAccessKey{}, err
	}
	err = deliver(ctx, key)
	key.Secret = ""
	if err == nil {
		return key, nil
	}
	if derr := cleanup.Do(ctx, func(cctx context.Context) error { return c.DeleteAccessKey(cctx, user, key.ID) }); derr != nil {
		return NewAccessKey{}, fmt.Errorf("%w: %w\n\nDeleting the undeliverable key %s failed too (%v); delete it by hand", ErrNotDelivered, err, key.ID, derr)
	}
	return NewAccessKey{}, fmt.Errorf("%w: %w\n\nThe key was deleted again; nothing was left behind", ErrNotDelivered, err)
}

// SetAccessKeyActive turns a key on or off.
func (c *Client) SetAccessKeyActive(ctx context.Context, user, id string, active bool) error {
	st := types.StatusTypeInactive
	if active {
		st = types.StatusTypeActive
	}
	_, err := c.iam.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String(user), AccessKeyId: aws.String(id), Status: st})
	return wrap(err, fmt.Sprintf("setting access key %s of IAM user %s %s", id, user, strings.ToLower(string(st))))
}

// DeleteAccessKey deletes a key; one already gone is not an error.
func (c *Client) DeleteAccessKey(ctx context.Context, user, id string) error {
	_, err := c.iam.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String(user), AccessKeyId: aws.String(id)})
	if err = wrap(err, fmt.Sprintf("deleting access key %s of IAM user %s", id, user)); err != nil && !IsNotFound(err) {
		return err
	}
	return nil
}
