package github_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
)

// A key whose private key cannot be delivered is deleted again: here the
// Secret's namespace starts terminating right after GitHub registered the
// key (a proxy in front of the fake deletes it once the registration is
// answered), so the Secret cannot be written; the apply fails saying so,
// and the repository holds no key nobody has the private key of.
func TestAccDeployKey_undeliveredKeyIsDeleted(t *testing.T) {
	ns := acctest.Namespace(t)
	s := fake(t)
	target, err := url.Parse(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	var deleted atomic.Bool
	rp := httputil.NewSingleHostReverseProxy(target)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rp.ServeHTTP(w, r)
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/keys") && !deleted.Swap(true) {
			if err := acctest.Clientset(t).CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{}); err != nil {
				t.Errorf("deleting namespace %s: %v", ns, err)
			}
		}
	}))
	t.Cleanup(proxy.Close)
	cfg := replaceOnce(keyConfig(t, s, "", ns, ""), fmt.Sprintf("base_url     = %q", s.URL()), fmt.Sprintf("base_url     = %q", proxy.URL+"/"))
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      cfg,
				ExpectError: regexp.MustCompile(`(?s)Delivering the deploy key to its Secret failed.*The key was deleted from acme/app\s+again, since nobody holds its private key`),
			},
			{
				Config: providerConfig(t, s, ""),
				Check: func(*terraform.State) error {
					if !deleted.Load() {
						return fmt.Errorf("the key was never registered through the proxy")
					}
					if keys := s.DeployKeys(org, "app"); len(keys) != 0 {
						return fmt.Errorf("an undelivered key is left on GitHub: %+v", keys)
					}
					return nil
				},
			},
		},
	})
}
