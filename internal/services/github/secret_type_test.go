package github_test

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
)

// The delivery Secret is a kubernetes.io/ssh-auth Secret (delivered checks
// its type). One this provider wrote Opaque for an earlier key of the
// repository (as versions before the type did) is deleted and created
// again with the type, since Kubernetes never changes a Secret's type.
func TestAccDeployKey_secretTypeSSHAuth(t *testing.T) {
	ns := acctest.Namespace(t)
	s := fake(t)
	ctx := context.Background()
	old := deliveredCredential(ns, secretName, "acme/app/999") // a key since deleted
	if err := acctest.Client(t).PutDeliveredCredential(ctx, old); err != nil {
		t.Fatal(err)
	}
	if sec, err := acctest.Clientset(t).CoreV1().Secrets(ns).Get(ctx, secretName, metav1.GetOptions{}); err != nil || sec.Type != corev1.SecretTypeOpaque {
		t.Fatalf("the arranged Secret: %v, type %v", err, sec.Type)
	}
	cfg := keyConfig(t, s, "", ns, "")
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		CheckDestroy:             checkGone(t, s, ns),
		Steps: []resource.TestStep{
			{Config: cfg, Check: delivered(t, s, ns, true, nil)},
			{Config: cfg, PlanOnly: true},
		},
	})
}
