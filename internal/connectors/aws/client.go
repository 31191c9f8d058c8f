// Package aws is the AWS IAM connector: it reads and writes IAM users, their
// access keys and roles through aws-sdk-go-v2. It has no Terraform imports,
// so the provider and the drift reporter share it.
package aws

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Retry bounds. The SDK's standard retryer retries throttling (Throttling,
// ThrottlingException, RequestLimitExceeded...), 5xx answers and broken
// connections with jittered exponential backoff, and stops when ctx ends.
const (
	DefaultMaxAttempts = 8
	DefaultMaxBackoff  = 10 * time.Second
)

// Connection says how to reach IAM. Credentials come from the SDK's standard
// chain (environment, shared config and credentials files with Profile, SSO,
// web identity, container and instance roles); AssumeRoleARN then assumes a
// role with them.
type Connection struct {
	Region  string
	Profile string
	// Endpoint replaces the IAM and STS endpoints (tests, IAM-compatible
	// systems). AWS_ENDPOINT_URL_IAM and AWS_ENDPOINT_URL_STS work too.
	Endpoint string

	AssumeRoleARN         string
	AssumeRoleExternalID  string
	AssumeRoleSessionName string

	// MaxAttempts bounds every call's attempts (first try included).
	MaxAttempts int
}

// Client is the IAM connector.
type Client struct {
	endpoint string
	iam      *iam.Client
	Tags     Markers
	// sleep waits between eventual-consistency retries; tests shorten it.
	sleep func(context.Context, time.Duration) error
	// keyLocks holds one lock per user (chan struct{} of capacity 1) for
	// access key creates.
	keyLocks sync.Map
	// madeKeys holds, per user, the IDs of the access keys this client
	// made and handed out (guarded by madeMu): a later create's cleanup
	// keeps them even when IAM's lagging listing missed them in its
	// "before".
	madeMu   sync.Mutex
	madeKeys map[string]map[string]bool
}

// New builds a client. It does not call AWS: a bad credential shows on the
// first call, with the SDK's message.
func New(ctx context.Context, c Connection, prefix string) (*Client, error) {
	attempts := c.MaxAttempts
	if attempts <= 0 {
		attempts = DefaultMaxAttempts
	}
	opts := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = attempts
				o.MaxBackoff = DefaultMaxBackoff
			})
		}),
	}
	if c.Region != "" {
		opts = append(opts, config.WithRegion(c.Region))
	}
	if c.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(c.Profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("loading the AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		// IAM is global; the region only picks the STS endpoint and the
		// signing region.
		cfg.Region = "us-east-1"
	}
	stsClient := sts.NewFromConfig(cfg, func(o *sts.Options) {
		if c.Endpoint != "" {
			o.BaseEndpoint = aws.String(c.Endpoint)
		}
	})
	if c.AssumeRoleARN != "" {
		provider := stscreds.NewAssumeRoleProvider(stsClient, c.AssumeRoleARN, func(o *stscreds.AssumeRoleOptions) {
			if c.AssumeRoleExternalID != "" {
				o.ExternalID = aws.String(c.AssumeRoleExternalID)
			}
			o.RoleSessionName = c.AssumeRoleSessionName
			if o.RoleSessionName == "" {
				o.RoleSessionName = "terraform-provider-nhi"
			}
		})
		cfg.Credentials = aws.NewCredentialsCache(provider)
	}
	iamClient := iam.NewFromConfig(cfg, func(o *iam.Options) {
		if c.Endpoint != "" {
			o.BaseEndpoint = aws.String(c.Endpoint)
		}
	})
	return &Client{endpoint: c.Endpoint, iam: iamClient, Tags: Markers{Prefix: TagPrefix(prefix)}, sleep: sleepCtx}, nil
}

// Endpoint is the endpoint the connection named ("" for AWS's own).
func (c *Client) Endpoint() string { return c.endpoint }

// System implements nhi.Inventory.
func (c *Client) System() string { return "aws" }

// TagPrefix turns the provider's annotation prefix (a DNS subdomain such as
// "nhi.dev") into the IAM tag prefix: its first label ("nhi"), so tags read
// "nhi:owner".
func TagPrefix(annotationPrefix string) string {
	if annotationPrefix == "" {
		return "nhi"
	}
	first, _, _ := strings.Cut(annotationPrefix, ".")
	return first
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// untilVisible retries fn while IAM answers NoSuchEntity for an entity this
// process has just created (IAM is eventually consistent): 5 attempts over
// about 4 seconds, ending early when ctx does. Only idempotent calls go
// through it.
// GetVisibleUser reads a user that may have been created moments ago (by
// another resource of the same apply), waiting out IAM's eventual
// consistency as untilVisible does.
func (c *Client) GetVisibleUser(ctx context.Context, name string) (Details, error) {
	var d Details
	err := c.untilVisible(ctx, func() (err error) {
		d, err = c.GetUser(ctx, name)
		return err
	})
	return d, err
}

func (c *Client) untilVisible(ctx context.Context, fn func() error) error {
	delay := 250 * time.Millisecond
	var err error
	for i := 0; i < 5; i++ {
		if err = fn(); err == nil || !IsNotFound(err) || i == 4 {
			return err
		}
		if serr := c.sleep(ctx, delay); serr != nil {
			return errors.Join(err, serr)
		}
		delay *= 2
	}
	return err
}

// throttleOnly retries only answers that say the request was refused for
// rate (Throttling and the like), so it was not carried out. Calls that are
// not idempotent use it: after a 5xx or a lost answer, CreateAccessKey may
// have made a key, and a blind retry would make another (CreateAccessKey
// deletes such a key before it tries again). CreateUser and CreateRole do
// not need it: a name cannot be created twice, and their token tells whose
// an existing one is (create.go).
type throttleOnly struct{ aws.RetryerV2 }

func (r throttleOnly) IsErrorRetryable(err error) bool {
	_, ok := retry.DefaultThrottleErrorCodes[apiCode(err)]
	return ok
}

// notBlindly is the per-call option for calls that are not idempotent.
func notBlindly(o *iam.Options) {
	if v2, ok := o.Retryer.(aws.RetryerV2); ok {
		o.Retryer = throttleOnly{v2}
		return
	}
	o.Retryer = retry.AddWithMaxAttempts(o.Retryer, 1)
}
