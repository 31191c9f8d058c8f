package actions

import (
	"strings"
	"testing"

	awsc "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/aws"
	k8s "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/kubernetes"
	pg "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/postgresql"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

func TestParseID(t *testing.T) {
	kube, aws, postgres := k8s.Descriptor(), awsc.Descriptor(), pg.Descriptor()
	for _, tc := range []struct {
		name, id string
		ref      nhi.Ref
		kind     string
		err      string
	}{
		{name: "namespace/name", id: "team-a/ci", ref: nhi.Ref{Location: "team-a", Name: "ci"}, kind: k8s.KindServiceAccount},
		{name: "no namespace", id: "ci", err: `"ci" is not a valid kubernetes identity ID: expected "namespace/name"`},
		{name: "empty name", id: "team-a/", err: `expected "namespace/name"`},
		{name: "slash in a Kubernetes name", id: "a/b/c", err: `expected "namespace/name"`},
		{name: "IAM user", id: "user/alice", ref: awsc.UserRef("alice"), kind: awsc.KindIAMUser},
		{name: "IAM role", id: "role/deployer", ref: awsc.RoleRef("deployer"), kind: awsc.KindIAMRole},
		{name: "not an IAM kind", id: "group/admins", err: `"group/admins" is not a valid aws identity ID: expected "user/name" or "role/name"`},
		{name: "PostgreSQL role", id: "role/app", ref: pg.RoleRef("app"), kind: pg.KindRole},
		{name: "PostgreSQL role with a slash", id: "role/a/b", ref: pg.RoleRef("a/b"), kind: pg.KindRole},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := kube
			switch {
			case strings.HasPrefix(tc.name, "IAM") || strings.Contains(tc.name, "IAM"):
				d = aws
			case strings.HasPrefix(tc.name, "PostgreSQL"):
				d = postgres
			}
			ref, kind, err := parseID(d, tc.id)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("parseID(%q) = %v, %v; want error containing %q", tc.id, ref, err, tc.err)
				}
				return
			}
			if err != nil || ref != tc.ref || kind.Kind != tc.kind {
				t.Fatalf("parseID(%q) = %v, %q, %v; want %v, %q", tc.id, ref, kind.Kind, err, tc.ref, tc.kind)
			}
		})
	}
}
