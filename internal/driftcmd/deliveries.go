package driftcmd

import (
	"context"
	"fmt"
	"sort"

	"github.com/nhi-ops/terraform-provider-nhi/internal/drift"
)

// DeliveryScanner is implemented by a source's scanner when it can find
// credentials of other systems delivered into the source: objects this
// provider wrote that record which credential they hold (a Secret holding an
// access key records the key's ID). It returns, for each, where it is
// ("namespace/name") and the credential's ID, never the secret itself.
// Environment isolation (NHI015) matches the IDs to the identities, in any
// source, whose credentials they are.
type DeliveryScanner interface {
	ScanDeliveries(ctx context.Context, locations []string) (map[string]string, error)
}

// scanDeliveries asks a scanner that can for its deliveries, in a stable
// order; others have none.
func scanDeliveries(ctx context.Context, sc any, locations []string) ([]drift.Delivery, error) {
	ds, ok := sc.(DeliveryScanner)
	if !ok {
		return nil, nil
	}
	m, err := ds.ScanDeliveries(ctx, locations)
	if err != nil {
		return nil, fmt.Errorf("listing delivered credentials: %w", err)
	}
	out := make([]drift.Delivery, 0, len(m))
	for where, id := range m {
		out = append(out, drift.Delivery{Where: where, CredentialID: id})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Where < out[j].Where })
	return out, nil
}
