package faultproxy

// A TCP fault proxy for database protocols, which the HTTP proxy cannot
// carry (PostgreSQL's wire protocol). It forwards bytes between a client and
// a loopback server and, at seeded random rates or for a message a rule
// aims at, breaks connections the way networks and servers do:
//
//   - refuse: accept a new connection and reset it at once (the client's
//     connect fails before or during startup);
//   - reset after the server has sent N bytes (an answer lost mid-way);
//   - rules on what the client sends (a substring of its bytes, such as
//     "CREATE ROLE"): reset before forwarding it (the server never sees the
//     statement), reset right after forwarding it (it may or may not run),
//     or forward it, let the server answer in full and lose that answer
//     (the statement ran and, outside a transaction, committed; the client
//     sees a broken connection).
//
// Losing an answer understands PostgreSQL's framing (a type byte and a
// 32-bit length): after the matching client bytes it forwards the server's
// messages until a CommandComplete ('C'), EmptyQueryResponse ('I') or
// ErrorResponse ('E'), holds that and what follows until ReadyForQuery
// ('Z', the statement's implicit transaction is over), then resets instead
// of forwarding them. With pgx's extended protocol the statement's text is
// in the Parse message, whose own answer (ParseComplete and the
// descriptions) is forwarded; the answer lost is that of its execution.
//
// A reset is a TCP RST to the client (SO_LINGER 0) and a close of the
// upstream connection, so the server's backend ends too.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"time"
)

// TCPFault is what the TCP proxy did to a connection.
type TCPFault string

const (
	// TCPRefuse: accepted and reset before anything was forwarded.
	TCPRefuse TCPFault = "refuse"
	// TCPResetMidAnswer: reset after the server had sent the chosen
	// number of bytes.
	TCPResetMidAnswer TCPFault = "reset-mid-answer"
	// TCPResetBeforeSend: a rule matched the client's bytes; reset
	// without forwarding them.
	TCPResetBeforeSend TCPFault = "reset-before-send"
	// TCPResetAfterSend: a rule matched; the bytes were forwarded, then
	// the connection reset at once.
	TCPResetAfterSend TCPFault = "reset-after-send"
	// TCPLostAnswer: a rule matched; the bytes were forwarded, the
	// server answered in full, and the answer was dropped and the
	// connection reset.
	TCPLostAnswer TCPFault = "lost-answer"
)

// TCPRates are probabilities (0..1) per new connection.
type TCPRates struct {
	// Refuse is the share of new connections reset at once.
	Refuse float64
	// Reset is the share of (not refused) connections reset once the
	// server has sent TCPConfig.ResetAfterBytes bytes on them.
	Reset float64
}

func (r TCPRates) validate() error {
	if r.Refuse < 0 || r.Refuse > 1 || r.Reset < 0 || r.Reset > 1 {
		return fmt.Errorf("TCP fault rates must be between 0 and 1, got %+v", r)
	}
	return nil
}

// TCPConfig configures a TCP proxy.
type TCPConfig struct {
	Rates TCPRates
	// ResetAfterBytes is where a connection picked by Rates.Reset is
	// reset: after the server has sent this many bytes on it. 0 draws a
	// number from 1 to 2048 per connection (PostgreSQL's startup answer is
	// a few hundred bytes, so small numbers break the connect and larger
	// ones a later answer).
	ResetAfterBytes int
	// Seed makes the random faults repeatable for the same sequence of
	// connections.
	Seed uint64
}

// TCPAction is what a TCPRule does to a connection whose client sends the
// rule's bytes.
type TCPAction string

const (
	ResetBeforeSend TCPAction = TCPAction(TCPResetBeforeSend)
	ResetAfterSend  TCPAction = TCPAction(TCPResetAfterSend)
	LoseAnswer      TCPAction = TCPAction(TCPLostAnswer)
)

// TCPRule aims a fault at the client's bytes containing Contains (matched
// across reads: a substring split between two of the client's writes is
// still found).
type TCPRule struct {
	Contains []byte
	Action   TCPAction
	// Skip lets the first Skip matches through.
	Skip int
	// Times is how many matches after the skipped ones get the fault; 0
	// means every one.
	Times int
}

// TCPTarget is a rule added to a running TCP proxy.
type TCPTarget struct {
	p       *TCPProxy
	rule    TCPRule
	seen    int
	applied int
	removed bool
}

// Seen is how many times the client's bytes matched so far.
func (t *TCPTarget) Seen() int { t.p.mu.Lock(); defer t.p.mu.Unlock(); return t.seen }

// Applied is how many times the fault was injected so far.
func (t *TCPTarget) Applied() int { t.p.mu.Lock(); defer t.p.mu.Unlock(); return t.applied }

// Remove stops the rule.
func (t *TCPTarget) Remove() { t.p.mu.Lock(); defer t.p.mu.Unlock(); t.removed = true }

// TCPStats counts what the proxy did.
type TCPStats struct {
	// Connections is how many client connections were accepted.
	Connections int
	// ByFault counts connections per fault.
	ByFault map[TCPFault]int
	// BytesToServer and BytesToClient are the bytes forwarded.
	BytesToServer, BytesToClient int64
}

// TCPProxy is a running TCP fault proxy.
type TCPProxy struct {
	upstream        string
	ln              net.Listener
	dialer          *net.Dialer
	resetAfterBytes int

	mu      sync.Mutex
	rates   TCPRates
	rng     *rand.Rand
	rules   []*TCPTarget
	stats   TCPStats
	conns   map[*tcpConn]struct{}
	closed  bool
	wg      sync.WaitGroup
	stopped chan struct{}
}

// NewTCP starts a proxy on a free 127.0.0.1 port in front of upstream
// (host:port on a loopback address).
func NewTCP(upstream string, cfg TCPConfig) (*TCPProxy, error) {
	host, _, err := net.SplitHostPort(upstream)
	if err != nil {
		return nil, fmt.Errorf("upstream %q is not host:port: %w", upstream, err)
	}
	if !isLoopbackHost(host) {
		return nil, fmt.Errorf("upstream %q is not on a loopback address: the fault proxy only targets servers on this machine", upstream)
	}
	if err := cfg.Rates.validate(); err != nil {
		return nil, err
	}
	if cfg.ResetAfterBytes < 0 {
		return nil, fmt.Errorf("ResetAfterBytes must not be negative, got %d", cfg.ResetAfterBytes)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &TCPProxy{
		upstream:        upstream,
		ln:              ln,
		dialer:          &net.Dialer{Timeout: 10 * time.Second, Control: loopbackOnly},
		resetAfterBytes: cfg.ResetAfterBytes,
		rates:           cfg.Rates,
		rng:             rand.New(rand.NewPCG(cfg.Seed, 0x746370)),
		stats:           TCPStats{ByFault: map[TCPFault]int{}},
		conns:           map[*tcpConn]struct{}{},
		stopped:         make(chan struct{}),
	}
	go p.serve()
	return p, nil
}

// Addr is the proxy's address, "127.0.0.1:<port>".
func (p *TCPProxy) Addr() string { return p.ln.Addr().String() }

// Host and Port are Addr's parts, for connection settings.
func (p *TCPProxy) Host() string { return p.ln.Addr().(*net.TCPAddr).IP.String() }

// Port is the proxy's port.
func (p *TCPProxy) Port() int { return p.ln.Addr().(*net.TCPAddr).Port }

// Upstream is the server's address.
func (p *TCPProxy) Upstream() string { return p.upstream }

// SetRates changes the random faults for new connections.
func (p *TCPProxy) SetRates(r TCPRates) error {
	if err := r.validate(); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rates = r
	return nil
}

// AddRule adds a rule; rules are tried in the order added.
func (p *TCPProxy) AddRule(r TCPRule) (*TCPTarget, error) {
	if len(r.Contains) == 0 {
		return nil, errors.New("a TCP rule needs the bytes to look for (Contains)")
	}
	switch r.Action {
	case ResetBeforeSend, ResetAfterSend, LoseAnswer:
	default:
		return nil, fmt.Errorf("unknown TCP rule action %q: use ResetBeforeSend, ResetAfterSend or LoseAnswer", r.Action)
	}
	if r.Skip < 0 || r.Times < 0 {
		return nil, fmt.Errorf("Skip and Times must not be negative, got %d and %d", r.Skip, r.Times)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	t := &TCPTarget{p: p, rule: r}
	p.rules = append(p.rules, t)
	return t, nil
}

func (p *TCPProxy) mustRule(r TCPRule) *TCPTarget {
	t, err := p.AddRule(r)
	if err != nil {
		panic(err)
	}
	return t
}

// LoseNextAnswerContaining makes the next client message containing substr
// reach the server, lets the server answer it in full (through its
// ReadyForQuery), and then resets the connection instead of forwarding
// that answer.
func (p *TCPProxy) LoseNextAnswerContaining(substr []byte) *TCPTarget {
	return p.mustRule(TCPRule{Contains: substr, Action: LoseAnswer, Times: 1})
}

// ResetAfterClientSends resets the connection right after forwarding the
// next client bytes containing substr, before any answer: the server may
// or may not act on them.
func (p *TCPProxy) ResetAfterClientSends(substr []byte) *TCPTarget {
	return p.mustRule(TCPRule{Contains: substr, Action: ResetAfterSend, Times: 1})
}

// ResetBeforeClientSends resets the connection instead of forwarding the
// next client bytes containing substr: the server never sees them.
func (p *TCPProxy) ResetBeforeClientSends(substr []byte) *TCPTarget {
	return p.mustRule(TCPRule{Contains: substr, Action: ResetBeforeSend, Times: 1})
}

// Stats returns a copy of the counters.
func (p *TCPProxy) Stats() TCPStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.stats
	s.ByFault = map[TCPFault]int{}
	for k, v := range p.stats.ByFault {
		s.ByFault[k] = v
	}
	return s
}

// ResetStats zeroes the counters.
func (p *TCPProxy) ResetStats() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stats = TCPStats{ByFault: map[TCPFault]int{}}
}

// Close stops accepting, closes every open connection and waits for them.
func (p *TCPProxy) Close() error {
	p.mu.Lock()
	p.closed = true
	conns := make([]*tcpConn, 0, len(p.conns))
	for c := range p.conns {
		conns = append(conns, c)
	}
	p.mu.Unlock()
	err := p.ln.Close()
	for _, c := range conns {
		c.close(false)
	}
	<-p.stopped
	p.wg.Wait()
	return err
}

func (p *TCPProxy) serve() {
	defer close(p.stopped)
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			_ = client.Close()
			return
		}
		p.stats.Connections++
		refuse := p.rates.Refuse > 0 && p.rng.Float64() < p.rates.Refuse
		resetAt := 0
		if !refuse && p.rates.Reset > 0 && p.rng.Float64() < p.rates.Reset {
			resetAt = p.resetAfterBytes
			if resetAt == 0 {
				resetAt = 1 + p.rng.IntN(2048)
			}
		}
		if refuse {
			p.stats.ByFault[TCPRefuse]++
		}
		p.mu.Unlock()
		if refuse {
			rst(client)
			continue
		}
		p.wg.Add(1)
		go p.handle(client, resetAt)
	}
}

// rst closes c with a TCP RST.
func rst(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.Close()
}

// tcpConn is one proxied connection.
type tcpConn struct {
	p        *TCPProxy
	client   net.Conn
	upstream net.Conn
	resetAt  int // server bytes after which to reset; 0 never

	mu   sync.Mutex
	done bool
	// lose is set (before the matching bytes are forwarded) when the
	// server's next complete answer is to be lost.
	lose bool
	// mute is set (before the matching bytes are forwarded) when the
	// connection is reset right after them: nothing the server answers
	// reaches the client, however fast it answers.
	mute bool
}

func (c *tcpConn) close(reset bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done {
		return
	}
	c.done = true
	if reset {
		rst(c.client)
	} else {
		_ = c.client.Close()
	}
	if c.upstream != nil {
		_ = c.upstream.Close()
	}
}

func (p *TCPProxy) handle(client net.Conn, resetAt int) {
	defer p.wg.Done()
	up, err := p.dialer.Dial("tcp", p.upstream)
	if err != nil {
		_ = client.Close()
		return
	}
	c := &tcpConn{p: p, client: client, upstream: up, resetAt: resetAt}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		_ = up.Close()
		_ = client.Close()
		return
	}
	p.conns[c] = struct{}{}
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.conns, c)
		p.mu.Unlock()
	}()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		c.fromServer()
	}()
	c.fromClient()
	wg.Wait()
}

// match finds the first live rule whose bytes occur in window and returns
// its action ("" for none), counting it.
func (p *TCPProxy) match(window []byte) TCPAction {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, t := range p.rules {
		if t.removed || !bytes.Contains(window, t.rule.Contains) {
			continue
		}
		t.seen++
		if t.seen <= t.rule.Skip || (t.rule.Times > 0 && t.applied >= t.rule.Times) {
			continue
		}
		t.applied++
		return t.rule.Action
	}
	return ""
}

func (p *TCPProxy) count(f TCPFault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stats.ByFault[f]++
}

func (p *TCPProxy) addBytes(toServer, toClient int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stats.BytesToServer += int64(toServer)
	p.stats.BytesToClient += int64(toClient)
}

func (p *TCPProxy) maxRuleLen() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, t := range p.rules {
		if !t.removed && len(t.rule.Contains) > n {
			n = len(t.rule.Contains)
		}
	}
	return n
}

// fromClient forwards the client's bytes, applying the rules.
func (c *tcpConn) fromClient() {
	defer c.close(false)
	buf := make([]byte, 32<<10)
	var tail []byte // the end of the previous read, to match across reads
	for {
		n, err := c.client.Read(buf)
		if n > 0 {
			chunk := buf[:n]
			window := append(append([]byte{}, tail...), chunk...)
			action := c.p.match(window)
			if keep := c.p.maxRuleLen() - 1; keep > 0 {
				if len(window) > keep {
					window = window[len(window)-keep:]
				}
				tail = append(tail[:0], window...)
			} else {
				tail = tail[:0]
			}
			switch action {
			case ResetBeforeSend:
				c.p.count(TCPResetBeforeSend)
				c.close(true)
				return
			case LoseAnswer:
				c.mu.Lock()
				c.lose = true
				c.mu.Unlock()
			case ResetAfterSend:
				c.mu.Lock()
				c.mute = true
				c.mu.Unlock()
			}
			if _, werr := c.upstream.Write(chunk); werr != nil {
				return
			}
			c.p.addBytes(n, 0)
			if action == ResetAfterSend {
				c.p.count(TCPResetAfterSend)
				c.close(true)
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// fromServer forwards the server's bytes, applying the byte-count reset
// and losing armed answers.
func (c *tcpConn) fromServer() {
	defer c.close(false)
	buf := make([]byte, 32<<10)
	sent := 0
	var held []byte // server bytes read while an answer is to be lost
	for {
		n, err := c.upstream.Read(buf)
		if n > 0 {
			chunk := buf[:n]
			c.mu.Lock()
			lose, mute := c.lose, c.mute
			c.mu.Unlock()
			switch {
			case mute:
				// The connection is being reset after the client's bytes:
				// drop the answer and let that reset end the connection.
			case lose:
				held = append(held, chunk...)
				forward, lost := splitAnswer(held)
				if len(forward) > 0 {
					if !c.write(forward, &sent) {
						return
					}
				}
				held = append(held[:0], held[len(forward):]...)
				if lost {
					c.p.count(TCPLostAnswer)
					c.close(true)
					return
				}
			default:
				if !c.write(chunk, &sent) {
					return
				}
			}
		}
		if err != nil {
			c.mu.Lock()
			mute := c.mute
			c.mu.Unlock()
			if mute {
				c.close(true) // a reset, not the server's close
			}
			return
		}
	}
}

// write forwards b to the client, resetting the connection when the
// connection's byte budget runs out; false when the connection is over.
func (c *tcpConn) write(b []byte, sent *int) bool {
	if c.resetAt > 0 && *sent+len(b) >= c.resetAt {
		part := b[:c.resetAt-*sent]
		if len(part) > 0 {
			_, _ = c.client.Write(part)
			c.p.addBytes(0, len(part))
		}
		c.p.count(TCPResetMidAnswer)
		c.close(true)
		return false
	}
	if _, err := c.client.Write(b); err != nil {
		return false
	}
	*sent += len(b)
	c.p.addBytes(0, len(b))
	return true
}

// splitAnswer reads PostgreSQL backend messages from b (type byte, 32-bit
// length including itself, body). forward is the prefix of complete
// messages before the statement's result (CommandComplete, EmptyQuery
// Response or ErrorResponse) that can be forwarded; lost reports that the
// result and the ReadyForQuery after it have arrived.
func splitAnswer(b []byte) (forward []byte, lost bool) {
	resultAt := -1
	for off := 0; off+5 <= len(b); {
		typ := b[off]
		l := int(binary.BigEndian.Uint32(b[off+1 : off+5]))
		if l < 4 || off+1+l > len(b) {
			break
		}
		if resultAt < 0 && (typ == 'C' || typ == 'I' || typ == 'E') {
			resultAt = off
		}
		if resultAt >= 0 && typ == 'Z' {
			return b[:resultAt], true
		}
		off += 1 + l
		if resultAt < 0 {
			forward = b[:off]
		}
	}
	if resultAt >= 0 {
		return b[:resultAt], false
	}
	return forward, false
}
