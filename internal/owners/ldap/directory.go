package ldap

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/url"
	"sort"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

const (
	// chunk is how many owners (or DNs) one search's OR filter carries.
	chunk = 50
	// pageSize is the paged-results page size (Active Directory answers
	// at most 1000 entries a page).
	pageSize = 500
	// maxNesting bounds how deep nested groups are followed.
	maxNesting = 10
	// maxManagers bounds how far up the management chain a successor is
	// looked for when a manager has left too.
	maxManagers = 5
)

// Directory is an LDAP owner directory. Each Lookup opens one connection
// (dial, StartTLS, bind), answers every owner asked for with a few bulk
// searches, and closes it: owners are looked up by one OR filter per
// chunk of 50, groups likewise, nested members and managers a level at a
// time, so the number of searches grows with the number of distinct
// owners divided by 50 and the nesting depth, not with the identities.
type Directory struct {
	cfg      Config
	name     string
	tls      *tls.Config
	searches atomic.Int64
	// seen is set once a lookup has found that people are visible under
	// base_dn (checkPeopleVisible): once per command.
	seen atomic.Bool
}

var _ nhi.OwnerDirectory = (*Directory)(nil)

// New validates the configuration and returns the directory, which
// connects on each Lookup.
func New(c Config) (*Directory, error) {
	if p := c.Validate(); len(p) > 0 {
		errs := make([]error, len(p))
		for i := range p {
			errs[i] = p[i]
		}
		return nil, errors.Join(errs...)
	}
	c = c.withDefaults()
	u, _ := url.Parse(c.URL)
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: u.Hostname()}
	if c.CACertificate != "" {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM([]byte(c.CACertificate))
		tc.RootCAs = pool
	}
	return &Directory{cfg: c, name: c.Name(), tls: tc}, nil
}

// Name is scheme://host:port.
func (d *Directory) Name() string { return d.name }

// Searches is how many searches the directory has made (a paged search
// counts once).
func (d *Directory) Searches() int64 { return d.searches.Load() }

// Error is a failure to read the directory: Op says what was being done.
// It never holds the bind password.
type Error struct {
	Directory string
	Op        string
	Err       error
}

func (e *Error) Error() string { return e.Directory + ": " + e.Op + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

type session struct {
	d    *Directory
	ctx  context.Context
	conn *goldap.Conn
	stop func() bool
}

func (d *Directory) fail(ctx context.Context, op string, err error) error {
	if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
		err = fmt.Errorf("%w (%v)", ctx.Err(), err)
	}
	return &Error{Directory: d.name, Op: op, Err: err}
}

// open connects, upgrades with StartTLS when configured, and binds. The
// connection is closed when ctx ends, which ends any request in flight.
func (d *Directory) open(ctx context.Context) (*session, error) {
	u, _ := url.Parse(d.cfg.URL)
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = goldap.DefaultLdapPort
		if u.Scheme == "ldaps" {
			port = goldap.DefaultLdapsPort
		}
	}
	dialer := &net.Dialer{Timeout: d.cfg.Timeout}
	raw, err := dialer.DialContext(ctx, "tcp", net.JoinHostPort(host, port))
	if err != nil {
		return nil, d.fail(ctx, "connecting", err)
	}
	isTLS := u.Scheme == "ldaps"
	if isTLS {
		tc := tls.Client(raw, d.tls)
		hctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
		err := tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			raw.Close()
			return nil, d.fail(ctx, "TLS handshake", err)
		}
		raw = tc
	}
	conn := goldap.NewConn(raw, isTLS)
	conn.Start()
	conn.SetTimeout(d.cfg.Timeout)
	s := &session{d: d, ctx: ctx, conn: conn}
	s.stop = context.AfterFunc(ctx, func() { conn.Close() })
	if d.cfg.StartTLS {
		if err := conn.StartTLS(d.tls); err != nil {
			s.close()
			return nil, d.fail(ctx, "StartTLS", err)
		}
	}
	if d.cfg.BindDN != "" {
		if !isTLS && !d.cfg.StartTLS {
			// Validate refuses this configuration; never send the
			// password in clear text whatever built it.
			s.close()
			return nil, d.fail(ctx, "bind as "+d.cfg.BindDN, errors.New("refused to send bind_password over a connection without TLS: use an ldaps:// URL, or set start_tls = true"))
		}
		if err := conn.Bind(d.cfg.BindDN, d.cfg.BindPassword); err != nil {
			s.close()
			op := "bind as " + d.cfg.BindDN
			if goldap.IsErrorWithCode(err, goldap.LDAPResultInvalidCredentials) {
				op += " refused (check bind_dn and bind_password)"
			}
			return nil, d.fail(ctx, op, err)
		}
	}
	return s, nil
}

func (s *session) close() {
	s.stop()
	s.conn.Close()
}

// search is one paged subtree search.
func (s *session) search(what, baseAttr, base, filter string, attrs []string) ([]*goldap.Entry, error) {
	s.d.searches.Add(1)
	limit := int(s.d.cfg.Timeout.Seconds())
	req := goldap.NewSearchRequest(base, goldap.ScopeWholeSubtree, goldap.NeverDerefAliases, 0, limit, false, filter, attrs, nil)
	res, err := s.conn.SearchWithPaging(req, pageSize)
	if err != nil {
		if goldap.IsErrorWithCode(err, goldap.LDAPResultNoSuchObject) {
			err = fmt.Errorf("%s %q does not exist, or the bind account may not read it: %w", baseAttr, base, err)
		}
		return nil, s.d.fail(s.ctx, "searching "+what, err)
	}
	return res.Entries, nil
}

// checkPeopleVisible makes sure the bind account sees at least one person
// under base_dn with user_filter (one search of at most one entry, once
// per Directory, which is once per command): a directory that shows no
// one (an anonymous or unprivileged bind the ACLs hide people from, a
// base_dn or user_filter that selects nothing) would otherwise answer
// "not found" for every owner, which is "everyone left". It is an error
// instead.
func (s *session) checkPeopleVisible() error {
	c := s.d.cfg
	if s.d.seen.Load() {
		return nil
	}
	s.d.searches.Add(1)
	req := goldap.NewSearchRequest(c.BaseDN, goldap.ScopeWholeSubtree, goldap.NeverDerefAliases, 1, int(c.Timeout.Seconds()), false, c.UserFilter, []string{"1.1"}, nil)
	res, err := s.conn.Search(req)
	if err != nil && goldap.IsErrorWithCode(err, goldap.LDAPResultSizeLimitExceeded) && res != nil && len(res.Entries) > 0 {
		err = nil // more than one person: what was asked
	}
	if err != nil {
		if goldap.IsErrorWithCode(err, goldap.LDAPResultNoSuchObject) {
			err = fmt.Errorf("base_dn %q does not exist, or the bind account may not read it: %w", c.BaseDN, err)
		}
		return s.d.fail(s.ctx, "searching people", err)
	}
	if len(res.Entries) == 0 {
		who := "the bind account " + c.BindDN
		if c.BindDN == "" {
			who = "an anonymous bind (no bind_dn)"
		}
		return s.d.fail(s.ctx, "searching people", fmt.Errorf("%s sees no person under base_dn %q matching user_filter %q, so no owner can be judged: "+
			"check base_dn, user_filter and the account's read access (an empty directory is treated as unreadable, never as every owner having left)", who, c.BaseDN, c.UserFilter))
	}
	s.d.seen.Store(true)
	return nil
}

// personTerms is an OR of attr=value for every attribute and value, the
// values escaped (RFC 4515), so an owner such as "*" or "a)(uid=*" is a
// value and never a filter.
func personTerms(attrs, values []string) string {
	var terms []string
	for _, v := range values {
		for _, a := range attrs {
			terms = append(terms, "("+a+"="+goldap.EscapeFilter(v)+")")
		}
	}
	return or(terms)
}

// rdnTerm is the filter that an RDN's entry matches: (uid=alice), or an
// AND of a multi-valued RDN's assertions.
func rdnTerm(r *goldap.RelativeDN) string {
	var parts []string
	for _, a := range r.Attributes {
		parts = append(parts, "("+a.Type+"="+goldap.EscapeFilter(a.Value)+")")
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return and(parts...)
}

func and(parts ...string) string { return "(&" + strings.Join(parts, "") + ")" }
func or(terms []string) string {
	if len(terms) == 1 {
		return terms[0]
	}
	return "(|" + strings.Join(terms, "") + ")"
}

// person is one entry of a person.
type person struct {
	dn, key string
	active  bool
	manager string // DN, or empty
	entry   *goldap.Entry
}

// group is one entry of a group.
type group struct {
	dn, key string
	members []string // DNs
}

// Lookup implements nhi.OwnerDirectory.
func (d *Directory) Lookup(ctx context.Context, owners []string) (map[string]nhi.OwnerStatus, error) {
	out := make(map[string]nhi.OwnerStatus, len(owners))
	var people []string
	groupAsk := map[string][]string{} // group name, lower-cased: the owners naming it
	personAsked := map[string]bool{}
	for _, o := range owners {
		v := strings.TrimSpace(o)
		if name, ok := nhi.TeamName(v); ok {
			groupAsk[strings.ToLower(name)] = append(groupAsk[strings.ToLower(name)], o)
			continue
		}
		if v == "" || strings.HasPrefix(v, nhi.TeamPrefix) {
			out[o] = nhi.UnknownOwner("")
			continue
		}
		people = append(people, o)
		personAsked[o] = true
	}
	if len(people) == 0 && len(groupAsk) == 0 {
		return out, nil
	}
	err := retry(ctx, func() error {
		// Each attempt answers afresh: a bare name not found as a person
		// is added to its own copy of the groups asked.
		asked := make(map[string][]string, len(groupAsk))
		for k, v := range groupAsk {
			asked[k] = append([]string(nil), v...)
		}
		return d.lookup(ctx, out, people, asked, personAsked)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Retries of a lookup whose connection broke: at most retryAttempts
// attempts, the waits between them drawn from [backoff/2, backoff]
// starting at retryBackoff and doubling up to retryMaxBackoff.
const (
	retryAttempts   = 3
	retryBackoff    = 100 * time.Millisecond
	retryMaxBackoff = time.Second
)

// retry runs attempt until it succeeds, fails with an error that is not a
// broken connection (an LDAP answer such as invalid credentials or no
// such object is never retried, nor a certificate that does not verify),
// ctx ends, or retryAttempts attempts have failed; the last error then
// says how many attempts were made.
func retry(ctx context.Context, attempt func() error) error {
	wait := retryBackoff
	for n := 1; ; n++ {
		err := attempt()
		if err == nil || !transient(err) || ctx.Err() != nil {
			return err
		}
		if n == retryAttempts {
			var le *Error
			if errors.As(err, &le) {
				le.Err = fmt.Errorf("%w (gave up after %d attempts)", le.Err, n)
				return err
			}
			return fmt.Errorf("%w (gave up after %d attempts)", err, n)
		}
		t := time.NewTimer(wait/2 + rand.N(wait/2+1))
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		wait = min(2*wait, retryMaxBackoff)
	}
}

// transient is a connection refused, reset, cut short or timed out: the
// directory gave no answer, so asking again may get one.
func transient(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var cv *tls.CertificateVerificationError
	if errors.As(err, &cv) {
		return false
	}
	if goldap.IsErrorWithCode(err, goldap.ErrorNetwork) {
		// go-ldap reports a failed StartTLS handshake as a network error
		// with the cause as text only.
		msg := err.Error()
		return !strings.Contains(msg, "certificate") && !strings.Contains(msg, "x509")
	}
	var ne net.Error
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	// go-ldap's reader reports a broken connection as text ("unable to
	// read LDAP response packet: read tcp ...: connection reset by peer").
	msg := err.Error()
	for _, s := range []string{"unable to read LDAP response packet", "connection reset by peer", "broken pipe", "connection refused", "unexpected EOF", ": EOF"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// lookup is one attempt of Lookup on one connection: it fills out.
func (d *Directory) lookup(ctx context.Context, out map[string]nhi.OwnerStatus, people []string, groupAsk map[string][]string, personAsked map[string]bool) error {
	s, err := d.open(ctx)
	if err != nil {
		return err
	}
	defer s.close()

	if err := s.checkPeopleVisible(); err != nil {
		return err
	}
	found, err := s.findPeople(people)
	if err != nil {
		return err
	}
	var gone []*person
	for _, o := range people {
		p := found[o]
		switch {
		case p == nil:
			// A bare name may be a group's.
			k := strings.ToLower(strings.TrimSpace(o))
			groupAsk[k] = append(groupAsk[k], o)
		case p.active:
			out[o] = nhi.ActiveOwner(nhi.OwnerPerson)
		default:
			gone = append(gone, p)
		}
	}
	groups, err := s.findGroups(nhi.SortedKeys(groupAsk))
	if err != nil {
		return err
	}
	active, err := s.resolveTeams(groups)
	if err != nil {
		return err
	}
	successors, err := s.successors(gone)
	if err != nil {
		return err
	}
	for _, o := range people {
		if p := found[o]; p != nil && !p.active {
			out[o] = nhi.OwnerStatus{Found: true, Kind: nhi.OwnerPerson, Reason: nhi.OwnerDisabled, Successor: successors[p.key]}
		}
	}
	for name, asked := range groupAsk {
		g := groups[name]
		for _, o := range asked {
			switch {
			case g == nil && personAsked[o]:
				out[o] = nhi.UnknownOwner("")
			case g == nil:
				out[o] = nhi.UnknownOwner(nhi.OwnerTeam)
			case active[g.key]:
				out[o] = nhi.ActiveOwner(nhi.OwnerTeam)
			default:
				out[o] = nhi.OwnerStatus{Found: true, Kind: nhi.OwnerTeam, Reason: nhi.OwnerNoActiveMember}
			}
		}
	}
	return nil
}

// findPeople finds the people the owners name by any user attribute:
// per chunk, one search for the people and, with a disabled filter, one
// for those among them who left. An owner matching several entries is
// active when one of them is.
func (s *session) findPeople(owners []string) (map[string]*person, error) {
	c := s.d.cfg
	want := map[string][]string{} // value, lower-cased: owners
	var values []string
	for _, o := range owners {
		v := strings.TrimSpace(o)
		k := strings.ToLower(v)
		if _, ok := want[k]; !ok {
			values = append(values, v)
		}
		want[k] = append(want[k], o)
	}
	attrs := append([]string(nil), c.UserAttributes...)
	if c.ManagerAttribute != "" {
		attrs = append(attrs, c.ManagerAttribute)
	}
	out := map[string]*person{}
	for start := 0; start < len(values); start += chunk {
		terms := personTerms(c.UserAttributes, values[start:min(start+chunk, len(values))])
		entries, err := s.search("people", "base_dn", c.BaseDN, and(c.UserFilter, terms), attrs)
		if err != nil {
			return nil, err
		}
		disabled := map[string]bool{}
		if c.DisabledFilter != "" && len(entries) > 0 {
			left, err := s.search("people who left (disabled_filter)", "base_dn", c.BaseDN, and(c.UserFilter, c.DisabledFilter, terms), []string{"1.1"})
			if err != nil {
				return nil, err
			}
			for _, e := range left {
				disabled[dnKey(e.DN)] = true
			}
		}
		for _, e := range entries {
			p := &person{dn: e.DN, key: dnKey(e.DN), entry: e}
			p.active = !disabled[p.key]
			if c.ManagerAttribute != "" {
				p.manager = e.GetEqualFoldAttributeValue(c.ManagerAttribute)
			}
			for _, a := range c.UserAttributes {
				for _, v := range e.GetEqualFoldAttributeValues(a) {
					for _, o := range want[strings.ToLower(strings.TrimSpace(v))] {
						if prev := out[o]; prev == nil || !prev.active && p.active {
							out[o] = p
						}
					}
				}
			}
		}
	}
	return out, nil
}

// findGroups finds groups by name (lower-cased), one search per chunk.
func (s *session) findGroups(names []string) (map[string]*group, error) {
	c := s.d.cfg
	out := map[string]*group{}
	for start := 0; start < len(names); start += chunk {
		terms := personTerms([]string{c.GroupNameAttribute}, names[start:min(start+chunk, len(names))])
		entries, err := s.search("groups", "group_base_dn", c.GroupBaseDN, and(c.GroupFilter, terms), []string{c.GroupNameAttribute, "member", "uniqueMember"})
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			g := &group{dn: e.DN, key: dnKey(e.DN), members: members(e)}
			for _, n := range e.GetEqualFoldAttributeValues(c.GroupNameAttribute) {
				out[strings.ToLower(n)] = g
			}
		}
	}
	return out, nil
}

// members are a group's member and uniqueMember DNs (without
// uniqueMember's optional #'...'B unique identifier).
func members(e *goldap.Entry) []string {
	var out []string
	out = append(out, e.GetEqualFoldAttributeValues("member")...)
	for _, v := range e.GetEqualFoldAttributeValues("uniqueMember") {
		if i := strings.LastIndex(v, "#'"); i > 0 && strings.HasSuffix(v, "'B") {
			v = v[:i]
		}
		out = append(out, v)
	}
	return out
}

// node is a member DN once classified.
type node struct {
	group   bool
	active  bool // an active person
	members []string
}

// resolveTeams says which groups have an active member, following nested
// groups a level at a time: the unclassified member DNs of the groups not
// yet known to be active are classified in bulk (people, those who left,
// nested groups), so a level costs a few searches however many members it
// has. Members outside base_dn (people) or group_base_dn (groups) count as
// not active.
func (s *session) resolveTeams(groups map[string]*group) (map[string]bool, error) {
	c := s.d.cfg
	nodes := map[string]*node{}
	var roots []*group
	seenRoot := map[string]bool{}
	for _, g := range groups {
		nodes[g.key] = &node{group: true, members: g.members}
		if !seenRoot[g.key] {
			seenRoot[g.key] = true
			roots = append(roots, g)
		}
	}
	sort.Slice(roots, func(i, j int) bool { return roots[i].key < roots[j].key })
	active := map[string]bool{}
	for level := 0; level <= maxNesting; level++ {
		var unknown []string
		seen := map[string]bool{}
		for _, g := range roots {
			if active[g.key] {
				continue
			}
			ok, unk := walk(nodes, g.key)
			if ok {
				active[g.key] = true
				continue
			}
			for _, dn := range unk {
				if k := dnKey(dn); !seen[k] {
					seen[k] = true
					unknown = append(unknown, dn)
				}
			}
		}
		if len(unknown) == 0 || level == maxNesting {
			break
		}
		people, err := s.byDN("members", "base_dn", c.BaseDN, c.UserFilter, unknown, []string{"1.1"})
		if err != nil {
			return nil, err
		}
		left := map[string]*goldap.Entry{}
		if c.DisabledFilter != "" && len(people) > 0 {
			var dns []string
			for _, e := range people {
				dns = append(dns, e.DN)
			}
			if left, err = s.byDN("members who left (disabled_filter)", "base_dn", c.BaseDN, and(c.UserFilter, c.DisabledFilter), dns, []string{"1.1"}); err != nil {
				return nil, err
			}
		}
		var rest []string
		for _, dn := range unknown {
			k := dnKey(dn)
			if _, ok := people[k]; ok {
				nodes[k] = &node{active: left[k] == nil}
			} else {
				rest = append(rest, dn)
			}
		}
		nested := map[string]*goldap.Entry{}
		if len(rest) > 0 {
			if nested, err = s.byDN("nested groups", "group_base_dn", c.GroupBaseDN, c.GroupFilter, rest, []string{"member", "uniqueMember"}); err != nil {
				return nil, err
			}
		}
		for _, dn := range rest {
			k := dnKey(dn)
			if e, ok := nested[k]; ok {
				nodes[k] = &node{group: true, members: members(e)}
			} else {
				nodes[k] = &node{} // neither a person nor a group we can see
			}
		}
	}
	return active, nil
}

// walk reports whether a group reaches an active person through what is
// classified so far, and the member DNs not classified yet.
func walk(nodes map[string]*node, root string) (bool, []string) {
	var unknown []string
	visited := map[string]bool{root: true}
	queue := []string{root}
	for len(queue) > 0 {
		n := nodes[queue[0]]
		queue = queue[1:]
		for _, dn := range n.members {
			k := dnKey(dn)
			if visited[k] {
				continue
			}
			visited[k] = true
			m, ok := nodes[k]
			switch {
			case !ok:
				unknown = append(unknown, dn)
			case m.active:
				return true, nil
			case m.group:
				queue = append(queue, k)
			}
		}
	}
	return false, unknown
}

// byDN finds the entries with the given DNs under base that match filter,
// without a search per DN and without a server extension: one OR filter of
// the DNs' first RDNs (uid=alice) per chunk, keeping only the results
// whose DN is one asked for. Keyed by dnKey.
func (s *session) byDN(what, baseAttr, base, filter string, dns []string, attrs []string) (map[string]*goldap.Entry, error) {
	want := map[string]bool{}
	var terms []string
	seenTerm := map[string]bool{}
	for _, dn := range dns {
		parsed, err := goldap.ParseDN(dn)
		if err != nil || len(parsed.RDNs) == 0 {
			continue
		}
		want[dnKey(dn)] = true
		if t := rdnTerm(parsed.RDNs[0]); !seenTerm[t] {
			seenTerm[t] = true
			terms = append(terms, t)
		}
	}
	out := map[string]*goldap.Entry{}
	for start := 0; start < len(terms); start += chunk {
		entries, err := s.search(what, baseAttr, base, and(filter, or(terms[start:min(start+chunk, len(terms))])), attrs)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if k := dnKey(e.DN); want[k] {
				out[k] = e
			}
		}
	}
	return out, nil
}

// successors names, for each person who left, the nearest active manager
// up the chain (manager_attribute), by their first user attribute with a
// value; a level of the chain costs one or two searches for everyone.
func (s *session) successors(gone []*person) (map[string]string, error) {
	c := s.d.cfg
	out := map[string]string{}
	if c.ManagerAttribute == "" {
		return out, nil
	}
	cur := map[string]string{}              // person key: the manager DN to look at
	visited := map[string]map[string]bool{} // person key: manager keys seen (cycles)
	for _, p := range gone {
		if p.manager != "" {
			cur[p.key] = p.manager
			visited[p.key] = map[string]bool{p.key: true}
		}
	}
	for level := 0; level < maxManagers && len(cur) > 0; level++ {
		var dns []string
		seen := map[string]bool{}
		for _, dn := range cur {
			if k := dnKey(dn); !seen[k] {
				seen[k] = true
				dns = append(dns, dn)
			}
		}
		sort.Strings(dns)
		mgrs, err := s.byDN("managers (manager_attribute)", "base_dn", c.BaseDN, c.UserFilter, dns, append(append([]string(nil), c.UserAttributes...), c.ManagerAttribute))
		if err != nil {
			return nil, err
		}
		left := map[string]*goldap.Entry{}
		if c.DisabledFilter != "" && len(mgrs) > 0 {
			var found []string
			for _, e := range mgrs {
				found = append(found, e.DN)
			}
			if left, err = s.byDN("managers who left (disabled_filter)", "base_dn", c.BaseDN, and(c.UserFilter, c.DisabledFilter), found, []string{"1.1"}); err != nil {
				return nil, err
			}
		}
		next := map[string]string{}
		for pk, dn := range cur {
			k := dnKey(dn)
			m := mgrs[k]
			if m == nil || visited[pk][k] {
				continue // no such manager (or a loop): no successor
			}
			visited[pk][k] = true
			if left[k] == nil {
				if name := firstValue(m, c.UserAttributes); name != "" {
					out[pk] = name
				}
				continue
			}
			if up := m.GetEqualFoldAttributeValue(c.ManagerAttribute); up != "" {
				next[pk] = up
			}
		}
		cur = next
	}
	return out, nil
}

func firstValue(e *goldap.Entry, attrs []string) string {
	for _, a := range attrs {
		if v := e.GetEqualFoldAttributeValue(a); v != "" {
			return v
		}
	}
	return ""
}

// dnKey is a DN in a form two spellings of it share (attribute types and
// values lower-cased, multi-valued RDNs sorted, escapes resolved).
func dnKey(dn string) string {
	parsed, err := goldap.ParseDN(dn)
	if err != nil {
		return strings.ToLower(strings.TrimSpace(dn))
	}
	rdns := make([]string, len(parsed.RDNs))
	for i, r := range parsed.RDNs {
		avas := make([]string, len(r.Attributes))
		for j, a := range r.Attributes {
			avas[j] = strings.ToLower(a.Type) + "=" + strings.ToLower(a.Value)
		}
		sort.Strings(avas)
		rdns[i] = strings.Join(avas, "+")
	}
	return strings.Join(rdns, ",")
}
