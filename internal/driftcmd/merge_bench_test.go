//go:build benchshards

package driftcmd

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	awsc "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/aws"
	k8s "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/kubernetes"
	"github.com/nhi-ops/terraform-provider-nhi/internal/drift"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/report"
)

// TestWriteMergeBenchShards (build tag benchshards, so make test never
// skips it) writes the synthetic shard reports of make
// bench-merge (scripts/bench-merge.sh) when NHI_BENCH_MERGE_DIR is set:
// NHI_BENCH_MERGE_SHARDS reports (default 100) of NHI_BENCH_MERGE_IDENTITIES
// identities each (default 10,000), as drift writes them (drift.Evaluate,
// report.JSON). Shard i scans cluster-i (environment prod for even i,
// staging for odd i): service accounts, one in ten undeclared (NHI001),
// one in ten with a token Secret; and account-i/2, which shards 2k and 2k+1
// share: the same 1% of identities, IAM users with the same unique IDs,
// seen by a prod and a staging job (each NHI015 once the shards are merged).
func TestWriteMergeBenchShards(t *testing.T) {
	dir := os.Getenv("NHI_BENCH_MERGE_DIR")
	if dir == "" {
		t.Skip("NHI_BENCH_MERGE_DIR is not set (make bench-merge sets it)")
	}
	shards := envInt(t, "NHI_BENCH_MERGE_SHARDS", 100)
	per := envInt(t, "NHI_BENCH_MERGE_IDENTITIES", 10000)
	shared := per / 100
	now := time.Date(2027, 1, 15, 0, 0, 0, 0, time.UTC)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < shards; i++ {
		env := "prod"
		if i%2 == 1 {
			env = "staging"
		}
		cluster := drift.Source{Name: fmt.Sprintf("cluster-%03d", i), System: k8s.SystemName, Environment: env}
		for j := 0; j < per-shared; j++ {
			ns := fmt.Sprintf("team-%02d", j%50)
			id := nhi.Identity{System: k8s.SystemName, Kind: k8s.KindServiceAccount, ID: fmt.Sprintf("%08x-0000-4000-8000-%012x", i, j),
				Ref: nhi.Ref{Location: ns, Name: fmt.Sprintf("app-%05d", j)}, CreatedAt: now.Add(-24 * time.Hour),
				UsageKnown: true, UsedBy: []string{"Deployment " + ns + "/app"}, EffectiveScopes: []string{"clusterrole:view@" + ns}}
			if j%10 != 0 {
				id.Declared = true
				id.Governance = nhi.Governance{Owner: "team:platform", Purpose: "bench", Scopes: id.EffectiveScopes, ExpiresAt: now.Add(200 * 24 * time.Hour)}
			}
			if j%10 == 5 {
				id.Credentials = []nhi.Credential{{ID: ns + "/app-token", UID: fmt.Sprintf("tok-%d-%d", i, j), Kind: k8s.CredentialLegacyToken, Declared: true, NeverExpires: true, CreatedAt: now.Add(-time.Hour)}}
			}
			cluster.Identities = append(cluster.Identities, id)
		}
		account := drift.Source{Name: fmt.Sprintf("account-%03d-%s", i/2, env), System: awsc.SystemName, Environment: env}
		for j := 0; j < shared; j++ {
			account.Identities = append(account.Identities, nhi.Identity{System: awsc.SystemName, Kind: awsc.KindIAMUser,
				ID: fmt.Sprintf("AIDA%08d%08d", i/2, j), Ref: nhi.Ref{Location: "user", Name: fmt.Sprintf("svc-%04d", j)}, Declared: true,
				Governance: nhi.Governance{Owner: "team:platform", Purpose: "bench", ExpiresAt: now.Add(200 * 24 * time.Hour)}, CreatedAt: now.Add(-time.Hour)})
		}
		rep := drift.Evaluate(drift.Input{Systems: testSystems, Now: now, Policy: drift.DefaultPolicy(testSystems), Sources: []drift.Source{cluster, account}})
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("shard-%03d.json", i)))
		if err != nil {
			t.Fatal(err)
		}
		w := bufio.NewWriterSize(f, 1<<20)
		if err := report.JSON(w, rep); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func envInt(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q is not a positive number", name, v)
	}
	return n
}
