package aws

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	awsc "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/aws"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// A key moved to a user that does not exist yet is warned about: the
// warning names the key and Secret a typo would delete, and the way out.
func TestUserMissingForReplacementWarning(t *testing.T) {
	state := &accessKeyModel{ID: types.StringValue("AKIAEXAMPLE"),
		KubernetesSecret: types.ObjectValueMust(secretAttrTypes, map[string]attr.Value{"namespace": types.StringValue("ci"), "name": types.StringValue("aws-creds")})}
	var diags diag.Diagnostics
	userMissingForReplacement("ci-deployr", state, &diags)
	if diags.HasError() || diags.WarningsCount() != 1 {
		t.Fatalf("want one warning, got %v", diags)
	}
	d := diags.Warnings()[0].Detail()
	for _, want := range []string{`"ci-deployr" does not exist yet`, "nhi_aws_iam_user creates it in this apply", "deletes access key AKIAEXAMPLE", "ci/aws-creds", "then fails", "Check the name", "create_before_destroy"} {
		if !strings.Contains(d, want) {
			t.Errorf("warning lacks %q: %s", want, d)
		}
	}
}

// Create waits out IAM's eventual consistency for a user made in the same
// apply, but not for ever, and not past the context.
func TestGetVisibleUserRetriesNotFound(t *testing.T) {
	old := visibleWait
	visibleWait = time.Millisecond
	t.Cleanup(func() { visibleWait = old })
	notFound := fmt.Errorf("reading IAM user x: %w", nhi.ErrNotFound)
	calls := 0
	get := func(failures int) func(context.Context, string) (awsc.Details, error) {
		calls = 0
		return func(context.Context, string) (awsc.Details, error) {
			calls++
			if calls <= failures {
				return awsc.Details{}, notFound
			}
			return awsc.Details{Identity: nhi.Identity{Declared: true}}, nil
		}
	}
	if u, err := getVisibleUser(context.Background(), get(3), "x"); err != nil || !u.Declared || calls != 4 {
		t.Fatalf("visible after 3 misses: got %v, %v after %d calls", u, err, calls)
	}
	if _, err := getVisibleUser(context.Background(), get(100), "x"); !awsc.IsNotFound(err) || calls != 5 {
		t.Fatalf("never visible: got %v after %d calls, want not-found after 5", err, calls)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := getVisibleUser(ctx, get(100), "x"); !awsc.IsNotFound(err) || calls != 1 {
		t.Fatalf("cancelled: got %v after %d calls, want not-found after 1", err, calls)
	}
	other := fmt.Errorf("boom")
	calls = 0
	if _, err := getVisibleUser(context.Background(), func(context.Context, string) (awsc.Details, error) { calls++; return awsc.Details{}, other }, "x"); err != other || calls != 1 {
		t.Fatalf("other error: got %v after %d calls", err, calls)
	}
}
