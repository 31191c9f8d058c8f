package driftcmd_test

// The reporter through a faulty network: the drift command scans the seeded
// scenario namespace through the fault proxy (internal/testenv/faultproxy)
// in front of the project's real kube-apiserver. A scan through faults is
// either complete with exactly the findings of a clean scan, or says the
// source is incomplete (exit 3): never "complete" with identities missing.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
	k8s "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/kubernetes"
	"github.com/nhi-ops/terraform-provider-nhi/internal/driftcmd"
	"github.com/nhi-ops/terraform-provider-nhi/internal/testenv/faultproxy"
)

// scanFaults are the random faults of the scans: 429 (Retry-After 1),
// bodiless 503, resets before forwarding and answers lost after the server
// answered, 25% of the requests in all.
var scanFaults = faultproxy.Rates{TooManyRequests: 0.07, Unavailable: 0.07, Reset: 0.07, LostAnswer: 0.04}

// TestScenarioThroughFaults: three scans of the seeded namespace through 25%
// faults are complete, and their JSON reports are byte-identical to a scan
// straight to the API server, at no more than twice the requests of a scan
// through the proxy without faults.
func TestScenarioThroughFaults(t *testing.T) {
	s := seedScenario(t)
	p := acctest.KubeProxy(t, 7)

	// The scenario's configuration, with its source reading the kubeconfig
	// at kc: first a copy of the direct one, then the proxied one. The
	// configuration file stays the same, so the reports can be compared
	// byte for byte.
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	conf, err := os.ReadFile(s.config)
	if err != nil {
		t.Fatal(err)
	}
	direct := fmt.Sprintf("kubeconfig = %q", acctest.Kubeconfig(t))
	if !strings.Contains(string(conf), direct) {
		t.Fatalf("the scenario configuration has no %s", direct)
	}
	if err := os.WriteFile(s.config, []byte(strings.Replace(string(conf), direct, fmt.Sprintf("kubeconfig = %q", kc), 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(acctest.Kubeconfig(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(kc, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	scan := func(what string) string {
		t.Helper()
		start, before := time.Now(), p.Stats().Total
		r := run(t, "--config", s.config, "--state", s.state, "--format", "json", "--at", s.at.Format(time.RFC3339))
		if r.code != driftcmd.ExitFindings {
			t.Fatalf("%s: exit %d, want %d (findings, complete)\nstderr: %s", what, r.code, driftcmd.ExitFindings, r.stderr)
		}
		if rep := parseJSON(t, r.stdout); !rep.Complete || len(rep.Findings) != 14 {
			t.Fatalf("%s: complete %v with %d findings, want complete with the scenario's 14", what, rep.Complete, len(rep.Findings))
		}
		t.Logf("%s: %d requests through the proxy in %v", what, p.Stats().Total-before, time.Since(start).Round(time.Millisecond))
		return r.stdout
	}
	want := scan("straight to the API server")
	// The declared accounts carry create tokens; the report never shows them.
	tokens := 0
	sas, err := acctest.Clientset(t).CoreV1().ServiceAccounts(s.ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, sa := range sas.Items {
		if v := sa.Annotations[k8s.Markers{Prefix: k8s.DefaultPrefix}.CreateToken()]; v != "" {
			tokens++
			if strings.Contains(want, v) {
				t.Fatalf("the report holds the create token of %s", sa.Name)
			}
		}
	}
	if tokens == 0 || strings.Contains(want, "create-token") {
		t.Fatalf("%d declared accounts carry a create token, or the report names the marker", tokens)
	}
	if n := p.Stats().Total; n != 0 {
		t.Fatalf("the direct scan went through the proxy (%d requests)", n)
	}

	if err := p.WriteKubeconfig(acctest.Kubeconfig(t), kc); err != nil {
		t.Fatal(err)
	}
	if got := scan("through the proxy without faults"); got != want {
		t.Fatalf("the scan through the proxy differs from the direct one:\n%s\nwant:\n%s", got, want)
	}
	clean := p.Stats().Total

	if err := p.SetRates(scanFaults); err != nil {
		t.Fatal(err)
	}
	p.ResetStats()
	const runs = 3
	for i := 1; i <= runs; i++ {
		if got := scan(fmt.Sprintf("scan %d through %.0f%% faults", i, scanFaults.Total()*100)); got != want {
			t.Fatalf("scan %d through faults differs from the clean scan:\n%s\nwant:\n%s", i, got, want)
		}
	}
	st := p.Stats()
	t.Logf("%d scans through faults: %d requests (%.2f× per scan the %d of a fault-free scan); faults %v",
		runs, st.Total, float64(st.Total)/float64(runs*clean), clean, st.ByFault)
	if st.Total > 2*runs*clean {
		t.Errorf("%d scans through faults made %d requests, more than twice the %d of %d fault-free scans", runs, st.Total, runs*clean, runs)
	}
	for _, f := range faultproxy.Faults {
		if st.ByFault[f] == 0 {
			t.Errorf("no %s fault was injected, so the test proves nothing about it: %v", f, st.ByFault)
		}
	}
}

// TestScenarioSourceAlwaysFailing: a source whose API server always answers
// 503 makes the run exit 3 within bounded time, the other source complete
// and this one marked incomplete with an error naming the request, the
// status and the attempts.
func TestScenarioSourceAlwaysFailing(t *testing.T) {
	s := seedScenario(t)
	p := acctest.KubeProxy(t, 8)
	if err := p.SetRates(faultproxy.Rates{Unavailable: 1}); err != nil {
		t.Fatal(err)
	}
	kc := acctest.ProxiedKubeconfig(t, p)
	conf := filepath.Join(t.TempDir(), "nhi-drift.hcl")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(`
source "kubernetes" "good" {
  kubeconfig = %q
  namespaces = [%q]
}

source "kubernetes" "failing" {
  kubeconfig = %q
  namespaces = [%[2]q]
}
`, acctest.Kubeconfig(t), s.ns, kc)), 0o600); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	r := run(t, "--config", conf, "--format", "json", "--fail-on", "none", "--at", s.at.Format(time.RFC3339))
	took := time.Since(start)
	if r.code != driftcmd.ExitIncomplete {
		t.Fatalf("exit %d, want %d (incomplete)\nstderr: %s", r.code, driftcmd.ExitIncomplete, r.stderr)
	}
	rep := parseJSON(t, r.stdout)
	if rep.Complete || len(rep.Sources) != 2 || !rep.Sources[0].Complete || rep.Sources[1].Complete {
		t.Fatalf("want the report incomplete, source good complete and source failing not: %+v", rep.Sources)
	}
	if e := rep.Sources[1].Error; !strings.Contains(e, "503 Service Unavailable (empty body) after 6 attempts") || !strings.Contains(e, "GET /") {
		t.Fatalf("the failing source's error does not say what failed: %q", e)
	}
	if !strings.Contains(r.stderr, `Incomplete: source "failing"`) {
		t.Fatalf("stderr does not name the incomplete source:\n%s", r.stderr)
	}
	// One request's six attempts wait at most 0.2+0.4+0.8+1.6+3.2 s.
	if limit := 20 * time.Second; took > limit {
		t.Errorf("the run took %v, more than %v", took, limit)
	}
	t.Logf("failed source after %v, %d requests: %s", took.Round(time.Millisecond), p.Stats().Total, rep.Sources[1].Error)
}
