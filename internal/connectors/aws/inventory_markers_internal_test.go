package aws

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// A listing whose Marker comes back fails, naming the marker, instead of
// looping for ever; distinct markers are all followed.
func TestFollowMarkersRepeatedMarker(t *testing.T) {
	for _, tc := range []struct {
		name    string
		markers []string // the marker each page answers; "" ends the listing
		want    int      // identities read
		repeat  string   // the marker the error must name, "" for no error
	}{
		{"distinct", []string{"m1", "m2", ""}, 3, ""},
		{"same marker again", []string{"m1", "m1", "m1", "m1", "m1"}, 2, "m1"},
		{"earlier marker again", []string{"m1", "m2", "m1", "m2", "m1"}, 3, "m1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			ids, err := followMarkers(context.Background(), LocationUser, func(_ context.Context, marker *string) ([]Details, *string, error) {
				if calls >= len(tc.markers) {
					return nil, nil, errors.New("the listing was followed past the repeated marker")
				}
				next := tc.markers[calls]
				calls++
				ds := []Details{{Identity: nhi.Identity{Ref: nhi.Ref{Name: "u" + next}}}}
				if next == "" {
					return ds, nil, nil
				}
				return ds, aws.String(next), nil
			})
			if tc.repeat == "" {
				if err != nil || len(ids) != tc.want {
					t.Fatalf("followMarkers = %d identities, %v; want %d, no error", len(ids), err, tc.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), `marker "`+tc.repeat+`" again`) || !strings.Contains(err.Error(), "IAM users") {
				t.Fatalf("followMarkers = %d identities, %v; want an error naming the repeated marker %q", len(ids), err, tc.repeat)
			}
			if len(ids) != tc.want {
				t.Fatalf("followMarkers read %d identities before failing, want %d", len(ids), tc.want)
			}
		})
	}
}
