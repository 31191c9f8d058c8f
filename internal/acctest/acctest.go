// Package acctest holds what acceptance tests share: provider factories,
// the pre-check that finds the project's real test cluster, and helpers to
// arrange and inspect objects in it.
package acctest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	k8s "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/kubernetes"
	"github.com/nhi-ops/terraform-provider-nhi/internal/provider"
)

// EnvKubeconfig names the admin kubeconfig of the test cluster. make test
// and make testacc set it after starting the cluster.
const EnvKubeconfig = "NHI_TEST_KUBECONFIG"

// ProviderFactories serve the provider in-process to the Terraform CLI.
// Each call builds a fresh provider, so parallel tests share nothing.
var ProviderFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"nhi": func() (tfprotov6.ProviderServer, error) {
		return providerserver.NewProtocol6WithError(provider.New("test")())()
	},
}

// Kubeconfig returns the test cluster's kubeconfig path, failing the test
// (never skipping it) when there is none.
func Kubeconfig(t testing.TB) string {
	t.Helper()
	p := os.Getenv(EnvKubeconfig)
	if p == "" {
		t.Fatalf("%s is not set: acceptance tests need the project's test cluster. Run `make test`, or `make cluster-up` and then `make testacc`.", EnvKubeconfig)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%s=%q cannot be read (%v); start the cluster with `make cluster-up`.", EnvKubeconfig, p, err)
	}
	return p
}

// PreCheck is the acceptance tests' PreCheck.
func PreCheck(t *testing.T) { Kubeconfig(t) }

// Client returns a connector to the test cluster with the default prefix.
func Client(t testing.TB) *k8s.Client {
	t.Helper()
	cfg, err := k8s.Connection{ConfigPath: Kubeconfig(t)}.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	c, err := k8s.New(cfg, k8s.DefaultPrefix)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Clientset returns a raw clientset to the test cluster.
func Clientset(t testing.TB) kubernetes.Interface { return Client(t).Clientset() }

// ProviderBlock renders a provider block for the test cluster; extra is
// added inside it (policy blocks, evaluation_time).
func ProviderBlock(t testing.TB, extra string) string {
	return fmt.Sprintf(`
provider "nhi" {
  kubernetes {
    config_path = %q
  }
%s
}
`, Kubeconfig(t), extra)
}

// RandName returns prefix followed by a random suffix, valid as a
// Kubernetes name.
func RandName(prefix string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}

// Namespace creates a fresh namespace, deleted when the test ends.
func Namespace(t testing.TB) string {
	t.Helper()
	cs := Clientset(t)
	name := RandName("acc")
	ctx := context.Background()
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating namespace %s: %v", name, err)
	}
	t.Cleanup(func() {
		_ = cs.CoreV1().Namespaces().Delete(context.Background(), name, metav1.DeleteOptions{})
	})
	return name
}

// Date renders the UTC date d from now as YYYY-MM-DD.
func Date(d time.Duration) string { return time.Now().UTC().Add(d).Format("2006-01-02") }

// Days is a number of days as a duration.
func Days(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }
