package main

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"

	"github.com/nhi-ops/terraform-provider-nhi/internal/provider"
)

type payloadKey struct{}

// serveRequests sends n requests through srv, each with a context holding a
// payload, and returns how many payloads were collected once the requests
// returned: the framework's protocol server must not keep what a finished
// request's context refers to (BENCHMARKS.md, provider peak RSS).
func serveRequests(t *testing.T, srv tfprotov6.ProviderServer, n int) int {
	t.Helper()
	collected := make(chan struct{}, n)
	for i := 0; i < n; i++ {
		func() {
			payload := new([4096]byte)
			runtime.AddCleanup(payload, func(struct{}) { collected <- struct{}{} }, struct{}{})
			ctx, cancel := context.WithCancel(context.WithValue(context.Background(), payloadKey{}, payload))
			defer cancel() // as gRPC cancels a request's context when it returns
			if _, err := srv.GetMetadata(ctx, &tfprotov6.GetMetadataRequest{}); err != nil {
				t.Fatal(err)
			}
			if _, err := srv.ValidateResourceConfig(ctx, &tfprotov6.ValidateResourceConfigRequest{TypeName: "nhi_kubernetes_service_account"}); err != nil {
				t.Fatal(err)
			}
		}()
	}
	got := 0
	deadline := time.Now().Add(2 * time.Second)
	for got < n && time.Now().Before(deadline) {
		runtime.GC()
		for drained := false; !drained; {
			select {
			case <-collected:
				got++
			case <-time.After(20 * time.Millisecond):
				drained = true
			}
		}
	}
	runtime.KeepAlive(srv) // the server lives as long as the process
	return got
}

func TestServedRequestContextsAreNotRetained(t *testing.T) {
	const n = 20
	srv := releaseContexts(providerserver.NewProtocol6(provider.New("test")())())
	if _, ok := srv.(releasingServer); !ok {
		t.Fatalf("the framework's protocol server %T does not implement every RPC: releaseContexts left it unwrapped", srv)
	}
	if got := serveRequests(t, srv, n); got != n {
		t.Errorf("%d of %d finished requests' contexts were collected; the server keeps the others", got, n)
	}
}

// The framework's own server keeps them (proto6server.Server.contextCancels,
// terraform-plugin-framework v1.19.0). When this fails, an upgrade fixed it
// and releasingServer can go.
func TestFrameworkServerRetainsRequestContexts(t *testing.T) {
	const n = 20
	if got := serveRequests(t, providerserver.NewProtocol6(provider.New("test")())(), n); got != 0 {
		t.Errorf("%d of %d finished requests' contexts were collected without releasingServer: the framework no longer keeps them", got, n)
	}
}

func TestReleasableContext(t *testing.T) {
	parent, cancel := context.WithCancel(context.WithValue(context.Background(), payloadKey{}, "v"))
	defer cancel()
	r := newReleasable(parent)
	if r.Value(payloadKey{}) != "v" || r.Err() != nil || r.Done() != parent.Done() {
		t.Fatal("before release the context is the request's")
	}
	child, stop := context.WithCancel(r)
	defer stop()
	r.release()
	if r.Value(payloadKey{}) != nil || r.Err() == nil {
		t.Fatal("after release the context is an empty, cancelled one")
	}
	if child.Err() != nil {
		t.Fatal("release does not cancel contexts derived during the request")
	}
	cancel()
	select {
	case <-child.Done():
	case <-time.After(time.Second):
		t.Fatal("cancelling the request still cancels contexts derived during it")
	}
}
