package ldap_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/owners/ldap"
	"github.com/nhi-ops/terraform-provider-nhi/internal/owners/ownertest"
	"github.com/nhi-ops/terraform-provider-nhi/internal/testenv/faultproxy"
)

// faultWant is what the seeded directory answers for a few owners of
// every kind.
var faultWant = map[string]string{
	"alice@example.com":  "found=true active=true kind=person",
	"bob@example.com":    "found=true active=false kind=person reason=disabled",
	"dave@example.com":   "found=true active=false kind=person reason=disabled successor=carol@example.com",
	"nobody@example.com": "found=false active=false kind= reason=not found",
	"team:payments":      "found=true active=true kind=team",
	"team:legacy":        "found=true active=false kind=team reason=team with no active member",
	"team:nope":          "found=false active=false kind=team reason=not found",
}

func faultOwners() []string {
	var out []string
	for o := range faultWant {
		out = append(out, o)
	}
	return out
}

// viaProxy is the shared slapd's ldap:// port behind a TCP fault proxy,
// and the configuration (StartTLS, verified) that goes through it.
func viaProxy(t *testing.T, cfg faultproxy.TCPConfig) (*faultproxy.TCPProxy, ldap.Config) {
	t.Helper()
	srv := ownertest.LDAP(t)
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	p, err := faultproxy.NewTCP(u.Host, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	c := srv.Config()
	c.URL = "ldap://" + p.Addr()
	c.Timeout = 5 * time.Second
	return p, c
}

func checkStatuses(t *testing.T, got map[string]nhi.OwnerStatus) {
	t.Helper()
	for o, w := range faultWant {
		if g := render(got[o]); g != w {
			t.Errorf("%q: %s, want %s", o, g, w)
		}
	}
	if len(got) != len(faultWant) {
		t.Errorf("answered %d owners, asked %d", len(got), len(faultWant))
	}
}

// A directory that refuses the first connection is asked again: the
// lookup answers every owner exactly.
func TestIntegrationLDAPLookup_faultRefusedThenServed(t *testing.T) {
	p, cfg := viaProxy(t, faultproxy.TCPConfig{Rates: faultproxy.TCPRates{Refuse: 1}, Seed: 1})
	// Let connections through once the first has been refused (the
	// retry waits at least 50 ms before connecting again).
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case <-done:
				return
			case <-time.After(2 * time.Millisecond):
			}
			if p.Stats().ByFault[faultproxy.TCPRefuse] >= 1 {
				_ = p.SetRates(faultproxy.TCPRates{})
				return
			}
		}
	}()
	checkStatuses(t, lookup(t, newDir(t, cfg), faultOwners()...))
	if st := p.Stats(); st.ByFault[faultproxy.TCPRefuse] != 1 || st.Connections != 2 {
		t.Errorf("proxy saw %d connections, %d refused; want 2, 1 refused", st.Connections, st.ByFault[faultproxy.TCPRefuse])
	}
}

// A directory whose every connection breaks is an error naming the
// attempts, after exactly three of them: never an answer, so no owner is
// judged gone.
func TestIntegrationLDAPLookup_faultEveryConnectionBroken(t *testing.T) {
	for name, cfg := range map[string]faultproxy.TCPConfig{
		"refused":         {Rates: faultproxy.TCPRates{Refuse: 1}},
		"reset at once":   {Rates: faultproxy.TCPRates{Reset: 1}, ResetAfterBytes: 1},
		"reset after TLS": {Rates: faultproxy.TCPRates{Reset: 1}, ResetAfterBytes: 2500},
	} {
		t.Run(name, func(t *testing.T) {
			p, c := viaProxy(t, cfg)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			start := time.Now()
			got, err := newDir(t, c).Lookup(ctx, faultOwners())
			var le *ldap.Error
			if err == nil || !errors.As(err, &le) || !strings.HasSuffix(err.Error(), "(gave up after 3 attempts)") {
				t.Fatalf("got %+v, %v; want an *ldap.Error ending (gave up after 3 attempts)", got, err)
			}
			if got != nil {
				t.Errorf("statuses with the error: %+v", got)
			}
			if n := p.Stats().Connections; n != 3 {
				t.Errorf("%d connections, want 3 attempts", n)
			}
			// Two waits of at most 100 ms and 200 ms.
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %s", d)
			}
			if strings.Contains(err.Error(), c.BindPassword) {
				t.Error("the error holds the bind password")
			}
			t.Log(err)
		})
	}
}

// A connection reset part-way through the directory's answers (at points
// spread over a whole lookup's bytes) ends in an error or in the exact
// statuses, never in a wrong one; a lookup whose connection broke is
// answered on a new one.
func TestIntegrationLDAPLookup_faultResetMidAnswer(t *testing.T) {
	p, c := viaProxy(t, faultproxy.TCPConfig{})
	checkStatuses(t, lookup(t, newDir(t, c), faultOwners()...))
	total := p.Stats().BytesToClient
	if total < 100 {
		t.Fatalf("a lookup read only %d bytes", total)
	}
	recovered, failed := 0, 0
	for i := 1; i <= 12; i++ {
		at := int(total) * i / 13
		p, c := viaProxy(t, faultproxy.TCPConfig{Rates: faultproxy.TCPRates{Reset: 0.5}, ResetAfterBytes: at, Seed: uint64(i)})
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		got, err := newDir(t, c).Lookup(ctx, faultOwners())
		cancel()
		st := p.Stats()
		resets := st.ByFault[faultproxy.TCPResetMidAnswer]
		switch {
		case err != nil:
			failed++
			var le *ldap.Error
			if !errors.As(err, &le) || got != nil {
				t.Errorf("reset after %d bytes: %+v, %v (%T)", at, got, err, err)
			}
		default:
			checkStatuses(t, got)
			if resets > 0 && st.Connections > resets {
				recovered++
			}
		}
		t.Logf("reset after %d of %d bytes: %d connections, %d reset, error %v", at, total, st.Connections, resets, err)
	}
	if recovered == 0 {
		t.Errorf("no lookup was answered after its connection was reset (%d failed)", failed)
	}
}

// An answer is never asked again: refused credentials, a base that does
// not exist and a certificate that does not verify cost one connection.
func TestIntegrationLDAPLookup_faultAnswersNotRetried(t *testing.T) {
	for name, mod := range map[string]func(*ldap.Config){
		"wrong password": func(c *ldap.Config) { c.BindPassword = "not-the-password" },
		"no base":        func(c *ldap.Config) { c.BaseDN = "ou=nowhere," + c.BaseDN },
		"unknown CA":     func(c *ldap.Config) { c.CACertificate = "" },
	} {
		t.Run(name, func(t *testing.T) {
			p, c := viaProxy(t, faultproxy.TCPConfig{})
			mod(&c)
			got, err := newDir(t, c).Lookup(context.Background(), faultOwners())
			if err == nil || strings.Contains(err.Error(), "attempts") {
				t.Errorf("got %+v, %v; want an error from the one attempt", got, err)
			}
			if n := p.Stats().Connections; n != 1 {
				t.Errorf("%d connections, want 1: %v", n, err)
			}
		})
	}
}
