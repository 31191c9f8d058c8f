package aws_test

// Rollbacks and read-back failures after a create, against versitygw behind
// the project's IAM fake (internal/testenv/iamfake), which can cancel the
// caller's context when an action arrives and fail chosen actions.

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
	awsc "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/aws"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// A create cancelled half-way (the apply interrupted while the policies are
// attached) still deletes the user again.
func TestIntegrationCreateRollbackSurvivesCancellation(t *testing.T) {
	c, fake := acctest.OwnFakeIAM(t, 0)
	name := acctest.RandName("svc")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fake.OnAction("AttachUserPolicy", cancel)
	_, err := c.CreateUser(ctx, spec(name, "policy:"+readOnly, "inline:artifacts"))
	if err == nil {
		_ = c.DeleteUser(context.Background(), name)
		t.Fatal("a create whose context was cancelled succeeded")
	}
	if _, gerr := c.GetUser(context.Background(), name); !awsc.IsNotFound(gerr) {
		_ = c.DeleteUser(context.Background(), name)
		t.Fatalf("the cancelled create left user %s behind: %v (create error: %v)", name, gerr, err)
	}
	if !strings.Contains(err.Error(), "deleted again") {
		t.Fatalf("the error does not say the user was removed: %v", err)
	}
}

// The same for a role.
func TestIntegrationRoleCreateRollbackSurvivesCancellation(t *testing.T) {
	c, fake := acctest.OwnFakeIAM(t, 0)
	name := acctest.RandName("ci")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fake.OnAction("AttachRolePolicy", cancel)
	// An inline policy too, so a grant follows the cancelled attach (as for
	// the user): with the attach as the last grant, an attach the server
	// completed before the cancellation was seen left only the read-back to
	// fail, which keeps the role by design (ErrNotReadBack), and the test
	// raced.
	s := roleSpec(name)
	s.Governance.Scopes = append(s.Governance.Scopes, "inline:artifacts")
	s.InlinePolicies = map[string]string{"artifacts": s3Doc}
	_, err := c.CreateRole(ctx, s)
	if err == nil {
		_ = c.DeleteRole(context.Background(), name)
		t.Fatal("a create whose context was cancelled succeeded")
	}
	if _, gerr := c.GetRole(context.Background(), name); !awsc.IsNotFound(gerr) {
		_ = c.DeleteRole(context.Background(), name)
		t.Fatalf("the cancelled create left role %s behind: %v (create error: %v)", name, gerr, err)
	}
}

func roleSpec(name string) awsc.RoleSpec {
	return awsc.RoleSpec{Spec: nhi.Spec{Ref: awsc.RoleRef(name), Governance: nhi.Governance{
		Owner: "team:ci", Purpose: "Deploys", Scopes: []string{"policy:" + readOnly},
		ExpiresAt: spec(name).Governance.ExpiresAt, OnExpiry: nhi.OnExpiryDisable,
	}}, TrustPolicy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"sts:AssumeRole"}]}`}
}

// Created and granted, but the read-back fails: what was made comes back
// with ErrNotReadBack, so the caller can record it instead of orphaning it.
func TestIntegrationCreateReadBackFails(t *testing.T) {
	c, fake := acctest.OwnFakeIAM(t, 0)
	ctx := context.Background()

	user := acctest.RandName("svc")
	fake.FailAction("GetUser", 404, 404, 404, 404, 404)
	d, err := c.CreateUser(ctx, spec(user, "policy:"+readOnly, "inline:artifacts"))
	t.Cleanup(func() { _ = c.DeleteUser(context.Background(), user) })
	if !errors.Is(err, awsc.ErrNotReadBack) {
		t.Fatalf("err = %v, want ErrNotReadBack", err)
	}
	real, gerr := c.GetUser(ctx, user)
	if gerr != nil {
		t.Fatalf("the user should exist: %v", gerr)
	}
	if d.Ref != awsc.UserRef(user) || d.ARN != real.ARN || d.ID != real.ID || !d.Declared || d.Governance.Owner != "team:platform" ||
		strings.Join(d.EffectiveScopes, ",") != strings.Join(real.EffectiveScopes, ",") {
		t.Fatalf("returned %+v (ARN %s), want what a read finds: %+v (ARN %s)", d.Identity, d.ARN, real.Identity, real.ARN)
	}

	role := acctest.RandName("ci")
	fake.FailAction("GetRole", 404, 404, 404, 404, 404)
	r, err := c.CreateRole(ctx, roleSpec(role))
	t.Cleanup(func() { _ = c.DeleteRole(context.Background(), role) })
	if !errors.Is(err, awsc.ErrNotReadBack) {
		t.Fatalf("role: err = %v, want ErrNotReadBack", err)
	}
	realRole, gerr := c.GetRole(ctx, role)
	if gerr != nil {
		t.Fatalf("the role should exist: %v", gerr)
	}
	if r.ARN != realRole.ARN || r.ID != realRole.ID || strings.Join(r.EffectiveScopes, ",") != "policy:"+readOnly {
		t.Fatalf("role: returned %+v (ARN %s), want %+v (ARN %s)", r.Identity, r.ARN, realRole.Identity, realRole.ARN)
	}
}

// An apply cancelled after CreateAccessKey, before the secret reached its
// Secret: the key, whose secret is now lost, is deleted all the same.
func TestIntegrationAccessKeyRollbackSurvivesCancellation(t *testing.T) {
	c, _ := acctest.OwnFakeIAM(t, 0)
	name := newUser(t, c, "inline:artifacts")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var made string
	_, err := c.CreateDeliveredAccessKey(ctx, name, func(ctx context.Context, k awsc.NewAccessKey) error {
		made = k.ID
		cancel()
		return ctx.Err()
	})
	if !errors.Is(err, awsc.ErrNotDelivered) || !strings.Contains(err.Error(), "deleted again") {
		t.Fatalf("err = %v, want ErrNotDelivered saying the key was deleted again", err)
	}
	keys, err := c.ListAccessKeys(context.Background(), name, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 0 {
		t.Fatalf("the undelivered key %s is left: %v", made, keys)
	}
	// Delivered: the key stays, and the caller gets no secret back.
	k, err := c.CreateDeliveredAccessKey(context.Background(), name, func(context.Context, awsc.NewAccessKey) error { return nil })
	if err != nil || k.ID == "" || k.Secret != "" {
		t.Fatalf("delivered key: %+v, %v; want an ID and no secret", k.ID, err)
	}
}

// A key deleted between the listing and the last-use read leaves out that
// key, not the whole user (which a scan would then report as missing).
func TestIntegrationKeyDeletedDuringScanLeavesOutOnlyTheKey(t *testing.T) {
	c, fake := acctest.OwnFakeIAM(t, 0)
	ctx := context.Background()
	name := newUser(t, c, "inline:artifacts")
	for i := 0; i < 2; i++ {
		if _, err := c.CreateAccessKey(ctx, name); err != nil {
			t.Fatal(err)
		}
	}
	fake.FailAction("GetAccessKeyLastUsed", 404)
	keys, err := c.ListAccessKeys(ctx, name, true)
	if err != nil || len(keys) != 1 || !keys[0].UsageKnown {
		t.Fatalf("keys = %+v, %v; want the one key still there, with its usage", keys, err)
	}
}
