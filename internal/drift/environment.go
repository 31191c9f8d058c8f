package drift

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/nhi-ops/terraform-provider-nhi/internal/system"
)

// This file holds what needs the whole estate rather than one source:
// environment isolation (NHI015, OWASP NHI8), and the per-identity data a
// report carries so that `drift merge` can run it again over the reports of
// separate runs (the JSON report's "identities", "deliveries" and
// "exceptions").
//
// An identity is used from an environment when it is seen in a source
// labelled with that environment (`environment = "prod"` on the source
// block), or when one of its credentials is delivered into such a source (a
// Secret there records the credential's ID). One identity used from two
// environments is NHI015. Identities are told apart by system, kind,
// reference and the system's uid, so the same "ci/deployer" in two clusters
// is two identities, and one IAM user seen through two sources is one.

// Delivery is a credential found delivered into a source: an object there
// (such as a Secret) that records which credential it holds, by the ID the
// credential's own system gives it (an access key ID). It is matched to
// the identity, in any source, that holds a credential with that ID.
type Delivery struct {
	// Source is the source the delivery was found in.
	Source string `json:"source"`
	// Where names the object holding the credential ("namespace/name").
	Where string `json:"where"`
	// CredentialID is the delivered credential's ID; never its secret.
	CredentialID string `json:"credential_id"`
}

// ScannedCredential is what estate-wide rules need of an active credential.
type ScannedCredential struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
	UID  string `json:"uid,omitempty"`
}

// ScannedIdentity is what estate-wide rules need of one evaluated identity:
// where it was seen, its uid and its active credentials. The JSON report
// lists one per evaluated identity ("identities").
type ScannedIdentity struct {
	IdentityRef
	Credentials []ScannedCredential `json:"credentials,omitempty"`
}

// IdentitySet is a report's evaluated identities, walked once per use: a
// slice for one run, the shard reports read again for a merge (which never
// holds them all).
type IdentitySet interface {
	Len() int
	Each(func(ScannedIdentity) error) error
}

// IdentityList is an IdentitySet held in memory.
type IdentityList []ScannedIdentity

// Len is the number of identities.
func (l IdentityList) Len() int { return len(l) }

// Each calls fn for each identity in order, stopping at its first error.
func (l IdentityList) Each(fn func(ScannedIdentity) error) error {
	for _, id := range l {
		if err := fn(id); err != nil {
			return err
		}
	}
	return nil
}

// Estate is what a report carries for estate-wide rules to run again on a
// merged view: every evaluated identity, the deliveries found, and the
// exceptions of the drift configuration (which also cover the findings
// only the merged view has).
type Estate struct {
	// Identities lists each identity as each source saw it: one seen
	// through two sources is listed twice, so that a report merged again
	// still knows where each identity was seen.
	Identities IdentitySet
	// Distinct is the number of distinct identities, when Identities
	// lists some more than once (a merge); 0 counts Identities.
	Distinct   int
	Deliveries []Delivery
	Exceptions []Exception
}

// ScannedCount is the number of evaluated identities: the distinct ones of
// a merged report, else those of the estate or those in Scanned.
func (r Report) ScannedCount() int {
	switch {
	case r.Estate != nil && r.Estate.Distinct > 0:
		return r.Estate.Distinct
	case r.Estate != nil && r.Estate.Identities != nil:
		return r.Estate.Identities.Len()
	}
	return len(r.Scanned)
}

// exceptionJSON is an exception as the JSON report records it.
type exceptionJSON struct {
	ID       string   `json:"id"`
	Identity string   `json:"identity"`
	Source   string   `json:"source,omitempty"`
	System   string   `json:"system,omitempty"`
	Rules    []string `json:"rules"`
	Reason   string   `json:"reason"`
	Ticket   string   `json:"ticket,omitempty"`
	Expires  string   `json:"expires"`
}

// MarshalJSON writes the exception without its place in the configuration.
func (ex Exception) MarshalJSON() ([]byte, error) {
	rules := ex.Rules
	if rules == nil {
		rules = []string{}
	}
	return json.Marshal(exceptionJSON{ID: ex.ID, Identity: ex.Identity, Source: ex.Source, System: ex.System, Rules: rules,
		Reason: ex.Reason, Ticket: ex.Ticket, Expires: ex.Expires.UTC().Format(time.RFC3339)})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (ex *Exception) UnmarshalJSON(b []byte) error {
	var v exceptionJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	t, err := time.Parse(time.RFC3339, v.Expires)
	if err != nil {
		return fmt.Errorf("exception %q: expires %q is not an RFC 3339 time", v.ID, v.Expires)
	}
	*ex = Exception{ID: v.ID, Identity: v.Identity, Source: v.Source, System: v.System, Rules: v.Rules, Reason: v.Reason, Ticket: v.Ticket, Expires: t}
	return nil
}

// covers reports whether a live exception suppresses f (as Evaluate
// decides it).
func (ex Exception) covers(f Finding) bool {
	if f.Suppressed != nil || f.RuleID == RuleExceptionExpired || !contains(ex.Rules, f.RuleID) {
		return false
	}
	if (ex.System != "" && ex.System != f.Identity.System) || (ex.Source != "" && ex.Source != f.Identity.Source) {
		return false
	}
	ok, _ := path.Match(ex.Identity, f.Identity.ID)
	return ok
}

// Suppress marks the findings that exceptions live at now cover, as
// Evaluate does: for findings made after the evaluation (drift merge's
// estate-wide findings). Expired exceptions suppress nothing; each run that
// had one reported it (NHI011).
func Suppress(fs []Finding, exs []Exception, now time.Time) {
	for _, ex := range exs {
		if !now.Before(ex.Expires) {
			continue
		}
		for i := range fs {
			if ex.covers(fs[i]) {
				fs[i].Suppressed = &Suppression{Exception: ex.ID, Reason: ex.Reason, Ticket: ex.Ticket, Expires: ex.Expires.Format("2006-01-02")}
			}
		}
	}
}

// SortFindings orders findings as reports list them: by severity, rule and
// identity.
func SortFindings(fs []Finding) { sortFindings(fs) }

// EstateSource is one source of the estate, for environment isolation.
type EstateSource struct {
	Name        string
	Environment string
	Location    *Location
}

// Pos is where an identity was read: for one run, the index of its source
// and its index in that source; for a merge, the shard and the identity's
// index in the shard's report.
type Pos struct{ A, B uint32 }

// IdentityKey identifies an identity across sources and runs: a 128-bit
// hash of its system, kind, reference and uid.
type IdentityKey [16]byte

// KeyOf is the identity's key.
func KeyOf(ref IdentityRef) IdentityKey {
	h := fnv.New128a()
	for _, s := range []string{ref.System, ref.Kind, ref.ID, ref.UID} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	var k IdentityKey
	h.Sum(k[:0])
	return k
}

// EnvironmentIndex gathers, one identity at a time, where each identity
// was seen and where its credentials were delivered, keeping per identity
// only a few integers (a merge of a million identities streams them
// through it). It is also the merge's de-duplication: Canonical picks the
// one occurrence of each identity a merged report lists.
type EnvironmentIndex struct {
	systems    *system.Registry
	sources    []EstateSource
	byName     map[string]int32
	deliveries map[string][]int32 // credential ID: indices into dels
	dels       []Delivery
	ids        map[IdentityKey]envEntry
	more       [][]int32 // further sources of identities seen in several
	matched    map[IdentityKey][]deliveryMatch
	// refs holds the kept occurrence's reference of the identities that
	// may be NHI015 (seen in two sources, or with a delivered credential),
	// so that a merge need not read the reports again to name them.
	refs map[IdentityKey]IdentityRef
}

type envEntry struct {
	first int32 // source of the first occurrence
	more  int32 // index into more; -1 when seen in one source
	min   int32 // source of the kept occurrence: the smallest source name
	pos   Pos   // where the kept occurrence was read
}

type deliveryMatch struct {
	kind string // the credential's kind
	del  int32
}

// NewEnvironmentIndex starts an index over sources (a name given twice is
// one source: the first gives its environment) and the deliveries found in
// them.
func NewEnvironmentIndex(systems *system.Registry, sources []EstateSource, deliveries []Delivery) *EnvironmentIndex {
	x := &EnvironmentIndex{systems: systems, byName: map[string]int32{}, deliveries: map[string][]int32{},
		ids: map[IdentityKey]envEntry{}, matched: map[IdentityKey][]deliveryMatch{}, refs: map[IdentityKey]IdentityRef{}}
	for _, s := range sources {
		x.source(s)
	}
	x.AddDeliveries(deliveries)
	return x
}

// AddDeliveries adds deliveries learnt after identities were added (a
// merge reads every report's before it matches them): Match then looks at
// each identity's credentials.
func (x *EnvironmentIndex) AddDeliveries(deliveries []Delivery) {
	for _, d := range deliveries {
		if d.CredentialID == "" {
			continue
		}
		x.deliveries[d.CredentialID] = append(x.deliveries[d.CredentialID], int32(len(x.dels)))
		x.dels = append(x.dels, d)
	}
}

// Deliveries reports whether any delivery is known.
func (x *EnvironmentIndex) Deliveries() bool { return len(x.dels) > 0 }

// AddSource adds a source after the index was made (a merge learns each
// report's sources as it reads it); a name already known keeps its first
// environment.
func (x *EnvironmentIndex) AddSource(s EstateSource) { x.source(s) }

func (x *EnvironmentIndex) source(s EstateSource) int32 {
	if i, ok := x.byName[s.Name]; ok {
		return i
	}
	i := int32(len(x.sources))
	x.sources = append(x.sources, s)
	x.byName[s.Name] = i
	return i
}

// Add records one occurrence of an identity, read at pos.
func (x *EnvironmentIndex) Add(id ScannedIdentity, pos Pos) {
	k := KeyOf(id.IdentityRef)
	s := x.source(EstateSource{Name: id.Source})
	e, ok := x.ids[k]
	if !ok {
		e = envEntry{first: s, more: -1, min: s, pos: pos}
	} else {
		if s != e.first && (e.more < 0 || !containsInt(x.more[e.more], s)) {
			if e.more < 0 {
				e.more = int32(len(x.more))
				x.more = append(x.more, nil)
			}
			x.more[e.more] = append(x.more[e.more], s)
		}
		if x.sources[s].Name < x.sources[e.min].Name {
			e.min, e.pos = s, pos
			x.refs[k] = id.IdentityRef
		}
		if e.more >= 0 {
			x.keepRef(k, e, id.IdentityRef)
		}
	}
	x.ids[k] = e
	x.match(k, id)
}

// keepRef records the kept occurrence's reference of a possible NHI015.
// The identity's fields are those of every occurrence (the key is made of
// them); only the source may be another: the kept occurrence's.
func (x *EnvironmentIndex) keepRef(k IdentityKey, e envEntry, ref IdentityRef) {
	if _, ok := x.refs[k]; !ok {
		ref.Source = x.sources[e.min].Name
		x.refs[k] = ref
	}
}

// Match records where the credentials of an identity added earlier were
// delivered.
func (x *EnvironmentIndex) Match(id ScannedIdentity) {
	if len(x.deliveries) > 0 && len(id.Credentials) > 0 {
		x.match(KeyOf(id.IdentityRef), id)
	}
}

func (x *EnvironmentIndex) match(k IdentityKey, id ScannedIdentity) {
	if len(x.deliveries) == 0 {
		return
	}
	for _, c := range id.Credentials {
		for _, d := range x.deliveries[c.ID] {
			if !containsMatch(x.matched[k], d) {
				x.matched[k] = append(x.matched[k], deliveryMatch{kind: c.Kind, del: d})
			}
		}
	}
	if _, ok := x.matched[k]; ok {
		if e, ok := x.ids[k]; ok {
			x.keepRef(k, e, id.IdentityRef)
		}
	}
}

func containsMatch(in []deliveryMatch, d int32) bool {
	for _, m := range in {
		if m.del == d {
			return true
		}
	}
	return false
}

func containsInt(in []int32, v int32) bool {
	for _, x := range in {
		if x == v {
			return true
		}
	}
	return false
}

// Len is the number of distinct identities added.
func (x *EnvironmentIndex) Len() int { return len(x.ids) }

// Canonical reports whether the occurrence of ref read at pos is the one a
// merged view keeps: the one in the source with the smallest name (the
// first of those when one source was read twice).
func (x *EnvironmentIndex) Canonical(ref IdentityRef, pos Pos) bool {
	e, ok := x.ids[KeyOf(ref)]
	return ok && e.pos == pos
}

// Has reports whether an identity with this key was added.
func (x *EnvironmentIndex) Has(k IdentityKey) bool {
	_, ok := x.ids[k]
	return ok
}

// EnvironmentHit is an identity used from more than one environment.
type EnvironmentHit struct {
	// Pos is where the occurrence the finding names was read.
	Pos Pos
	// Source is that occurrence's source.
	Source EstateSource
	// Ref names the identity as that occurrence does.
	Ref IdentityRef
	// uses lists, per environment, how the identity is used there.
	uses map[string][]string
}

// Hits returns the identities used from more than one environment,
// ordered by where they were read.
func (x *EnvironmentIndex) Hits() []EnvironmentHit {
	var out []EnvironmentHit
	for k, e := range x.ids {
		m := x.matched[k]
		if e.more < 0 && len(m) == 0 {
			continue
		}
		uses := map[string][]string{}
		add := func(env, use string) {
			if env != "" && !contains(uses[env], use) {
				uses[env] = append(uses[env], use)
			}
		}
		srcs := []int32{e.first}
		if e.more >= 0 {
			srcs = append(srcs, x.more[e.more]...)
		}
		for _, s := range srcs {
			add(x.sources[s].Environment, fmt.Sprintf("source %q", x.sources[s].Name))
		}
		for _, dm := range m {
			d := x.dels[dm.del]
			env := ""
			if i, ok := x.byName[d.Source]; ok {
				env = x.sources[i].Environment
			}
			add(env, fmt.Sprintf("%s %s delivered to %s in source %q", x.systems.CredentialLabel(dm.kind), d.CredentialID, d.Where, d.Source))
		}
		if len(uses) < 2 {
			continue
		}
		for _, u := range uses {
			sort.Strings(u)
		}
		out = append(out, EnvironmentHit{Pos: e.pos, Source: x.sources[e.min], Ref: x.refs[k], uses: uses})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Pos.A != out[j].Pos.A {
			return out[i].Pos.A < out[j].Pos.A
		}
		return out[i].Pos.B < out[j].Pos.B
	})
	return out
}

// Message is the finding's message for the identity ref.
func (x *EnvironmentIndex) Message(h EnvironmentHit, ref IdentityRef) string {
	envs := make([]string, 0, len(h.uses))
	for env := range h.uses {
		envs = append(envs, env)
	}
	sort.Strings(envs)
	parts := make([]string, len(envs))
	for i, env := range envs {
		parts[i] = fmt.Sprintf("%s (%s)", env, strings.Join(h.uses[env], "; "))
	}
	return fmt.Sprintf("%s %s is used from %d environments: %s", x.systems.KindLabel(ref.Kind), ref.ID, len(envs), strings.Join(parts, ", "))
}

// environmentKey is NHI015's finding key: one finding per identity.
const environmentKey = "environments"

// EnvironmentFinding is NHI015 on ref, for a merge (Evaluate makes its own
// through the evaluator, with the resource block's location when known).
func (x *EnvironmentIndex) EnvironmentFinding(h EnvironmentHit, ref IdentityRef) Finding {
	ru, _ := RuleByID(RuleEnvironment)
	return Finding{RuleID: ru.ID, Severity: ru.Severity, OWASP: ru.OWASP, Identity: ref, Message: x.Message(h, ref),
		Remediation: ru.Remediation, Location: h.Source.Location, Fingerprint: fingerprint(ru.ID, ref, environmentKey), key: environmentKey}
}

// environments reports NHI015 over the sources of one run, and records the
// run's estate in the report. The index is only built when some source has
// an environment: without one nothing can be reported.
func (e *evaluator) environments() {
	labelled := false
	var srcs []EstateSource
	var dels []Delivery
	for _, s := range e.in.Sources {
		srcs = append(srcs, EstateSource{Name: s.Name, Environment: s.Environment, Location: s.Location})
		labelled = labelled || s.Environment != ""
		for _, d := range s.Deliveries {
			d.Source = s.Name
			dels = append(dels, d)
		}
	}
	var x *EnvironmentIndex
	if labelled {
		x = NewEnvironmentIndex(e.in.Systems, srcs, dels)
	}
	list := IdentityList{}
	for si, s := range e.in.Sources {
		for ii, id := range s.Identities {
			id = e.govern(id)
			if !id.Declared && e.in.Systems.Exclusion(id) != "" {
				continue
			}
			sid := ScannedIdentity{IdentityRef: e.ref(s, id)}
			for _, c := range id.Credentials {
				if !c.Inactive {
					sid.Credentials = append(sid.Credentials, ScannedCredential{Kind: c.Kind, ID: c.ID, UID: c.UID})
				}
			}
			list = append(list, sid)
			if x != nil {
				x.Add(sid, Pos{uint32(si), uint32(ii)})
			}
		}
	}
	e.report.Estate = &Estate{Identities: list, Deliveries: dels, Exceptions: e.in.Exceptions}
	if x == nil {
		return
	}
	for _, h := range x.Hits() {
		src := e.in.Sources[h.Pos.A]
		id := e.govern(src.Identities[h.Pos.B])
		ref := e.ref(src, id)
		e.srcLoc = src.Location
		e.add(RuleEnvironment, "", ref, environmentKey, x.Message(h, ref), locOr(src.Location, id.Declared))
	}
}
