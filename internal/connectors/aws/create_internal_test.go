package aws

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

func answered(status int, err error) error {
	return &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}}, Err: err}}
}

// Which failed attempts may have been carried out by IAM: only a 4xx with
// an error code is a refusal.
func TestMayHaveRun(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"reset", answered(0, &smithyhttp.RequestSendError{Err: errors.New("read: connection reset by peer")}), true},
		{"cancelled while sent", answered(0, &smithy.CanceledError{Err: context.Canceled}), true},
		{"503", answered(503, &smithy.GenericAPIError{Code: "UnknownError"}), true},
		{"500 ServiceFailure", answered(500, &smithy.GenericAPIError{Code: "ServiceFailure"}), true},
		{"200 cut short", answered(200, &smithy.DeserializationError{Err: errors.New("unexpected EOF")}), true},
		{"throttled", answered(400, &smithy.GenericAPIError{Code: "Throttling"}), false},
		{"already exists", answered(409, &smithy.GenericAPIError{Code: "EntityAlreadyExists"}), false},
		{"access denied", answered(403, &smithy.GenericAPIError{Code: "AccessDenied"}), false},
		{"not sent (signing, credentials)", errors.New("failed to sign request"), false},
		{"cancelled before sending", context.Canceled, false},
	} {
		if got := mayHaveRun(fmt.Errorf("operation error IAM: CreateUser, %w", tc.err)); got != tc.want {
			t.Errorf("%s: mayHaveRun = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// The token goes with every create unless IAM's tag limit leaves no room.
func TestCreateTagsCarryTheTokenWhenThereIsRoom(t *testing.T) {
	c := &Client{Tags: Markers{Prefix: "nhi"}}
	want := map[string]string{"nhi:owner": "team:x"}
	if !c.hasToken(c.createTags(want, "t1"), "t1") {
		t.Fatal("the token is missing")
	}
	if c.hasToken(c.createTags(want, "t1"), "t2") {
		t.Fatal("another create's token matched")
	}
	full := map[string]string{}
	for i := 0; i < MaxTags; i++ {
		full[fmt.Sprintf("k%d", i)] = "v"
	}
	if tags := c.createTags(full, "t1"); len(tags) != MaxTags || c.hasToken(tags, "t1") {
		t.Fatalf("%d tags with the token at IAM's limit of %d", len(tags), MaxTags)
	}
}
