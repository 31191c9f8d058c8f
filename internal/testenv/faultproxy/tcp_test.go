package faultproxy

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// pgMsg frames a PostgreSQL backend message.
func pgMsg(typ byte, body string) []byte {
	b := []byte{typ, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(b[1:], uint32(4+len(body)))
	return append(b, body...)
}

// fakeServer accepts connections, greets each with greet, records every
// byte it receives, and answers each read with answer.
type fakeServer struct {
	ln            net.Listener
	greet, answer []byte
	mu            sync.Mutex
	got           bytes.Buffer
}

func newFakeServer(t *testing.T, greet, answer []byte) *fakeServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &fakeServer{ln: ln, greet: greet, answer: answer}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				if len(s.greet) > 0 {
					if _, err := c.Write(s.greet); err != nil {
						return
					}
				}
				buf := make([]byte, 4096)
				for {
					n, err := c.Read(buf)
					if n > 0 {
						s.mu.Lock()
						s.got.Write(buf[:n])
						s.mu.Unlock()
						if len(s.answer) > 0 {
							_, _ = c.Write(s.answer)
						}
					}
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	return s
}

func (s *fakeServer) received() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.got.String()
}

func startTCP(t *testing.T, upstream string, cfg TCPConfig) *TCPProxy {
	t.Helper()
	p, err := NewTCP(upstream, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func dialProxy(t *testing.T, p *TCPProxy) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// readAll reads until the connection ends, returning what came and the
// error that ended it (nil for a clean EOF).
func readAll(c net.Conn) ([]byte, error) {
	var out []byte
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(buf)
		out = append(out, buf[:n]...)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

func TestTCPRefusesNonLoopbackUpstream(t *testing.T) {
	for _, up := range []string{"192.0.2.1:5432", "example.com:5432", "nonsense"} {
		if _, err := NewTCP(up, TCPConfig{}); err == nil {
			t.Errorf("NewTCP(%q) accepted a non-loopback upstream", up)
		}
	}
	if _, err := NewTCP("127.0.0.1:1", TCPConfig{Rates: TCPRates{Refuse: 1.5}}); err == nil {
		t.Errorf("a rate above 1 was accepted")
	}
}

func TestTCPForwards(t *testing.T) {
	srv := newFakeServer(t, []byte("hello"), []byte("answer"))
	p := startTCP(t, srv.ln.Addr().String(), TCPConfig{})
	c := dialProxy(t, p)
	got := make([]byte, 5)
	if _, err := io.ReadFull(c, got); err != nil || string(got) != "hello" {
		t.Fatalf("greeting %q, %v", got, err)
	}
	if _, err := c.Write([]byte("question")); err != nil {
		t.Fatal(err)
	}
	got = make([]byte, 6)
	if _, err := io.ReadFull(c, got); err != nil || string(got) != "answer" {
		t.Fatalf("answer %q, %v", got, err)
	}
	s := p.Stats()
	if s.Connections != 1 || s.BytesToServer != 8 || s.BytesToClient != 11 || len(s.ByFault) != 0 {
		t.Fatalf("stats %+v", s)
	}
	if srv.received() != "question" {
		t.Fatalf("server got %q", srv.received())
	}
}

// TestTCPRefuseIsSeeded: refused connections get nothing from the server;
// the same seed refuses the same connections, another seed others, and the
// share is near the rate.
func TestTCPRefuseIsSeeded(t *testing.T) {
	srv := newFakeServer(t, []byte("hello"), nil)
	run := func(seed uint64) []bool {
		p := startTCP(t, srv.ln.Addr().String(), TCPConfig{Rates: TCPRates{Refuse: 0.3}, Seed: seed})
		var refused []bool
		for i := 0; i < 200; i++ {
			// A refusal can reach the client before its connect returns.
			c, err := net.Dial("tcp", p.Addr())
			got := make([]byte, 5)
			if err == nil {
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				_, err = io.ReadFull(c, got)
				_ = c.Close()
			}
			refused = append(refused, err != nil)
			if err == nil && string(got) != "hello" {
				t.Fatalf("got %q through the proxy", got)
			}
		}
		n := 0
		for _, r := range refused {
			if r {
				n++
			}
		}
		if s := p.Stats(); s.ByFault[TCPRefuse] != n || s.Connections != 200 {
			t.Fatalf("stats %+v, but %d connections saw a refusal", s, n)
		}
		return refused
	}
	a, b, other := run(42), run(42), run(7)
	n, same, differ := 0, true, false
	for i := range a {
		same = same && a[i] == b[i]
		differ = differ || a[i] != other[i]
		if a[i] {
			n++
		}
	}
	if !same || !differ {
		t.Fatalf("same seed same refusals: %v; other seed others: %v", same, differ)
	}
	if n < 30 || n > 90 {
		t.Fatalf("%d of 200 connections refused at a 30%% rate", n)
	}
}

// TestTCPResetAfterBytes: the client gets exactly the first N bytes of the
// server's answer, then a reset.
func TestTCPResetAfterBytes(t *testing.T) {
	srv := newFakeServer(t, nil, bytes.Repeat([]byte("x"), 10000))
	p := startTCP(t, srv.ln.Addr().String(), TCPConfig{Rates: TCPRates{Reset: 1}, ResetAfterBytes: 100})
	c := dialProxy(t, p)
	if _, err := c.Write([]byte("go")); err != nil {
		t.Fatal(err)
	}
	got, err := readAll(c)
	if len(got) != 100 || !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("read %d bytes, then %v; want 100 bytes and a connection reset", len(got), err)
	}
	if n := p.Stats().ByFault[TCPResetMidAnswer]; n != 1 {
		t.Fatalf("%d mid-answer resets counted, want 1", n)
	}
}

// TestTCPRules: the aimed faults, matched across two writes of the client.
func TestTCPRules(t *testing.T) {
	// An extended-protocol answer: ParseComplete, then the execution's
	// CommandComplete and ReadyForQuery.
	answer := append(append(pgMsg('1', ""), pgMsg('C', "CREATE ROLE\x00")...), pgMsg('Z', "I")...)
	send := func(t *testing.T, p *TCPProxy) ([]byte, error) {
		c := dialProxy(t, p)
		if _, err := c.Write([]byte("P stmt CREATE RO")); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
		if _, err := c.Write([]byte("LE acc_x")); err != nil {
			return nil, err
		}
		return readAll(c)
	}
	waitReceived := func(srv *fakeServer, want string) string {
		for i := 0; i < 100 && !strings.Contains(srv.received(), want); i++ {
			time.Sleep(10 * time.Millisecond)
		}
		return srv.received()
	}

	t.Run("lose answer", func(t *testing.T) {
		srv := newFakeServer(t, nil, answer)
		p := startTCP(t, srv.ln.Addr().String(), TCPConfig{})
		target := p.LoseNextAnswerContaining([]byte("CREATE ROLE"))
		got, err := send(t, p)
		if !errors.Is(err, syscall.ECONNRESET) {
			t.Fatalf("client read %q then %v, want a connection reset", got, err)
		}
		// The first write's answer passes; the second's is dropped at
		// its CommandComplete.
		if want := append(append([]byte{}, answer...), pgMsg('1', "")...); !bytes.Equal(got, want) {
			t.Fatalf("client got %q, want the first answer and the ParseComplete of the second, %q", got, want)
		}
		if got := waitReceived(srv, "acc_x"); got != "P stmt CREATE ROLE acc_x" {
			t.Fatalf("server got %q: the statement must reach it", got)
		}
		if target.Applied() != 1 || p.Stats().ByFault[TCPLostAnswer] != 1 {
			t.Fatalf("applied %d, stats %+v", target.Applied(), p.Stats())
		}
		// Next only: the next connection is not touched.
		c := dialProxy(t, p)
		_, _ = c.Write([]byte("CREATE ROLE again"))
		buf := make([]byte, len(answer))
		if _, err := io.ReadFull(c, buf); err != nil || !bytes.Equal(buf, answer) {
			t.Fatalf("second statement: %q, %v", buf, err)
		}
	})
	t.Run("reset before send", func(t *testing.T) {
		srv := newFakeServer(t, nil, answer)
		p := startTCP(t, srv.ln.Addr().String(), TCPConfig{})
		p.ResetBeforeClientSends([]byte("CREATE ROLE"))
		_, err := send(t, p)
		if err == nil {
			t.Fatalf("the connection was not broken")
		}
		time.Sleep(50 * time.Millisecond)
		if got := srv.received(); strings.Contains(got, "acc_x") {
			t.Fatalf("server got %q: the matching bytes must not reach it", got)
		}
		if n := p.Stats().ByFault[TCPResetBeforeSend]; n != 1 {
			t.Fatalf("%d resets before send counted, want 1", n)
		}
	})
	t.Run("reset after send", func(t *testing.T) {
		srv := newFakeServer(t, nil, answer)
		p := startTCP(t, srv.ln.Addr().String(), TCPConfig{})
		p.ResetAfterClientSends([]byte("CREATE ROLE"))
		got, err := send(t, p)
		if !errors.Is(err, syscall.ECONNRESET) || bytes.Contains(got[min(len(got), len(answer)):], pgMsg('1', "")) {
			t.Fatalf("client read %q then %v, want no answer to the second write and a reset", got, err)
		}
		if got := waitReceived(srv, "acc_x"); !strings.HasSuffix(got, "LE acc_x") {
			t.Fatalf("server got %q: the matching bytes must reach it", got)
		}
	})
}

func TestTCPSplitAnswer(t *testing.T) {
	z := pgMsg('Z', "I")
	pre := append(pgMsg('1', ""), pgMsg('2', "")...)
	res := pgMsg('C', "INSERT 0 1\x00")
	full := append(append(append([]byte{}, pre...), res...), z...)
	for i := 0; i <= len(full); i++ {
		fwd, lost := splitAnswer(full[:i])
		if !bytes.HasPrefix(pre, fwd) {
			t.Fatalf("prefix %d: forward %q is not a prefix of the messages before the result", i, fwd)
		}
		if lost != (i == len(full)) {
			t.Fatalf("prefix %d of %d: lost = %v", i, len(full), lost)
		}
	}
	// A ReadyForQuery before any result (the answer to Parse/Sync) is
	// forwarded, not taken for the end of the lost answer.
	fwd, lost := splitAnswer(append(append([]byte{}, pgMsg('1', "")...), z...))
	if lost || len(fwd) != 5+6 {
		t.Fatalf("parse answer: forward %d bytes, lost %v", len(fwd), lost)
	}
}

// TestTCPProxyPostgres runs the faults against the real PostgreSQL test
// server (make test and make pg-up set NHI_TEST_POSTGRES and PG*): pgx sees
// each of them, and a lost answer's statement did run.
func TestTCPProxyPostgres(t *testing.T) {
	if os.Getenv("NHI_TEST_POSTGRES") == "" {
		t.Fatal("NHI_TEST_POSTGRES is not set: this test needs the project's PostgreSQL test server. Run `make test`, or `make pg-up` and `. .nhi-dev/pg/pg.env`.")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	direct, err := pgx.Connect(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close(context.Background())
	upstream := net.JoinHostPort(os.Getenv("PGHOST"), os.Getenv("PGPORT"))
	through := func(p *TCPProxy, mode pgx.QueryExecMode) (*pgx.Conn, error) {
		cfg, err := pgx.ParseConfig("")
		if err != nil {
			t.Fatal(err)
		}
		cfg.Host, cfg.Port, cfg.DefaultQueryExecMode = p.Host(), uint16(p.Port()), mode
		cfg.ConnectTimeout = 5 * time.Second
		return pgx.ConnectConfig(ctx, cfg)
	}
	roleExists := func(name string) bool {
		var ok bool
		if err := direct.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", name).Scan(&ok); err != nil {
			t.Fatal(err)
		}
		return ok
	}
	newRole := func() string {
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		name := "nhi_faultproxy_" + hex.EncodeToString(b)
		t.Cleanup(func() { _, _ = direct.Exec(context.Background(), "DROP ROLE IF EXISTS "+name) })
		return name
	}

	p := startTCP(t, upstream, TCPConfig{Seed: 1})
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeSimpleProtocol} {
		conn, err := through(p, mode)
		if err != nil {
			t.Fatalf("%v: connecting through the proxy: %v", mode, err)
		}
		if err := conn.Ping(ctx); err != nil {
			t.Fatalf("%v: ping through the proxy: %v", mode, err)
		}
		role := newRole()
		target := p.LoseNextAnswerContaining([]byte("CREATE ROLE " + role))
		if _, err := conn.Exec(ctx, "CREATE ROLE "+role); err == nil {
			t.Fatalf("%v: CREATE ROLE succeeded although its answer was lost", mode)
		}
		if target.Applied() != 1 || !roleExists(role) {
			t.Fatalf("%v: lost answer applied %d times; role exists: %v (the statement must have run)", mode, target.Applied(), roleExists(role))
		}
		conn.Close(ctx)

		conn, err = through(p, mode)
		if err != nil {
			t.Fatal(err)
		}
		role = newRole()
		p.ResetBeforeClientSends([]byte("CREATE ROLE " + role))
		if _, err := conn.Exec(ctx, "CREATE ROLE "+role); err == nil {
			t.Fatalf("%v: CREATE ROLE succeeded although its connection was reset before it was sent", mode)
		}
		if roleExists(role) {
			t.Fatalf("%v: role %s exists although the statement never reached the server", mode, role)
		}
		conn.Close(ctx)
	}

	if err := p.SetRates(TCPRates{Refuse: 1}); err != nil {
		t.Fatal(err)
	}
	if conn, err := through(p, pgx.QueryExecModeCacheStatement); err == nil {
		conn.Close(ctx)
		t.Fatal("connected although every connection is refused")
	}
	if p.Stats().ByFault[TCPRefuse] == 0 {
		t.Fatalf("no refusal counted: %+v", p.Stats())
	}

	// Reset once 4000 bytes came back: the startup (a few hundred bytes)
	// passes, a large answer breaks.
	mid := startTCP(t, upstream, TCPConfig{Rates: TCPRates{Reset: 1}, ResetAfterBytes: 4000})
	conn, err := through(mid, pgx.QueryExecModeCacheStatement)
	if err != nil {
		t.Fatalf("connecting through the mid-answer proxy: %v", err)
	}
	defer conn.Close(context.Background())
	var s string
	if err := conn.QueryRow(ctx, "SELECT repeat('x', 10000)").Scan(&s); err == nil {
		t.Fatalf("a 10000-byte answer arrived through a proxy that resets after 4000 bytes")
	}
	if mid.Stats().ByFault[TCPResetMidAnswer] != 1 {
		t.Fatalf("stats %+v", mid.Stats())
	}
}
