package kubernetes

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ScanDeliveries lists the credential Secrets this provider delivered into
// the given namespaces (all when empty): for each, "namespace/name" and the
// ID of the credential it holds (an access key ID), read from its
// credential-id annotation, never its data. The drift reporter matches the
// IDs to the identities whose credentials they are (environment isolation,
// NHI015; driftcmd.DeliveryScanner). Paginated; an error fails the scan.
func (c *Client) ScanDeliveries(ctx context.Context, namespaces []string) (map[string]string, error) {
	scopes := namespaces
	if len(scopes) == 0 {
		scopes = []string{""}
	}
	out := map[string]string{}
	for _, ns := range scopes {
		lo := metav1.ListOptions{Limit: listPageSize, LabelSelector: ManagedByLabel + "=" + ManagedByValue, FieldSelector: "type=" + string(corev1.SecretTypeOpaque)}
		for {
			l, err := c.cs.CoreV1().Secrets(ns).List(ctx, lo)
			if err != nil {
				return nil, wrap(err, "listing delivered credential Secrets")
			}
			for _, s := range l.Items {
				if id := s.Annotations[c.markers.CredentialID()]; id != "" {
					out[s.Namespace+"/"+s.Name] = id
				}
			}
			if l.Continue == "" {
				break
			}
			lo.Continue = l.Continue
		}
	}
	return out, nil
}
