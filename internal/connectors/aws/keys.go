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

// keyCreateAttempts bounds the CreateAccessKey requests of one create when
// answers leave unknown whether a key was made. Each repeat first deletes
// the keys such an answer may have made, so the bound is on time, not on
// keys.
const keyCreateAttempts = 3

// CreateAccessKey makes a new key for a user. It refuses a third key with
// what to do instead, before asking IAM. IAM shows a key's secret only in
// the create's answer, so a key whose answer was lost is useless and a
// blind repeat would leave it behind: throttled requests (refused, not
// carried out) are retried by the SDK; after a 5xx, a broken connection or
// a timeout, the user's keys are listed again and any key that was not
// there before is deleted (with a cleanup context, so a cancelled apply
// still does it), and only then is the create repeated, up to
// keyCreateAttempts in all. So the user never holds a key whose secret
// nobody has, and never more than IAM's two.
//
// Creates for one user are serialised within the process, and the keys
// this client made are remembered: another create's fresh key (made, not
// yet delivered, or delivered but missing from IAM's lagging listing) is
// never taken for a lost answer's key, so parallel keys of one user never
// delete each other. When IAM says the user is full after a lost answer
// but its listing shows nothing to delete, the create waits a little
// before trying again, and in the end wraps ErrTooManyKeys.
func (c *Client) CreateAccessKey(ctx context.Context, user string) (NewAccessKey, error) {
	unlock, err := c.lockUserKeys(ctx, user)
	if err != nil {
		return NewAccessKey{}, err
	}
	defer unlock()
	before, err := c.ListAccessKeys(ctx, user, false)
	if err != nil {
		return NewAccessKey{}, err
	}
	if len(before) >= MaxAccessKeys {
		ids := make([]string, 0, len(before))
		for _, k := range before {
			ids = append(ids, k.ID)
		}
		return NewAccessKey{}, fmt.Errorf("%w (%s): AWS allows two per user. Delete or let rotation replace one of them first; "+
			"with create_before_destroy, a rotation needs one free slot", ErrTooManyKeys, strings.Join(ids, ", "))
	}
	doing := "creating an access key for IAM user " + user
	var deleted []string
	for attempt := 1; ; attempt++ {
		var ran attempts
		out, err := c.iam.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(user)}, notBlindly, ran.observe)
		if err == nil {
			k := out.AccessKey
			made := NewAccessKey{ID: aws.ToString(k.AccessKeyId), Secret: aws.ToString(k.SecretAccessKey), CreatedAt: aws.ToTime(k.CreateDate).UTC()}
			// Held from now on, even by a later create whose "before"
			// listing lags behind and misses it.
			c.rememberKey(user, made.ID)
			if attempt > 1 {
				// A lost answer's key that the listing did not show yet
				// (eventual consistency) goes now; if this fails too, the
				// key made here is still good, so it is returned.
				_, _ = c.deleteUnheldKeys(ctx, user, before, made.ID)
			}
			return made, nil
		}
		werr := wrap(err, doing)
		full := errors.Is(werr, ErrLimitExceeded)
		// On a first attempt a full user is what it says. After an
		// attempt that may have run, it may be full of the lost answer's
		// key: delete that one and try again.
		if full && attempt == 1 {
			return NewAccessKey{}, fmt.Errorf("%w: %w", ErrTooManyKeys, werr)
		}
		if !ran.mayHaveRun(err) && !full {
			return NewAccessKey{}, werr
		}
		var now []string
		if cerr := cleanup.Do(ctx, func(cctx context.Context) (err error) {
			now, err = c.deleteUnheldKeys(cctx, user, before, "")
			return err
		}); cerr != nil {
			return NewAccessKey{}, fmt.Errorf("%w\n\nIAM may have made a key whose secret was lost, and finding or deleting it failed too (%v): "+
				"list the access keys of IAM user %s and delete any that Terraform state does not hold", werr, cerr, user)
		}
		deleted = append(deleted, now...)
		// Full, yet no key to delete: the lost answer's key is not in
		// IAM's listing yet. Give the listing time before trying again.
		var slept error
		if full && len(now) == 0 && attempt < keyCreateAttempts {
			slept = c.sleep(ctx, time.Duration(attempt)*keyListingLag)
		}
		if ctx.Err() != nil || slept != nil || attempt == keyCreateAttempts {
			if full && len(now) == 0 {
				return NewAccessKey{}, fmt.Errorf("%w: %w (after %d attempts). IAM says the user is full, but its listing shows no key "+
					"that Terraform does not hold: a key whose secret was lost may not be visible yet. List the access keys of IAM user %s "+
					"and delete any that Terraform state does not hold, then apply again", ErrTooManyKeys, werr, attempt, user)
			}
			left := "no key was made"
			if len(deleted) > 0 {
				left = "the key(s) it made without handing over the secret (" + strings.Join(deleted, ", ") + ") were deleted again"
			}
			return NewAccessKey{}, fmt.Errorf("%w (after %d attempts; %s, nothing was left behind)", werr, attempt, left)
		}
	}
}

// keyListingLag is the first wait before a create is repeated when IAM
// says the user is full but its listing shows no key to delete; the n-th
// wait is n times as long.
const keyListingLag = 500 * time.Millisecond

// rememberKey records a key this client made and handed out for a user.
func (c *Client) rememberKey(user, id string) {
	c.madeMu.Lock()
	defer c.madeMu.Unlock()
	if c.madeKeys == nil {
		c.madeKeys = map[string]map[string]bool{}
	}
	if c.madeKeys[user] == nil {
		c.madeKeys[user] = map[string]bool{}
	}
	c.madeKeys[user][id] = true
}

// forgetKey drops a deleted key from the keys this client made.
func (c *Client) forgetKey(user, id string) {
	c.madeMu.Lock()
	defer c.madeMu.Unlock()
	delete(c.madeKeys[user], id)
	if len(c.madeKeys[user]) == 0 {
		delete(c.madeKeys, user)
	}
}

// madeKey reports whether this client made and handed out a user's key.
func (c *Client) madeKey(user, id string) bool {
	c.madeMu.Lock()
	defer c.madeMu.Unlock()
	return c.madeKeys[user][id]
}

// deleteUnheldKeys deletes the user's keys that are not in before, are
// not keep and were not made and handed out by this client (another
// create's key, which a lagging "before" listing may have missed): keys a
// create made whose secret never arrived. It returns their IDs.
func (c *Client) deleteUnheldKeys(ctx context.Context, user string, before []nhi.Credential, keep string) ([]string, error) {
	now, err := c.ListAccessKeys(ctx, user, false)
	if err != nil {
		return nil, err
	}
	had := map[string]bool{keep: true}
	for _, k := range before {
		had[k.ID] = true
	}
	var deleted []string
	for _, k := range now {
		if had[k.ID] || c.madeKey(user, k.ID) {
			continue
		}
		if err := c.DeleteAccessKey(ctx, user, k.ID); err != nil {
			return deleted, err
		}
		deleted = append(deleted, k.ID)
	}
	return deleted, nil
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
	c.forgetKey(user, id)
	return nil
}

// lockUserKeys serialises access key creates for one user in this process,
// giving up when ctx ends.
func (c *Client) lockUserKeys(ctx context.Context, user string) (func(), error) {
	v, _ := c.keyLocks.LoadOrStore(user, make(chan struct{}, 1))
	ch := v.(chan struct{})
	select {
	case ch <- struct{}{}:
		return func() { <-ch }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("creating an access key for IAM user %s: %w", user, ctx.Err())
	}
}
