package drift

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/system"
)

// Policy is the reporter's policy: the provider's, plus risk thresholds.
type Policy struct {
	nhi.Policy
	// StaleAfter: an unused identity older than this is stale (NHI009).
	StaleAfter time.Duration
	// PrivilegedScopes are globs of scopes that are privileged (NHI008).
	PrivilegedScopes []string
}

// DefaultPolicy returns the documented defaults; the privileged scopes are
// the systems' own (system.Descriptor.PrivilegedScopes), in registration
// order.
func DefaultPolicy(systems *system.Registry) Policy {
	return Policy{
		Policy:           nhi.DefaultPolicy(),
		StaleAfter:       45 * 24 * time.Hour,
		PrivilegedScopes: systems.PrivilegedScopes(),
	}
}

// Location is a place in a file, 1-based.
type Location struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Column int    `json:"column"`
}

// Source is one scanned system.
type Source struct {
	Name   string
	System string
	// Locations is what was scanned (namespaces); empty means everything.
	Locations []string
	// Err is set when the scan was incomplete; Identities may be partial.
	Err        error
	Identities []nhi.Identity
	// Location is the source block in the drift configuration.
	Location *Location
	// Environment is the source's environment label ("prod"), empty when
	// it has none (environment.go).
	Environment string
	// Deliveries are credentials of other sources found delivered here.
	Deliveries []Delivery
}

// Declaration is an identity, or a credential, declared in Terraform
// state.
//
// State names no source, so a declaration is matched to what the sources
// found by what the state recorded: one with a UID (the Kubernetes uid or
// IAM unique_id the provider wrote into state) is the one identity with that
// UID, in whichever source it is; one without a UID (a hand-written state,
// or an identity whose system gives none) matches an identity of its system
// with the same reference in any source. Two clusters or AWS accounts that
// each have "ci/deployer" are therefore told apart whenever the state
// records UIDs, as the provider's resources do. A credential declaration
// (a token Secret) matches a scanned credential by UID when both have one,
// else by ID, so two clusters' Secrets of the same name stay apart too.
type Declaration struct {
	Address string
	System  string
	// Kind is the identity's kind, or the credential's kind when
	// Credential is set (system.Kind.Kind, system.CredentialKind.Kind).
	Kind string
	// Credential is set for a declaration of a credential (a resource type
	// of a system.CredentialKind, such as a governed token Secret) rather
	// than of an identity.
	Credential bool
	// ID is the identity's reference ("namespace/name", "user/name"), or
	// the credential's ID ("namespace/secret-name").
	ID string
	// UID is the system's stable identifier as recorded in state; empty
	// when the state has none.
	UID string
	// Governance is what the declaration says, for a kind whose
	// governance lives in the state rather than on the identity
	// (system.Kind.GovernedInState); nil otherwise.
	Governance *nhi.Governance
}

// IsCredential reports whether the declaration is of a credential rather
// than an identity.
func (d Declaration) IsCredential() bool { return d.Credential }

// Exception is a reviewed, time-boxed decision to accept findings.
type Exception struct {
	ID       string
	Identity string // glob over the identity ID ("namespace/name")
	// Source and System, when set, limit the exception to the identities
	// of that source or system; empty matches any.
	Source   string
	System   string
	Rules    []string
	Reason   string
	Ticket   string
	Expires  time.Time
	Location *Location
}

// Input is everything one evaluation needs.
type Input struct {
	// Systems names kinds and credentials for people, and gives each
	// system's default exclusions and credential kinds.
	Systems    *system.Registry
	Now        time.Time
	Policy     Policy
	Sources    []Source
	Owners     *Owners // nil: only a missing owner and owner_pattern are flagged
	Exceptions []Exception
	// StateGiven enables NHI002 and NHI012.
	StateGiven bool
	// Declarations are what the given states declare; see Declaration for
	// how they are matched to the sources.
	Declarations []Declaration
	// ResourceLocations maps "system:id" to the resource block declaring it.
	ResourceLocations map[string]Location
}

// IdentityRef names an identity in a finding.
type IdentityRef struct {
	System string `json:"system"`
	Source string `json:"source"`
	Kind   string `json:"kind"`
	ID     string `json:"id"`
	Name   string `json:"name"`
	Owner  string `json:"owner"`
	// UID is the system's stable identifier of the identity (or, for
	// NHI002, the one the state records), where there is one. It is not
	// part of the fingerprint; drift merge tells identities apart by it.
	UID string `json:"uid,omitempty"`
}

// Suppression records the exception that accepted a finding.
type Suppression struct {
	Exception string `json:"exception"`
	Reason    string `json:"reason"`
	Ticket    string `json:"ticket,omitempty"`
	Expires   string `json:"expires"`
}

// Finding is one rule broken by one identity.
type Finding struct {
	RuleID      string       `json:"rule_id"`
	Severity    Severity     `json:"severity"`
	OWASP       string       `json:"owasp"`
	Identity    IdentityRef  `json:"identity"`
	Message     string       `json:"message"`
	Remediation string       `json:"remediation"`
	Location    *Location    `json:"location,omitempty"`
	Fingerprint string       `json:"fingerprint"`
	Suppressed  *Suppression `json:"suppressed,omitempty"`
	// BaselineState and BaselinePrevious compare it with --baseline
	// (baseline.go); empty without one.
	BaselineState    BaselineState     `json:"baseline_state,omitempty"`
	BaselinePrevious *BaselinePrevious `json:"baseline_previous,omitempty"`
	// key distinguishes several findings of one rule on one identity.
	key string
}

// SourceStatus says whether a source was scanned completely.
type SourceStatus struct {
	Name       string `json:"name"`
	System     string `json:"system"`
	Complete   bool   `json:"complete"`
	Error      string `json:"error,omitempty"`
	Identities int    `json:"identities"`
	// Environment and Location are the source block's (environment.go).
	Environment string    `json:"environment,omitempty"`
	Location    *Location `json:"location,omitempty"`
}

// Report is the outcome of one evaluation.
type Report struct {
	Complete    bool           `json:"complete"`
	EvaluatedAt time.Time      `json:"evaluated_at"`
	Sources     []SourceStatus `json:"sources"`
	Findings    []Finding      `json:"findings"`
	// Excluded lists identities left out by default exclusions.
	Excluded []ExcludedIdentity `json:"excluded"`
	// Owners says whether the owner directory was read; nil without one.
	Owners *OwnersStatus `json:"owners,omitempty"`
	// Scanned lists every evaluated identity (for JUnit), sorted.
	Scanned []IdentityRef `json:"-"`
	// Baseline is the comparison with --baseline (Compare); nil without.
	Baseline *BaselineResult `json:"-"`
	// Estate is what estate-wide rules need to run again over merged
	// reports (environment.go); the JSON report carries it.
	Estate *Estate `json:"-"`
}

// ExcludedIdentity is an identity the reporter did not evaluate, and why.
type ExcludedIdentity struct {
	Identity IdentityRef `json:"identity"`
	Reason   string      `json:"reason"`
}

// Evaluate applies every rule to the input.
func Evaluate(in Input) Report {
	r := Report{Complete: true, EvaluatedAt: in.Now.UTC()}
	e := evaluator{in: in, report: &r, state: indexState(in.Declarations), governed: indexGoverned(in.Declarations)}
	seen := newFound()
	if o := in.Owners; o != nil {
		r.Owners = &OwnersStatus{Directory: o.Directory, Complete: o.Err == nil}
		if o.Err != nil {
			r.Owners.Error, r.Complete = o.Err.Error(), false
		}
	}
	for _, src := range in.Sources {
		st := SourceStatus{Name: src.Name, System: src.System, Complete: src.Err == nil, Identities: len(src.Identities), Environment: src.Environment, Location: src.Location}
		if src.Err != nil {
			st.Error = src.Err.Error()
			r.Complete = false
		}
		r.Sources = append(r.Sources, st)
		for _, id := range src.Identities {
			id = e.govern(id)
			seen.add(src.Name, id)
			ref := e.ref(src, id)
			if !id.Declared {
				if reason := in.Systems.Exclusion(id); reason != "" {
					r.Excluded = append(r.Excluded, ExcludedIdentity{Identity: ref, Reason: reason})
					continue
				}
			}
			r.Scanned = append(r.Scanned, ref)
			e.identity(src, id, ref)
		}
	}
	if in.StateGiven {
		e.missing(seen)
	}
	e.environments()
	e.exceptions()
	sortFindings(r.Findings)
	sort.Slice(r.Scanned, func(i, j int) bool { return refKey(r.Scanned[i]) < refKey(r.Scanned[j]) })
	sort.Slice(r.Excluded, func(i, j int) bool { return refKey(r.Excluded[i].Identity) < refKey(r.Excluded[j].Identity) })
	return r
}

type evaluator struct {
	in     Input
	report *Report
	state  stateIndex
	// governed holds the declarations of kinds whose governance lives in
	// state (governed.go).
	governed map[string]Declaration
	// srcLoc is the source block of the identity being evaluated, the
	// fallback location of its findings.
	srcLoc *Location
}

func (e *evaluator) ref(src Source, id nhi.Identity) IdentityRef {
	return IdentityRef{System: id.System, Source: src.Name, Kind: id.Kind, ID: id.Ref.String(), Name: id.Ref.Name, Owner: id.Governance.Owner, UID: id.ID}
}

func (e *evaluator) add(rule string, sev Severity, ref IdentityRef, key, msg string, loc *Location) {
	ru, _ := RuleByID(rule)
	if sev == "" {
		sev = ru.Severity
	}
	if loc == nil {
		if l, ok := e.in.ResourceLocations[ref.System+":"+ref.ID]; ok {
			loc = &l
		} else {
			loc = e.srcLoc
		}
	}
	e.report.Findings = append(e.report.Findings, Finding{
		RuleID: rule, Severity: sev, OWASP: ru.OWASP, Identity: ref, Message: msg,
		Remediation: ru.Remediation, Location: loc, key: key,
		Fingerprint: fingerprint(rule, ref, key),
	})
}

// fingerprint is stable across runs: it depends only on the rule, where the
// identity lives and what the finding is about, never on time or wording.
func fingerprint(rule string, ref IdentityRef, key string) string {
	h := sha256.Sum256([]byte(strings.Join([]string{rule, ref.System, ref.Source, ref.Kind, ref.ID, key}, "\x00")))
	return hex.EncodeToString(h[:16])
}

func matchAny(patterns []string, scope string) string {
	for _, p := range patterns {
		if nhi.MatchScope(p, scope) {
			return p
		}
	}
	return ""
}

// privileged returns the identity's privileged scopes with why.
func (e *evaluator) privileged(id nhi.Identity) []string {
	wild := map[string]bool{}
	for _, s := range id.WildcardScopes {
		wild[s] = true
	}
	var out []string
	for _, s := range id.EffectiveScopes {
		switch {
		case e.in.Policy.ForbiddenMatch(s) != "":
			out = append(out, s+" (forbidden by policy)")
		case matchAny(e.in.Policy.PrivilegedScopes, s) != "":
			out = append(out, s)
		case wild[s]:
			out = append(out, s+" (grants every verb on every resource)")
		case id.PrivilegedWhy[s] != "":
			out = append(out, s+" ("+id.PrivilegedWhy[s]+")")
		}
	}
	return out
}

func (e *evaluator) identity(src Source, id nhi.Identity, ref IdentityRef) {
	now, pol := e.in.Now, e.in.Policy
	priv := e.privileged(id)
	loc := src.Location
	e.srcLoc = src.Location

	if !id.Declared {
		// A kind no resource can declare is not NHI001: its credentials
		// are judged below all the same.
		if Declarable(e.in.Systems, id) {
			sev, extra := SeverityMedium, ""
			if len(priv) > 0 {
				sev, extra = SeverityHigh, "; it holds privileged scopes"
			}
			e.add(RuleUndeclared, sev, ref, "", fmt.Sprintf("%s %s exists in source %q but is not declared%s", e.kindName(id.Kind), ref.ID, src.Name, extra), loc)
		}
	} else {
		declared := id.Governance.Scopes
		if id.Disabled {
			declared = nil
		}
		if extra, missing := nhi.ScopeDiff(declared, id.EffectiveScopes); len(extra)+len(missing) > 0 {
			sev, parts := SeverityMedium, []string{}
			if len(extra) > 0 {
				sev = SeverityHigh
				parts = append(parts, "holds undeclared "+strings.Join(extra, ", "))
			}
			if len(missing) > 0 {
				parts = append(parts, "lacks declared "+strings.Join(missing, ", "))
			}
			e.add(RuleScopeDrift, sev, ref, "", fmt.Sprintf("%s %s %s", e.kindName(id.Kind), ref.ID, strings.Join(parts, " and ")), nil)
		}
		if exp := id.Governance.ExpiresAt; !exp.IsZero() {
			switch nhi.Phase(now, exp, pol.WarnBefore) {
			case nhi.PhaseExpired:
				if access, ok := e.stillHasAccess(id); ok {
					e.add(RuleExpired, "", ref, "", fmt.Sprintf("%s %s expired at %s (%s ago) and %s",
						e.kindName(id.Kind), ref.ID, nhi.FormatTime(exp), nhi.HumanDuration(exp.Sub(now)), access), nil)
				}
			case nhi.PhaseExpiring:
				e.add(RuleExpiring, "", ref, "", fmt.Sprintf("%s %s expires at %s, in %s", e.kindName(id.Kind), ref.ID, nhi.FormatTime(exp), nhi.HumanDuration(exp.Sub(now))), nil)
			}
			if pol.LifetimeExceeded(now, exp) {
				e.add(RuleLongLived, "", ref, "lifetime", fmt.Sprintf("%s %s is declared to live until %s, beyond max_lifetime %s",
					e.kindName(id.Kind), ref.ID, nhi.FormatTime(exp), nhi.FormatDuration(pol.MaxLifetime)), nil)
			}
		}
		switch owner := strings.TrimSpace(id.Governance.Owner); {
		case owner == "":
			e.add(RuleOrphanedOwner, "", ref, "", fmt.Sprintf("%s %s is declared without an owner", e.kindName(id.Kind), ref.ID), nil)
		case !pol.OwnerAllowed(owner):
			e.add(RuleOrphanedOwner, "", ref, "", fmt.Sprintf("%s %s is owned by %q, which does not match the policy's owner_pattern", e.kindName(id.Kind), ref.ID, owner), nil)
		default:
			if st, gone := e.in.Owners.gone(owner); gone {
				e.add(RuleOrphanedOwner, "", ref, "", orphanedMessage(e.kindName(id.Kind)+" "+ref.ID, owner, st, e.in.Owners.Directory), nil)
			}
		}
	}

	active := map[string][]string{} // active credentials per kind
	for _, c := range id.Credentials {
		if c.Inactive {
			continue
		}
		active[c.Kind] = append(active[c.Kind], c.ID)
		neverExpires := c.NeverExpires || e.neverExpires(id.System, c.Kind)
		e.expiredCredential(id, ref, c, loc)
		e.credentialOwner(id, ref, c, locOr(loc, id.Declared))
		switch {
		case neverExpires && !c.Declared:
			e.add(RuleLongLived, "", ref, "credential:"+c.ID, fmt.Sprintf("%s %s has a %s %s that never expires", e.kindName(id.Kind), ref.ID, e.credentialName(c.Kind), c.ID), locOr(loc, id.Declared))
		case neverExpires && e.in.StateGiven && !e.state.declaresCredential(id.System, c):
			// The markers say the provider manages it, but no state does:
			// markers anyone can write do not make a credential governed.
			e.add(RuleLongLived, "", ref, "credential:"+c.ID, fmt.Sprintf("%s %s has a %s %s that never expires: it carries the provider's markers but is in none of the given Terraform states",
				e.kindName(id.Kind), ref.ID, e.credentialName(c.Kind), c.ID), locOr(loc, id.Declared))
		case pol.CredentialOverdue(now, c.CreatedAt):
			e.add(RuleLongLived, "", ref, "credential:"+c.ID, fmt.Sprintf("%s %s has %s %s created %s ago, older than max_credential_age %s",
				e.kindName(id.Kind), ref.ID, e.credentialName(c.Kind), c.ID, nhi.HumanDuration(now.Sub(c.CreatedAt)), nhi.FormatDuration(pol.MaxCredentialAge)), locOr(loc, id.Declared))
		case !c.Declared && c.ExpiresAt != nil && pol.LifetimeExceeded(now, *c.ExpiresAt):
			// A credential with an expiry of its own set further away than
			// max_lifetime (a fine-grained token valid for years).
			e.add(RuleLongLived, "", ref, "credential:"+c.ID, fmt.Sprintf("%s %s has %s %s that expires at %s, beyond max_lifetime %s",
				e.kindName(id.Kind), ref.ID, e.credentialName(c.Kind), c.ID, nhi.FormatTime(*c.ExpiresAt), nhi.FormatDuration(pol.MaxLifetime)), locOr(loc, id.Declared))
		}
		if c.UsageKnown && pol.StaleAfter > 0 {
			switch {
			case c.LastUsedAt != nil && now.Sub(*c.LastUsedAt) > pol.StaleAfter:
				e.add(RuleStale, "", ref, "credential:"+c.ID, fmt.Sprintf("%s %s of %s %s was last used %s ago (stale_after %s)",
					e.credentialName(c.Kind), c.ID, e.kindName(id.Kind), ref.ID, nhi.HumanDuration(now.Sub(*c.LastUsedAt)), nhi.FormatDuration(pol.StaleAfter)), locOr(loc, id.Declared))
			case c.LastUsedAt == nil && !c.CreatedAt.IsZero() && now.Sub(c.CreatedAt) > pol.StaleAfter:
				e.add(RuleStale, "", ref, "credential:"+c.ID, fmt.Sprintf("%s %s of %s %s was never used and was created %s ago (stale_after %s)",
					e.credentialName(c.Kind), c.ID, e.kindName(id.Kind), ref.ID, nhi.HumanDuration(now.Sub(c.CreatedAt)), nhi.FormatDuration(pol.StaleAfter)), locOr(loc, id.Declared))
			}
		}
	}
	for _, kind := range nhi.SortedKeys(active) {
		if ids := active[kind]; len(ids) > 1 && !e.neverExpires(id.System, kind) {
			sort.Strings(ids)
			e.add(RuleMultipleActiveKeys, "", ref, "kind:"+kind, fmt.Sprintf("%s %s has %d active %ss: %s", e.kindName(id.Kind), ref.ID, len(ids), e.credentialName(kind), strings.Join(ids, ", ")), locOr(loc, id.Declared))
		}
	}
	for _, t := range id.Trusts {
		if !t.Unrestricted {
			continue
		}
		sev := SeverityHigh
		if t.PublicIssuer {
			sev = SeverityCritical
		}
		e.add(RuleOpenFederatedTrust, sev, ref, "trust:"+t.Principal, fmt.Sprintf("%s %s trusts OIDC issuer %s: %s", e.kindName(id.Kind), ref.ID, t.Issuer, t.Reason), locOr(loc, id.Declared))
	}
	if len(priv) > 0 {
		e.add(RulePrivileged, "", ref, "", fmt.Sprintf("%s %s holds privileged scopes: %s", e.kindName(id.Kind), ref.ID, strings.Join(priv, ", ")), locOr(loc, id.Declared))
	}
	e.capabilities(id, ref, loc)
	if id.UsageKnown {
		switch {
		case len(id.UsedBy) == 0 && pol.StaleAfter > 0 && !id.CreatedAt.IsZero() && now.Sub(id.CreatedAt) > pol.StaleAfter:
			e.add(RuleStale, "", ref, "", fmt.Sprintf("no workload runs as %s %s, created %s ago (stale_after %s)",
				e.kindName(id.Kind), ref.ID, nhi.HumanDuration(now.Sub(id.CreatedAt)), nhi.FormatDuration(pol.StaleAfter)), locOr(loc, id.Declared))
		case len(id.UsedBy) > 1:
			e.add(RuleReused, "", ref, "", fmt.Sprintf("%s %s is used by %d workloads: %s", e.kindName(id.Kind), ref.ID, len(id.UsedBy), strings.Join(id.UsedBy, ", ")), locOr(loc, id.Declared))
		}
	}
	e.staleByLastUse(id, ref, loc)
	if id.Declared && e.in.StateGiven && !e.state.declares(id) {
		msg := fmt.Sprintf("%s %s carries the managed marker but is in none of the given Terraform states", e.kindName(id.Kind), ref.ID)
		if d, ok := e.state.sameRef(id); ok {
			msg += fmt.Sprintf(" (%s declares a %s of that name with uid %s, and this one has uid %s: another object, in another source or recreated out of band)", d.Address, e.kindName(d.Kind), d.UID, id.ID)
		}
		e.add(RuleOrphanedDeclaration, "", ref, "", msg, loc)
	}
}

// expiredCredential reports a credential past its own expiry (a database
// password past VALID UNTIL) that is still switched on while its identity
// still holds grants: the system refuses that credential, but not every
// way in (certificates, peer or trust authentication), so the access is
// still there. A declared identity that is itself expired is reported
// once, by its own expiry.
func (e *evaluator) expiredCredential(id nhi.Identity, ref IdentityRef, c nhi.Credential, loc *Location) {
	now := e.in.Now
	if c.ExpiresAt == nil || !now.After(*c.ExpiresAt) || len(id.EffectiveScopes) == 0 || id.Disabled {
		return
	}
	if exp := id.Governance.ExpiresAt; id.Declared && !exp.IsZero() && !now.Before(exp) {
		return
	}
	e.add(RuleExpired, "", ref, "credential:"+c.ID, fmt.Sprintf("%s %s of %s %s expired at %s (%s ago) but is still active while the identity holds %s; its expiry stops this credential, not other ways of signing in",
		e.credentialName(c.Kind), c.ID, e.kindName(id.Kind), ref.ID, nhi.FormatTime(*c.ExpiresAt), nhi.HumanDuration(c.ExpiresAt.Sub(now)), strings.Join(id.EffectiveScopes, ", ")), locOr(loc, id.Declared))
}

// locOr points undeclared identities at their source block; declared ones
// get their resource block from ResourceLocations.
func locOr(loc *Location, declared bool) *Location {
	if declared {
		return nil
	}
	return loc
}

func stateKey(parts ...string) string { return strings.Join(parts, "\x00") }

// stateIndex answers "does a state declare this?" in constant time; see
// Declaration for the matching rule.
type stateIndex struct {
	byUID map[string]bool // system, UID: identity declarations with a UID
	// byRefNoUID holds identity declarations without a UID: they match by
	// reference in any source of their system.
	byRefNoUID map[string]bool
	// byRef holds every identity declaration by reference, for identities
	// whose system gives no ID, and for messages.
	byRef map[string]Declaration
	// Credential declarations: credByUID (system, kind, UID) holds those
	// with a UID, credByIDNoUID (system, kind, ID) those without, and
	// credByID (system, kind, ID) all of them. A scanned credential with a
	// UID matches by UID, or by ID a declaration without one; one without
	// a UID matches by ID. So two clusters' token Secrets of the same name
	// do not mask each other when the state records the Secret's uid.
	credByUID, credByIDNoUID, credByID map[string]bool
}

func indexState(decls []Declaration) stateIndex {
	ix := stateIndex{byUID: map[string]bool{}, byRefNoUID: map[string]bool{}, byRef: map[string]Declaration{},
		credByUID: map[string]bool{}, credByIDNoUID: map[string]bool{}, credByID: map[string]bool{}}
	for _, d := range decls {
		switch {
		case d.IsCredential():
			ix.credByID[stateKey(d.System, d.Kind, d.ID)] = true
			if d.UID != "" {
				ix.credByUID[stateKey(d.System, d.Kind, d.UID)] = true
			} else {
				ix.credByIDNoUID[stateKey(d.System, d.Kind, d.ID)] = true
			}
			continue
		case d.UID != "":
			ix.byUID[stateKey(d.System, d.UID)] = true
		default:
			ix.byRefNoUID[stateKey(d.System, d.ID)] = true
		}
		if _, dup := ix.byRef[stateKey(d.System, d.ID)]; !dup {
			ix.byRef[stateKey(d.System, d.ID)] = d
		}
	}
	return ix
}

// declares reports whether some state declares the identity.
func (ix stateIndex) declares(id nhi.Identity) bool {
	ref := stateKey(id.System, id.Ref.String())
	if id.ID == "" {
		_, ok := ix.byRef[ref]
		return ok
	}
	return ix.byUID[stateKey(id.System, id.ID)] || ix.byRefNoUID[ref]
}

// declaresCredential reports whether some state declares the credential c
// of an identity of system sys: by UID when both the declaration and c have
// one, else by ID.
func (ix stateIndex) declaresCredential(sys string, c nhi.Credential) bool {
	if c.UID == "" {
		return ix.credByID[stateKey(sys, c.Kind, c.ID)]
	}
	return ix.credByUID[stateKey(sys, c.Kind, c.UID)] || ix.credByIDNoUID[stateKey(sys, c.Kind, c.ID)]
}

// sameRef returns a declaration with the identity's reference but another
// UID, to explain an NHI012.
func (ix stateIndex) sameRef(id nhi.Identity) (Declaration, bool) {
	d, ok := ix.byRef[stateKey(id.System, id.Ref.String())]
	return d, ok && d.UID != "" && id.ID != "" && d.UID != id.ID
}

// found indexes what the sources found, by source as well as by system, so
// identities of two sources with the same reference stay apart.
type found struct {
	byUID map[string]bool // system, ID
	// byRef lists, per system and reference, the sources that have such an
	// identity and its ID there.
	byRef map[string][]foundAt
}

type foundAt struct{ source, id string }

func newFound() found { return found{byUID: map[string]bool{}, byRef: map[string][]foundAt{}} }

func (f found) add(source string, id nhi.Identity) {
	if id.ID != "" {
		f.byUID[stateKey(id.System, id.ID)] = true
	}
	k := stateKey(id.System, id.Ref.String())
	f.byRef[k] = append(f.byRef[k], foundAt{source, id.ID})
}

// has reports whether some source has the declared identity.
func (f found) has(d Declaration) bool {
	at := f.byRef[stateKey(d.System, d.ID)]
	if d.UID == "" {
		return len(at) > 0
	}
	if f.byUID[stateKey(d.System, d.UID)] {
		return true
	}
	for _, a := range at {
		if a.id == "" { // the system gave no ID: the reference decides
			return true
		}
	}
	return false
}

// missing reports declarations that no complete source that covers them
// has found. A declaration outside every scanned location is not judged.
func (e *evaluator) missing(seen found) {
	for _, d := range e.in.Declarations {
		if d.IsCredential() || seen.has(d) {
			continue
		}
		var by []Source
		for _, src := range e.in.Sources {
			if src.System == d.System && src.Err == nil && covers(src.Locations, d.ID) {
				by = append(by, src)
			}
		}
		if len(by) == 0 {
			continue
		}
		// By name, so that the finding's source (and fingerprint) does not
		// depend on the order of the source blocks.
		sort.SliceStable(by, func(i, j int) bool { return by[i].Name < by[j].Name })
		name := d.ID
		if i := strings.LastIndex(name, "/"); i >= 0 {
			name = name[i+1:]
		}
		ref := IdentityRef{System: d.System, Source: by[0].Name, Kind: d.Kind, ID: d.ID, Name: name, UID: d.UID}
		e.srcLoc = by[0].Location
		where := fmt.Sprintf("source %q", by[0].Name)
		if len(by) > 1 {
			names := make([]string, len(by))
			for i, s := range by {
				names[i] = fmt.Sprintf("%q", s.Name)
			}
			where = "any of the sources " + strings.Join(names, ", ")
		}
		msg := fmt.Sprintf("%s is declared in Terraform state as %s but does not exist in %s", d.ID, d.Address, where)
		if at := seen.byRef[stateKey(d.System, d.ID)]; len(at) > 0 {
			msg += fmt.Sprintf(" (source %q has a %s of that name with uid %s, but the state records uid %s: another object)", at[0].source, e.kindName(d.Kind), at[0].id, d.UID)
		}
		e.add(RuleMissing, "", ref, "", msg, nil)
	}
}

func covers(locations []string, id string) bool {
	if len(locations) == 0 {
		return true
	}
	ns, _, _ := strings.Cut(id, "/")
	for _, l := range locations {
		if l == ns {
			return true
		}
	}
	return false
}

// exceptions suppresses what live exceptions cover and reports expired
// ones, which suppress nothing.
func (e *evaluator) exceptions() {
	e.srcLoc = nil
	for _, ex := range e.in.Exceptions {
		if !e.in.Now.Before(ex.Expires) {
			ref := IdentityRef{System: "drift-config", Source: "exceptions", Kind: "exception", ID: ex.ID, Name: ex.ID}
			e.add(RuleExceptionExpired, "", ref, "", fmt.Sprintf("exception %q for %s (%s) expired on %s: %s",
				ex.ID, ex.Identity, strings.Join(ex.Rules, ", "), ex.Expires.Format(nhi.DateLayout), ex.Reason), ex.Location)
			continue
		}
		for i := range e.report.Findings {
			f := &e.report.Findings[i]
			if f.Suppressed != nil || f.RuleID == RuleExceptionExpired || !contains(ex.Rules, f.RuleID) {
				continue
			}
			if (ex.System != "" && ex.System != f.Identity.System) || (ex.Source != "" && ex.Source != f.Identity.Source) {
				continue
			}
			if ok, _ := path.Match(ex.Identity, f.Identity.ID); ok {
				f.Suppressed = &Suppression{Exception: ex.ID, Reason: ex.Reason, Ticket: ex.Ticket, Expires: ex.Expires.Format(nhi.DateLayout)}
			}
		}
	}
}

func contains(in []string, s string) bool {
	for _, v := range in {
		if v == s {
			return true
		}
	}
	return false
}

// kindName names an identity kind for people ("service account").
func (e *evaluator) kindName(kind string) string { return e.in.Systems.KindLabel(kind) }

// credentialName names a credential kind for people ("access key").
func (e *evaluator) credentialName(kind string) string { return e.in.Systems.CredentialLabel(kind) }

// neverExpires reports whether a system's credentials of kind have no
// expiry of their own (legacy token Secrets): each undeclared one is
// long-lived, and several at once are no rotation in progress.
func (e *evaluator) neverExpires(sys, kind string) bool {
	c, ok := e.in.Systems.Credential(sys, kind)
	return ok && c.NeverExpires
}

func refKey(r IdentityRef) string { return r.System + "\x00" + r.Source + "\x00" + r.ID }

func sortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.Severity.Rank() != b.Severity.Rank() {
			return a.Severity.Rank() > b.Severity.Rank()
		}
		if a.RuleID != b.RuleID {
			return a.RuleID < b.RuleID
		}
		if refKey(a.Identity) != refKey(b.Identity) {
			return refKey(a.Identity) < refKey(b.Identity)
		}
		return a.key < b.key
	})
}

// Active returns the findings not suppressed by an exception.
func (r Report) Active() []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if f.Suppressed == nil {
			out = append(out, f)
		}
	}
	return out
}

// Worst is the highest severity among active findings ("" when none).
func (r Report) Worst() Severity {
	var w Severity
	for _, f := range r.Active() {
		if f.Severity.Rank() > w.Rank() {
			w = f.Severity
		}
	}
	return w
}
