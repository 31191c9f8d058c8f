package faultproxy

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// upstream is an httptest server that counts and echoes what it gets.
type upstream struct {
	*httptest.Server
	hits atomic.Int64
}

func newUpstream(t *testing.T, tlsOn bool) *upstream {
	u := &upstream{}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.hits.Add(1)
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Method", r.Method)
		w.Header().Set("X-Path", r.URL.RequestURI())
		w.Header().Set("X-Authorization", r.Header.Get("Authorization"))
		w.Header().Set("X-Host", r.Host)
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write(body)
	})
	if tlsOn {
		u.Server = httptest.NewTLSServer(h)
	} else {
		u.Server = httptest.NewServer(h)
	}
	t.Cleanup(u.Close)
	return u
}

func (u *upstream) caPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: u.Certificate().Raw})
}

func start(t *testing.T, cfg Config) *Proxy {
	t.Helper()
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// client trusts the proxy's CA and opens one connection per request, so
// net/http's own retry of idempotent requests on reused connections does
// not add requests to the counts.
func client(p *Proxy) *http.Client {
	tr := &http.Transport{DisableKeepAlives: true}
	if ca := p.CAPEM(); ca != nil {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(ca)
		tr.TLSClientConfig = &tls.Config{RootCAs: pool}
	}
	return &http.Client{Transport: tr}
}

func do(t *testing.T, c *http.Client, method, url, body string) (*http.Response, string, error) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer secret-token")
	resp, err := c.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b), nil
}

func TestForwardsOverTLS(t *testing.T) {
	up := newUpstream(t, true)
	p := start(t, Config{Upstream: up.URL, UpstreamCA: up.caPEM()})
	if !strings.HasPrefix(p.URL(), "https://127.0.0.1:") {
		t.Fatalf("URL = %s", p.URL())
	}
	resp, body, err := do(t, client(p), "PUT", p.URL()+"/api/v1/x?labelSelector=a%3Db", "payload")
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusCreated || body != "payload" {
		t.Fatalf("status %d body %q", resp.StatusCode, body)
	}
	if got := resp.Header.Get("X-Path"); got != "/api/v1/x?labelSelector=a%3Db" {
		t.Errorf("upstream saw path %q", got)
	}
	if got := resp.Header.Get("X-Authorization"); got != "Bearer secret-token" {
		t.Errorf("upstream saw Authorization %q", got)
	}
	if got := resp.Header.Get("X-Host"); got != strings.TrimPrefix(p.URL(), "https://") {
		t.Errorf("upstream saw Host %q, want the proxy's (signed Host headers must survive)", got)
	}
	// The proxy's certificate is not the upstream's: a client trusting only
	// the upstream's CA is refused.
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(up.caPEM())
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	if _, _, err := do(t, c, "GET", p.URL()+"/", ""); err == nil {
		t.Error("a client that does not trust the proxy's CA got through")
	}
	// The refused handshake never becomes an HTTP request.
	if s := p.Stats(); s.Total != 1 || s.Forwarded != 1 || s.ByMethod["PUT"] != 1 || s.ByFault[None] != 1 {
		t.Errorf("stats = %+v", s)
	}
}

func TestPlainHTTP(t *testing.T) {
	up := newUpstream(t, false)
	p := start(t, Config{Upstream: up.URL})
	if !strings.HasPrefix(p.URL(), "http://127.0.0.1:") || p.CAPEM() != nil {
		t.Fatalf("URL = %s, CA %v", p.URL(), p.CAPEM() != nil)
	}
	resp, body, err := do(t, client(p), "POST", p.URL()+"/?Action=CreateUser", "x=1")
	if err != nil || resp.StatusCode != http.StatusCreated || body != "x=1" {
		t.Fatalf("resp %v body %q err %v", resp, body, err)
	}
}

func TestRefusesNonLoopbackUpstream(t *testing.T) {
	for _, u := range []string{"https://10.0.0.1:6443", "http://example.com", "https://8.8.8.8", "ftp://127.0.0.1"} {
		if _, err := New(Config{Upstream: u, UpstreamCA: []byte("x")}); err == nil {
			t.Errorf("New(%s) accepted a non-loopback or non-HTTP upstream", u)
		}
	}
	if err := loopbackOnly("tcp", "192.168.1.1:443", nil); err == nil {
		t.Error("the dialer accepted a non-loopback address")
	}
	if err := loopbackOnly("tcp", "127.0.0.1:443", nil); err != nil {
		t.Error(err)
	}
	if _, err := New(Config{Upstream: "https://127.0.0.1:1"}); err == nil {
		t.Error("an https upstream without a CA was accepted")
	}
	if _, err := New(Config{Upstream: "http://127.0.0.1:1", Rates: Rates{Reset: 0.7, Unavailable: 0.5}}); err == nil {
		t.Error("rates adding up to more than 1 were accepted")
	}
}

func TestFaults(t *testing.T) {
	up := newUpstream(t, true)
	p := start(t, Config{Upstream: up.URL, UpstreamCA: up.caPEM(), RetryAfter: 7})
	c := client(p)
	rule := func(f Fault) *Target {
		tg, err := p.AddRule(Rule{Fault: f, Times: 1})
		if err != nil {
			t.Fatal(err)
		}
		return tg
	}

	rule(TooManyRequests)
	resp, body, err := do(t, c, "GET", p.URL()+"/a", "")
	if err != nil || resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "7" || body == "" {
		t.Fatalf("429: resp %+v body %q err %v", resp, body, err)
	}

	rule(Unavailable)
	resp, body, err = do(t, c, "GET", p.URL()+"/b", "")
	if err != nil || resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "" || body != "" {
		t.Fatalf("503: resp %+v body %q err %v", resp, body, err)
	}

	before := up.hits.Load()
	rule(Reset)
	if _, _, err = do(t, c, "POST", p.URL()+"/c", "x"); !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("reset: err = %v, want a connection reset", err)
	}
	if up.hits.Load() != before {
		t.Fatal("a reset request reached the upstream")
	}

	rule(LostAnswer)
	if _, _, err = do(t, c, "POST", p.URL()+"/d", "x"); !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("lost answer: err = %v, want a connection reset", err)
	}
	if up.hits.Load() != before+1 {
		t.Fatal("a lost answer's request did not reach the upstream")
	}

	s := p.Stats()
	want := map[Fault]int{TooManyRequests: 1, Unavailable: 1, Reset: 1, LostAnswer: 1}
	for f, n := range want {
		if s.ByFault[f] != n {
			t.Errorf("ByFault[%s] = %d, want %d (%+v)", f, s.ByFault[f], n, s)
		}
	}
	if s.Total != 4 || s.Forwarded != 1 || s.ByMethod["GET"] != 2 || s.ByMethod["POST"] != 2 {
		t.Errorf("stats = %+v", s)
	}
	reqs := p.Requests()
	if reqs[3].Path != "/d" || reqs[3].Status != http.StatusCreated || reqs[2].Status != 0 || reqs[0].Status != 429 {
		t.Errorf("requests = %+v", reqs)
	}
	p.ResetStats()
	if p.Stats().Total != 0 {
		t.Error("ResetStats kept requests")
	}
}

func TestThrottleBody(t *testing.T) {
	up := newUpstream(t, false)
	const xml = `<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error></ErrorResponse>`
	p := start(t, Config{Upstream: up.URL, ThrottleBody: xml, ThrottleContentType: "text/xml", Rates: Rates{TooManyRequests: 1}})
	resp, body, err := do(t, client(p), "POST", p.URL()+"/", "Action=ListUsers")
	if err != nil || resp.StatusCode != 429 || body != xml || resp.Header.Get("Content-Type") != "text/xml" || resp.Header.Get("Retry-After") != "0" {
		t.Fatalf("resp %+v body %q err %v", resp, body, err)
	}
}

func TestRuleTargetsTheNthMatchingRequest(t *testing.T) {
	up := newUpstream(t, false)
	p := start(t, Config{Upstream: up.URL})
	tg, err := p.AddRule(Rule{Method: "POST", PathPrefix: "/api/v1/namespaces/flt/", Fault: LostAnswer, Skip: 2, Times: 1})
	if err != nil {
		t.Fatal(err)
	}
	c := client(p)
	var errs []bool
	for i := 0; i < 5; i++ {
		_, _, err := do(t, c, "GET", p.URL()+"/api/v1/namespaces/flt/serviceaccounts", "")
		if err != nil {
			t.Fatalf("a GET the rule does not match failed: %v", err)
		}
		_, _, err = do(t, c, "POST", p.URL()+"/api/v1/namespaces/flt/serviceaccounts", "{}")
		errs = append(errs, err != nil)
	}
	if want := []bool{false, false, true, false, false}; strings.Join(strs(errs), ",") != strings.Join(strs(want), ",") {
		t.Fatalf("failed POSTs = %v, want only the third", errs)
	}
	if tg.Seen() != 5 || tg.Applied() != 1 {
		t.Fatalf("seen %d applied %d", tg.Seen(), tg.Applied())
	}
	if n := p.Count("POST", "/api/v1/namespaces/flt/serviceaccounts"); n != 5 {
		t.Fatalf("Count = %d", n)
	}
	if up.hits.Load() != 10 {
		t.Fatalf("upstream hits = %d, want all 10 (a lost answer is forwarded)", up.hits.Load())
	}

	// An always-failing rule, removed again.
	always, _ := p.AddRule(Rule{Path: "/always", Fault: Unavailable})
	for i := 0; i < 3; i++ {
		if resp, _, _ := do(t, c, "GET", p.URL()+"/always", ""); resp == nil || resp.StatusCode != 503 {
			t.Fatalf("always-503 rule: %+v", resp)
		}
	}
	always.Remove()
	if resp, _, _ := do(t, c, "GET", p.URL()+"/always", ""); resp == nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("after Remove: %+v", resp)
	}
}

func strs(b []bool) []string {
	out := make([]string, len(b))
	for i, v := range b {
		out[i] = map[bool]string{true: "fail", false: "ok"}[v]
	}
	return out
}

// TestRatesAreSeededAndRoughlyRight: the same seed gives the same faults,
// another seed others, and the shares are near the rates.
func TestRatesAreSeededAndRoughlyRight(t *testing.T) {
	up := newUpstream(t, false)
	rates := Rates{TooManyRequests: 0.1, Unavailable: 0.1, Reset: 0.05, LostAnswer: 0.05}
	run := func(seed uint64) []Fault {
		p := start(t, Config{Upstream: up.URL, Rates: rates, Seed: seed})
		c := client(p)
		for i := 0; i < 400; i++ {
			_, _, _ = do(t, c, "GET", p.URL()+"/x", "")
		}
		var out []Fault
		for _, r := range p.Requests() {
			out = append(out, r.Fault)
		}
		return out
	}
	a, b, other := run(42), run(42), run(7)
	if len(a) != 400 || len(b) != 400 {
		t.Fatalf("saw %d and %d requests, want 400", len(a), len(b))
	}
	same, differ := true, false
	n := map[Fault]int{}
	for i := range a {
		same = same && a[i] == b[i]
		differ = differ || a[i] != other[i]
		n[a[i]]++
	}
	if !same || !differ {
		t.Fatalf("same seed same faults: %v; other seed other faults: %v", same, differ)
	}
	if f := n[TooManyRequests] + n[Unavailable] + n[Reset] + n[LostAnswer]; f < 80 || f > 160 {
		t.Fatalf("%d of 400 requests got a fault at a 30%% rate: %v", f, n)
	}
	for _, f := range Faults {
		if n[f] == 0 {
			t.Errorf("no %s among 400 requests: %v", f, n)
		}
	}
}

func TestKubernetesHelpers(t *testing.T) {
	up := newUpstream(t, true)
	dir := t.TempDir()
	caFile := filepath.Join(dir, "ca.crt")
	if err := os.WriteFile(caFile, up.caPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := ForKubernetes(&rest.Config{Host: up.URL, TLSClientConfig: rest.TLSClientConfig{CAFile: caFile}})
	if err != nil {
		t.Fatal(err)
	}
	p := start(t, cfg)
	rc := p.RESTConfig(&rest.Config{Host: up.URL, BearerToken: "tok", TLSClientConfig: rest.TLSClientConfig{CAFile: caFile}})
	if rc.Host != p.URL() || rc.CAFile != "" || string(rc.CAData) != string(p.CAPEM()) || rc.BearerToken != "tok" {
		t.Fatalf("RESTConfig = %+v", rc)
	}

	src, dst := filepath.Join(dir, "kubeconfig"), filepath.Join(dir, "through-proxy")
	kc := clientcmdapi.NewConfig()
	kc.Clusters["c"] = &clientcmdapi.Cluster{Server: up.URL, CertificateAuthority: caFile}
	kc.AuthInfos["u"] = &clientcmdapi.AuthInfo{Token: "tok"}
	kc.Contexts["x"] = &clientcmdapi.Context{Cluster: "c", AuthInfo: "u"}
	kc.CurrentContext = "x"
	if err := clientcmd.WriteToFile(*kc, src); err != nil {
		t.Fatal(err)
	}
	if err := p.WriteKubeconfig(src, dst); err != nil {
		t.Fatal(err)
	}
	got, err := clientcmd.BuildConfigFromFlags("", dst)
	if err != nil {
		t.Fatal(err)
	}
	if got.Host != p.URL() || got.BearerToken != "tok" {
		t.Fatalf("kubeconfig through the proxy: host %s", got.Host)
	}
	if fi, _ := os.Stat(dst); fi.Mode().Perm() != 0o600 {
		t.Errorf("kubeconfig mode %v, want 0600 (it holds a token)", fi.Mode().Perm())
	}
}
