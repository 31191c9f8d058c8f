package aws_test

import (
	"context"
	"testing"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
	awsc "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/aws"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// newUser creates a user with the given scopes (see spec) and deletes it
// when the test ends; it returns the user's name.
func newUser(t *testing.T, c *awsc.Client, scopes ...string) string {
	t.Helper()
	name := acctest.RandName("svc")
	if _, err := c.CreateUser(context.Background(), spec(name, scopes...)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.DeleteUser(context.Background(), name) })
	return name
}

// heldKeys lists the user's access keys, and their IDs as a set.
func heldKeys(t *testing.T, c *awsc.Client, user string) ([]nhi.Credential, map[string]bool) {
	t.Helper()
	keys, err := c.ListAccessKeys(context.Background(), user, false)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, k := range keys {
		ids[k.ID] = true
	}
	return keys, ids
}
