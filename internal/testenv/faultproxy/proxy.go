// Package faultproxy is a fault-injecting reverse proxy for tests. It sits
// between a client (the provider, the reporter, a connector) and a real
// server on this machine (the test cluster's kube-apiserver over HTTPS, or
// versitygw / iamfake over plain HTTP) and, at configured rates or for
// requests picked by a rule, answers 429 with Retry-After, answers 503 with
// an empty body, resets the connection before forwarding, or forwards the
// request and then resets the connection instead of answering (a lost
// answer: the server did the work, the client never hears of it). It counts
// every request it sees.
//
// It only ever talks to loopback addresses: New refuses any other upstream
// and its dialer refuses any other address.
//
// For HTTPS upstreams it terminates TLS with a certificate from its own
// throwaway CA (CAPEM) and opens its own TLS connection to the upstream,
// trusting Config.UpstreamCA. Headers, Authorization included, are forwarded
// unchanged, so bearer-token authentication works through it; client
// certificates do not (they end at the proxy). The Host header is kept, so
// AWS Signature V4 signatures made for the proxy's address still verify.
//
// The proxy speaks HTTP/1.1 only to its clients: an HTTP/2 connection
// multiplexes many requests, so resetting it would fail all of them, and one
// fault would not be one fault.
package faultproxy

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Fault is what the proxy does to one request.
type Fault string

const (
	// None forwards the request and returns the upstream's answer.
	None Fault = "none"
	// TooManyRequests answers 429 with Retry-After (Config.RetryAfter
	// seconds) and a short text body, without forwarding.
	TooManyRequests Fault = "429"
	// Unavailable answers 503 without Retry-After and with an empty body,
	// without forwarding.
	Unavailable Fault = "503"
	// Reset resets the connection (TCP RST) without forwarding.
	Reset Fault = "reset"
	// LostAnswer forwards the request, waits for the upstream's answer
	// (so the work is done), then resets the connection instead of
	// answering.
	LostAnswer Fault = "lost-answer"
)

// Faults lists the faults that are not None.
var Faults = []Fault{TooManyRequests, Unavailable, Reset, LostAnswer}

// Rates are the probabilities (0..1) of each fault per request; their sum is
// the share of requests that get a fault and must not exceed 1.
type Rates struct {
	TooManyRequests float64
	Unavailable     float64
	Reset           float64
	LostAnswer      float64
}

// Total is the share of requests that get a fault.
func (r Rates) Total() float64 {
	return r.TooManyRequests + r.Unavailable + r.Reset + r.LostAnswer
}

func (r Rates) validate() error {
	for _, v := range []float64{r.TooManyRequests, r.Unavailable, r.Reset, r.LostAnswer} {
		if v < 0 || v > 1 {
			return fmt.Errorf("fault rates must be between 0 and 1, got %v", r)
		}
	}
	if r.Total() > 1 {
		return fmt.Errorf("fault rates add up to %.2f, more than 1", r.Total())
	}
	return nil
}

// pick maps a uniform draw u in [0,1) onto a fault.
func (r Rates) pick(u float64) Fault {
	for _, f := range []struct {
		rate  float64
		fault Fault
	}{{r.TooManyRequests, TooManyRequests}, {r.Unavailable, Unavailable}, {r.Reset, Reset}, {r.LostAnswer, LostAnswer}} {
		if u < f.rate {
			return f.fault
		}
		u -= f.rate
	}
	return None
}

// Config configures a proxy.
type Config struct {
	// Upstream is the server's base URL, such as "https://127.0.0.1:6443"
	// or "http://127.0.0.1:7070". Its host must be a loopback address or
	// "localhost". The proxy serves the same scheme.
	Upstream string
	// UpstreamCA is the PEM bundle that verifies an HTTPS upstream.
	UpstreamCA []byte
	// Rates of random faults; they can be changed later with SetRates.
	Rates Rates
	// RetryAfter is the Retry-After of injected 429s, in seconds.
	RetryAfter int
	// ThrottleBody and ThrottleContentType, when set, replace the text
	// body of injected 429s, for clients that recognise throttling by the
	// body (the AWS SDK wants an error code such as <Code>Throttling</Code>).
	ThrottleBody        string
	ThrottleContentType string
	// Seed makes the random faults repeatable: the same seed and the
	// same sequence of requests give the same faults. (Requests made in
	// parallel reach the proxy in an order of the scheduler's choosing.)
	Seed uint64
}

// Rule injects a fault into requests it matches, before (and instead of)
// the random faults. A matching request that the rule lets through (see
// Skip) still meets later rules and the random faults.
type Rule struct {
	// Method matches the HTTP method ("" for any).
	Method string
	// Path matches the URL path exactly; PathPrefix by prefix ("" for any).
	Path       string
	PathPrefix string
	// Match, when set, must also return true. It must not read the body.
	Match func(*http.Request) bool
	// Fault is injected into the matching requests chosen by Skip and Times.
	Fault Fault
	// Skip lets the first Skip matching requests through: Skip 2 targets
	// the third matching request.
	Skip int
	// Times is how many matching requests after the skipped ones get the
	// fault; 0 means every one.
	Times int
}

func (r *Rule) matches(req *http.Request) bool {
	switch {
	case r.Method != "" && !strings.EqualFold(r.Method, req.Method):
		return false
	case r.Path != "" && req.URL.Path != r.Path:
		return false
	case r.PathPrefix != "" && !strings.HasPrefix(req.URL.Path, r.PathPrefix):
		return false
	case r.Match != nil && !r.Match(req):
		return false
	}
	return true
}

// Target is a rule added to a running proxy.
type Target struct {
	p       *Proxy
	rule    Rule
	seen    int // matching requests
	applied int // requests that got the fault
	removed bool
}

// Seen is how many requests matched the rule so far.
func (t *Target) Seen() int {
	t.p.mu.Lock()
	defer t.p.mu.Unlock()
	return t.seen
}

// Applied is how many requests got the rule's fault so far.
func (t *Target) Applied() int {
	t.p.mu.Lock()
	defer t.p.mu.Unlock()
	return t.applied
}

// Remove stops the rule.
func (t *Target) Remove() {
	t.p.mu.Lock()
	defer t.p.mu.Unlock()
	t.removed = true
}

// Request is one request the proxy saw.
type Request struct {
	Seq    int
	Method string
	Path   string // without the query
	Fault  Fault
	// Status is the upstream's status for forwarded requests (None and
	// LostAnswer), the injected status for 429 and 503, and 0 for resets or
	// when the upstream could not be reached.
	Status int
}

// Stats counts requests.
type Stats struct {
	Total int
	// Forwarded requests reached the upstream (None and LostAnswer).
	Forwarded int
	ByFault   map[Fault]int
	ByMethod  map[string]int
}

// Proxy is a running fault-injecting proxy.
type Proxy struct {
	upstream   *url.URL
	retryAfter int
	throttle   struct{ body, contentType string }
	caPEM      []byte
	srv        *http.Server
	ln         net.Listener
	transport  *http.Transport
	url        string

	mu      sync.Mutex
	rates   Rates
	rng     *rand.Rand
	rules   []*Target
	log     []Request
	stopped chan struct{}
}

// New starts a proxy on a free loopback port.
func New(cfg Config) (*Proxy, error) {
	up, err := url.Parse(cfg.Upstream)
	if err != nil {
		return nil, fmt.Errorf("upstream %q is not a URL: %w", cfg.Upstream, err)
	}
	if up.Scheme != "http" && up.Scheme != "https" {
		return nil, fmt.Errorf("upstream %q must be an http:// or https:// URL", cfg.Upstream)
	}
	if !isLoopbackHost(up.Hostname()) {
		return nil, fmt.Errorf("upstream %q is not on a loopback address: the fault proxy only targets servers on this machine", cfg.Upstream)
	}
	if err := cfg.Rates.validate(); err != nil {
		return nil, err
	}
	if cfg.RetryAfter < 0 {
		return nil, fmt.Errorf("RetryAfter must not be negative, got %d", cfg.RetryAfter)
	}
	p := &Proxy{
		upstream:   up,
		retryAfter: cfg.RetryAfter,
		rates:      cfg.Rates,
		rng:        rand.New(rand.NewPCG(cfg.Seed, 0x6661756c74)),
		stopped:    make(chan struct{}),
	}
	p.throttle.body, p.throttle.contentType = "Too many requests (injected by the fault proxy)\n", "text/plain; charset=utf-8"
	if cfg.ThrottleBody != "" {
		p.throttle.body, p.throttle.contentType = cfg.ThrottleBody, cfg.ThrottleContentType
	}
	dialer := &net.Dialer{Timeout: 10 * time.Second, Control: loopbackOnly}
	p.transport = &http.Transport{
		DialContext:         dialer.DialContext,
		ForceAttemptHTTP2:   up.Scheme == "https",
		MaxIdleConns:        200,
		MaxIdleConnsPerHost: 100,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
	}
	if up.Scheme == "https" {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(cfg.UpstreamCA) {
			return nil, errors.New("UpstreamCA holds no PEM certificate; an https upstream needs the CA that verifies it")
		}
		p.transport.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p.srv = &http.Server{
		Handler:           p,
		ReadHeaderTimeout: 30 * time.Second,
		// An empty map turns HTTP/2 off (see the package comment).
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){},
	}
	p.url = "http://" + ln.Addr().String()
	if up.Scheme == "https" {
		caPEM, cert, err := selfSigned()
		if err != nil {
			_ = ln.Close()
			return nil, fmt.Errorf("making the proxy's certificate: %w", err)
		}
		p.caPEM = caPEM
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}, MinVersion: tls.VersionTLS12})
		p.url = "https://" + ln.Addr().String()
	}
	p.ln = ln
	go func() {
		defer close(p.stopped)
		_ = p.srv.Serve(ln)
	}()
	return p, nil
}

// URL is the proxy's base URL ("https://127.0.0.1:<port>").
func (p *Proxy) URL() string { return p.url }

// CAPEM is the certificate of the CA that signed the proxy's HTTPS
// certificate (nil for a plain-HTTP proxy).
func (p *Proxy) CAPEM() []byte { return p.caPEM }

// Upstream is the upstream's base URL.
func (p *Proxy) Upstream() string { return p.upstream.String() }

// Close stops the proxy and closes its connections.
func (p *Proxy) Close() error {
	err := p.srv.Close()
	<-p.stopped
	p.transport.CloseIdleConnections()
	return err
}

// SetRates changes the rates of random faults.
func (p *Proxy) SetRates(r Rates) error {
	if err := r.validate(); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rates = r
	return nil
}

// AddRule adds a rule after the existing ones (the first rule that picks a
// request decides its fault).
func (p *Proxy) AddRule(r Rule) (*Target, error) {
	switch r.Fault {
	case None, TooManyRequests, Unavailable, Reset, LostAnswer:
	default:
		return nil, fmt.Errorf("unknown fault %q", r.Fault)
	}
	if r.Skip < 0 || r.Times < 0 {
		return nil, errors.New("Skip and Times must not be negative")
	}
	t := &Target{p: p, rule: r}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules = append(p.rules, t)
	return t, nil
}

// Stats counts the requests seen since the start or the last ResetStats.
func (p *Proxy) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := Stats{ByFault: map[Fault]int{}, ByMethod: map[string]int{}}
	for _, r := range p.log {
		s.Total++
		s.ByFault[r.Fault]++
		s.ByMethod[r.Method]++
		if r.Fault == None || r.Fault == LostAnswer {
			s.Forwarded++
		}
	}
	return s
}

// Requests returns the requests seen since the start or the last
// ResetStats, in arrival order.
func (p *Proxy) Requests() []Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Request(nil), p.log...)
}

// Count is how many requests seen since the last ResetStats have the method
// ("" for any) and the path.
func (p *Proxy) Count(method, path string) int {
	n := 0
	for _, r := range p.Requests() {
		if (method == "" || r.Method == method) && r.Path == path {
			n++
		}
	}
	return n
}

// ResetStats forgets the requests seen so far (rules keep their counts).
func (p *Proxy) ResetStats() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.log = nil
}

// decide picks the fault of one request and records it.
func (p *Proxy) decide(r *http.Request) (Fault, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	// Always draw, so rules do not shift the random sequence.
	fault := p.rates.pick(p.rng.Float64())
	for _, t := range p.rules {
		if t.removed || !t.rule.matches(r) {
			continue
		}
		t.seen++
		if t.seen <= t.rule.Skip || (t.rule.Times > 0 && t.applied >= t.rule.Times) {
			continue
		}
		t.applied++
		fault = t.rule.Fault
		break
	}
	p.log = append(p.log, Request{Seq: len(p.log) + 1, Method: r.Method, Path: r.URL.Path, Fault: fault})
	return fault, len(p.log) - 1
}

func (p *Proxy) setStatus(i, status int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if i < len(p.log) {
		p.log[i].Status = status
	}
}

// ServeHTTP implements http.Handler.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	fault, i := p.decide(r)
	switch fault {
	case TooManyRequests:
		p.setStatus(i, http.StatusTooManyRequests)
		w.Header().Set("Retry-After", strconv.Itoa(p.retryAfter))
		if p.throttle.contentType != "" {
			w.Header().Set("Content-Type", p.throttle.contentType)
		}
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = io.WriteString(w, p.throttle.body)
		return
	case Unavailable:
		p.setStatus(i, http.StatusServiceUnavailable)
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	case Reset:
		resetConn(w)
		return
	}

	resp, err := p.forward(r)
	if err != nil {
		if fault == LostAnswer {
			resetConn(w)
			return
		}
		http.Error(w, "fault proxy: upstream unreachable: "+err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	p.setStatus(i, resp.StatusCode)
	if fault == LostAnswer {
		// The upstream answered, so the work is done; the client never
		// hears of it.
		resetConn(w)
		return
	}
	h := w.Header()
	for k, vs := range resp.Header {
		if !hopByHop(k, resp.Header) {
			h[k] = vs
		}
	}
	w.WriteHeader(resp.StatusCode)
	copyFlushing(w, resp.Body)
}

// forward sends the request to the upstream.
func (p *Proxy) forward(r *http.Request) (*http.Response, error) {
	out := r.Clone(r.Context())
	out.RequestURI = ""
	out.URL.Scheme = p.upstream.Scheme
	out.URL.Host = p.upstream.Host
	if p.upstream.Path != "" && p.upstream.Path != "/" {
		out.URL.Path = strings.TrimSuffix(p.upstream.Path, "/") + out.URL.Path
		out.URL.RawPath = ""
	}
	out.Host = r.Host // signed Host headers (AWS SigV4) stay valid
	if r.ContentLength == 0 {
		out.Body = nil
	}
	for k := range out.Header {
		if hopByHop(k, r.Header) {
			out.Header.Del(k)
		}
	}
	return p.transport.RoundTrip(out)
}

// copyFlushing streams a body, flushing as it goes (watches, logs).
func copyFlushing(w http.ResponseWriter, body io.Reader) {
	f, _ := w.(http.Flusher)
	buf := make([]byte, 32<<10)
	for {
		n, err := body.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return
			}
			if f != nil {
				f.Flush()
			}
		}
		if err != nil {
			return
		}
	}
}

// resetConn takes the client's connection over and closes it with a TCP
// RST, so the client reads "connection reset by peer".
func resetConn(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	c, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	raw := c
	if tc, ok := c.(*tls.Conn); ok {
		raw = tc.NetConn()
	}
	if tcp, ok := raw.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = raw.Close()
}

var hopHeaders = map[string]bool{
	"Connection": true, "Proxy-Connection": true, "Keep-Alive": true, "Proxy-Authenticate": true,
	"Proxy-Authorization": true, "Te": true, "Trailer": true, "Transfer-Encoding": true, "Upgrade": true,
}

// hopByHop reports whether header k belongs to one connection (RFC 9110
// 7.6.1), including the headers the Connection header names.
func hopByHop(k string, h http.Header) bool {
	k = http.CanonicalHeaderKey(k)
	if hopHeaders[k] {
		return true
	}
	for _, v := range h.Values("Connection") {
		for _, f := range strings.Split(v, ",") {
			if http.CanonicalHeaderKey(strings.TrimSpace(f)) == k {
				return true
			}
		}
	}
	return false
}

func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// loopbackOnly is the dialer's Control: it refuses any address that is not
// loopback, after name resolution.
func loopbackOnly(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("fault proxy: refusing to dial %s: not a loopback address", address)
	}
	return nil
}
