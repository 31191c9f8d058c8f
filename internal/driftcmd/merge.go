package driftcmd

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"regexp"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/nhi-ops/terraform-provider-nhi/internal/drift"
	"github.com/nhi-ops/terraform-provider-nhi/internal/report"
	"github.com/nhi-ops/terraform-provider-nhi/internal/system"
)

const mergeUsage = `Usage: terraform-provider-nhi drift merge [flags] REPORT.json...

Joins JSON reports written by separate drift runs (one per cluster or
account, such as the jobs of a CI matrix: --output json=PATH) into one
report, in any format. An identity seen by several runs (same system, kind,
name and uid) counts once (the JSON report lists it as each source saw it,
so a merged report can be merged again); environment isolation (NHI015) and declarations
missing from every source (NHI002) are judged again over all of them.

A shard is named by its sources: --expect-shards prod-eu,staging-us expects
a report with a source "prod-eu" and one with a source "staging-us".
A missing shard (fewer reports than --expect, or an expected source in none)
or an incomplete one makes the merged report incomplete.

--baseline and --fail-on-new compare the merged report with an earlier
merged report, as they do for one run.

Exit codes: as drift's: 0 no finding at or above --fail-on (nor a new one at
or above --fail-on-new); 2 findings at or above --fail-on, or new since
--baseline at or above --fail-on-new; 1 usage error or a file that is not a
JSON report of this tool (version 2); 3 incomplete (the report is still
written).

Flags:
`

// Merge runs `drift merge`. It reads the reports as streams and never holds
// their identities: a first pass reads each report's findings and indexes
// its identities (a few integers each); further passes read the identities
// again where needed (deliveries and NHI002 declarations to check, the
// identities NHI015 names, and each JSON output, which lists every identity
// once).
func Merge(ctx context.Context, args []string, stdio IO, version string, systems *system.Registry) int {
	fs := flag.NewFlagSet("drift merge", flag.ContinueOnError)
	fs.SetOutput(stdio.Stderr)
	fs.Usage = func() {
		fmt.Fprint(stdio.Stderr, mergeUsage)
		fs.PrintDefaults()
	}
	var outputs multi
	expect := fs.Int("expect", 0, "the number of shard `reports` expected; fewer makes the merged report incomplete")
	expectShards := fs.String("expect-shards", "", "comma-separated source `names`, one per expected shard; a name in no report makes the merged report incomplete")
	format := fs.String("format", "text", "format on stdout: "+strings.Join(report.Formats, ", "))
	fs.Var(&outputs, "output", "also write `FORMAT=PATH` (repeatable), such as sarif=nhi.sarif")
	failOn := fs.String("fail-on", "high", "exit 2 when a finding is at or above this `severity`: low, medium, high, critical, or none")
	verbose := fs.Bool("verbose", false, "list identities left out by default exclusions")
	baseFlags := addBaselineFlags(fs) // baseline.go: the merged report against an earlier merged one
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitClean
		}
		return ExitConfig
	}
	if os.Getenv("GOGC") == "" {
		// Decoding a million identities makes much short-lived garbage
		// around a small live heap (the index, the findings): a tighter
		// collection target keeps peak memory near what is live, for about
		// no time (the collector takes 1-2% of the merge's CPU).
		debug.SetGCPercent(25)
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stdio.Stderr, "Error: "+format+"\n", a...)
		return ExitConfig
	}
	rf, msg := loadReportFlags(fs, *format, outputs, *failOn, baseFlags)
	if msg != "" {
		return fail("%s", msg)
	}
	base := rf.base
	var paths []string
	seen := map[string]bool{}
	for _, p := range fs.Args() {
		if !seen[p] {
			seen[p] = true
			paths = append(paths, p)
		}
	}
	if len(paths) == 0 {
		return fail("no reports to merge; give the JSON reports of the shards (--output json=PATH of each drift run), such as `drift merge --expect 3 shards/*.json`")
	}
	if *expect < 0 || (*expect > 0 && len(paths) > *expect) {
		return fail("--expect %d, but %d reports were given; set --expect to the number of shards", *expect, len(paths))
	}
	var wantShards []string
	for _, n := range strings.Split(*expectShards, ",") {
		if n = strings.TrimSpace(n); n != "" {
			wantShards = append(wantShards, n)
		}
	}

	m := newMerger(systems, paths)
	junit := *format == "junit"
	for _, o := range rf.outs {
		junit = junit || o.format == "junit"
	}
	// JUnit lists every identity as a test case, so it needs them held
	// (Report.Scanned); the other formats stream them or only count them.
	rep, err := m.merge(ctx, *expect, wantShards, junit)
	if err != nil {
		return fail("%v", err)
	}
	base.compare(&rep)
	writeHeapProfile(drift.Input{}, rep) // NHI_MEMPROFILE: the merge's live heap, for BENCHMARKS.md

	cwd, _ := os.Getwd()
	ropts := report.Options{Version: version, BaseDir: cwd, Color: stdio.StdoutIsTerminal && os.Getenv("NO_COLOR") == "", Verbose: *verbose}
	if msg := rf.writeReports(stdio, *format, rep, ropts); msg != "" {
		return fail("%s", msg)
	}
	switch {
	case !rep.Complete:
		for _, s := range rep.Sources {
			if !s.Complete {
				fmt.Fprintf(stdio.Stderr, "Incomplete: source %q could not be fully scanned: %s\n", s.Name, s.Error)
			}
		}
		for _, sh := range m.shards {
			if !sh.complete {
				fmt.Fprintf(stdio.Stderr, "Incomplete: the report %s says its run was incomplete\n", sh.path)
			}
		}
		if o := rep.Owners; o != nil && !o.Complete {
			fmt.Fprintf(stdio.Stderr, "Incomplete: the owners directory %s could not be read, so no owner was checked against it (NHI006): %s\n", o.Directory, o.Error)
		}
		return ExitIncomplete
	case rf.threshold != "" && rep.Worst().Rank() >= rf.threshold.Rank():
		return ExitFindings
	case base.failsOnNew(rep, stdio.Stderr):
		return ExitFindings
	}
	return ExitClean
}

// shard is one report being merged.
type shard struct {
	path        string
	complete    bool
	evaluatedAt time.Time
	sources     []drift.SourceStatus
	owners      *drift.OwnersStatus
	// identitiesAt is the byte offset just after the "identities" key,
	// where later passes start reading.
	identitiesAt int64
	identities   int
	hasIDs       bool
}

// merger holds what a merge keeps while it reads: the findings (reports
// are rendered sorted, in every format, so they are held), the shards'
// headers, and the identities' index.
type merger struct {
	systems  *system.Registry
	shards   []*shard
	findings []drift.Finding
	// byKey de-duplicates findings: the same rule, identity and message
	// (the source's name aside) from two shards is one finding.
	byKey   map[[16]byte]int
	missing map[[16]byte]*missingDecl
	// missingBy files the NHI002 declarations by the keys an identity that
	// answers them has (missingKeysOf).
	missingBy  map[[16]byte][]*missingDecl
	excluded   []drift.ExcludedIdentity
	exclKey    map[[16]byte]int
	exceptions []drift.Exception
	exceptKey  map[string]bool
	deliveries []drift.Delivery
	index      *drift.EnvironmentIndex
	strings    map[string]string // intern
}

// missingDecl is one NHI002 (a declaration no source has), reported by
// one or more shards; it stands only when no shard has the identity.
type missingDecl struct {
	finding drift.Finding
	sources []string
	found   bool
}

func newMerger(systems *system.Registry, paths []string) *merger {
	m := &merger{systems: systems, byKey: map[[16]byte]int{}, missing: map[[16]byte]*missingDecl{}, missingBy: map[[16]byte][]*missingDecl{},
		exclKey: map[[16]byte]int{}, exceptKey: map[string]bool{}, index: drift.NewEnvironmentIndex(systems, nil, nil), strings: map[string]string{}}
	for _, p := range paths {
		m.shards = append(m.shards, &shard{path: p})
	}
	return m
}

func hashOf(parts ...string) [16]byte {
	h := fnv.New128a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	var k [16]byte
	h.Sum(k[:0])
	return k
}

func (m *merger) merge(ctx context.Context, expect int, wantShards []string, withScanned bool) (drift.Report, error) {
	x := m.index
	for i, sh := range m.shards {
		if err := ctx.Err(); err != nil {
			return drift.Report{}, err
		}
		if err := m.readShard(i, sh); err != nil {
			return drift.Report{}, fmt.Errorf("%s: %w", sh.path, err)
		}
	}
	r := drift.Report{Complete: true}
	// Sources: every shard's, in order; a source in two shards (one
	// account scanned by two jobs) is listed once, and is incomplete if
	// either scan was.
	srcAt := map[string]int{}
	for _, sh := range m.shards {
		if r.EvaluatedAt.IsZero() || sh.evaluatedAt.Before(r.EvaluatedAt) {
			r.EvaluatedAt = sh.evaluatedAt
		}
		r.Complete = r.Complete && sh.complete
		for _, s := range sh.sources {
			k := s.System + "\x00" + s.Name
			if i, dup := srcAt[k]; dup {
				p := &r.Sources[i]
				if p.Complete && !s.Complete {
					p.Complete, p.Error = false, s.Error
				}
				if s.Identities > p.Identities {
					p.Identities = s.Identities
				}
				continue
			}
			srcAt[k] = len(r.Sources)
			r.Sources = append(r.Sources, s)
		}
		if o := sh.owners; o != nil && (r.Owners == nil || (r.Owners.Complete && !o.Complete)) {
			r.Owners = o
		}
	}
	if r.Owners != nil && !r.Owners.Complete {
		r.Complete = false
	}
	// Missing shards are incomplete sources, so every format shows them.
	if expect > len(m.shards) {
		for i := len(m.shards) + 1; i <= expect; i++ {
			r.Sources = append(r.Sources, drift.SourceStatus{Name: fmt.Sprintf("missing-shard-%d", i), System: "shard",
				Error: fmt.Sprintf("drift merge --expect %d was given %d reports: a shard's job failed, or its report was not passed on", expect, len(m.shards))})
		}
		r.Complete = false
	}
	for _, name := range wantShards {
		found := false
		for _, s := range r.Sources {
			found = found || (s.Name == name && s.System != "shard")
		}
		if !found {
			r.Sources = append(r.Sources, drift.SourceStatus{Name: name, System: "shard",
				Error: "no report given to drift merge has a source of this name (--expect-shards): the shard's job failed, or its report was not passed on"})
			r.Complete = false
		}
	}

	// The first pass indexed every identity. A second one, only when some
	// report has deliveries or NHI002 findings, matches them now that all
	// reports' are known.
	x.AddDeliveries(m.deliveries)
	if x.Deliveries() || len(m.missing) > 0 {
		if err := m.eachIdentity(func(id drift.ScannedIdentity, pos drift.Pos) error {
			x.Match(id)
			m.declarationFound(id)
			return nil
		}); err != nil {
			return drift.Report{}, err
		}
	}

	// NHI002 stands when no shard has the declared identity; several
	// shards' findings are one, naming all their sources.
	keys := make([][16]byte, 0, len(m.missing))
	for k := range m.missing {
		keys = append(keys, k)
	}
	for _, k := range keys {
		md := m.missing[k]
		if md.found {
			continue
		}
		f := md.finding
		f.Message = missingWhere(f.Message, md.sources)
		m.findings = append(m.findings, f)
	}

	// NHI015 over the whole estate: the shards' own are replaced.
	if hits := x.Hits(); len(hits) > 0 {
		env := make([]drift.Finding, len(hits))
		for i, h := range hits {
			env[i] = x.EnvironmentFinding(h, h.Ref)
		}
		drift.Suppress(env, m.liveExceptions(r.EvaluatedAt), r.EvaluatedAt)
		m.findings = append(m.findings, env...)
	}
	drift.SortFindings(m.findings)
	r.Findings = m.findings
	sort.SliceStable(m.excluded, func(i, j int) bool {
		a, b := m.excluded[i].Identity, m.excluded[j].Identity
		return a.System+"\x00"+a.Source+"\x00"+a.ID < b.System+"\x00"+b.Source+"\x00"+b.ID
	})
	r.Excluded = m.excluded
	set := &mergedIdentities{m: m}
	for _, sh := range m.shards {
		set.n += sh.identities
	}
	r.Estate = &drift.Estate{Identities: set, Distinct: x.Len(), Deliveries: m.deliveries, Exceptions: m.exceptions}
	if withScanned {
		// Each identity once, in the source the merge keeps it in.
		if err := m.eachIdentity(func(id drift.ScannedIdentity, pos drift.Pos) error {
			if x.Canonical(id.IdentityRef, pos) {
				r.Scanned = append(r.Scanned, id.IdentityRef)
			}
			return nil
		}); err != nil {
			return drift.Report{}, err
		}
		sort.Slice(r.Scanned, func(i, j int) bool {
			a, b := r.Scanned[i], r.Scanned[j]
			return a.System+"\x00"+a.Source+"\x00"+a.ID < b.System+"\x00"+b.Source+"\x00"+b.ID
		})
	}
	return r, nil
}

func (m *merger) liveExceptions(now time.Time) []drift.Exception {
	var out []drift.Exception
	for _, ex := range m.exceptions {
		if now.Before(ex.Expires) {
			out = append(out, ex)
		}
	}
	return out
}

// declarationFound marks the NHI002 declarations an identity answers, as
// the engine matches them: by uid when the declaration records one (or by
// name an identity whose system gives none), else by name.
func (m *merger) declarationFound(id drift.ScannedIdentity) {
	if len(m.missing) == 0 {
		return
	}
	for _, k := range missingKeysOf(id.IdentityRef) {
		if md, ok := m.missingBy[k]; ok {
			for _, d := range md {
				d.found = true
			}
		}
	}
}

// missingKeysOf are the keys under which declarations matching ref are
// filed (declKeys).
func missingKeysOf(ref drift.IdentityRef) [][16]byte {
	keys := [][16]byte{hashOf(ref.System, "ref", ref.ID)}
	if ref.UID != "" {
		keys = append(keys, hashOf(ref.System, "uid", ref.UID))
	} else {
		keys = append(keys, hashOf(ref.System, "ref-no-uid", ref.ID))
	}
	return keys
}

// declKeys are the keys an identity matching the NHI002 declaration is
// looked up by.
func declKeys(ref drift.IdentityRef) [][16]byte {
	if ref.UID == "" {
		return [][16]byte{hashOf(ref.System, "ref", ref.ID)}
	}
	return [][16]byte{hashOf(ref.System, "uid", ref.UID), hashOf(ref.System, "ref-no-uid", ref.ID)}
}

var missingWhereRE = regexp.MustCompile(` but does not exist in (?:source ("[^"]*")|any of the sources ((?:"[^"]*"(?:, )?)+))`)
var quotedRE = regexp.MustCompile(`"[^"]*"`)

// sourcesInMissing returns the sources an NHI002 message names.
func sourcesInMissing(msg string) []string {
	sm := missingWhereRE.FindStringSubmatch(msg)
	if sm == nil {
		return nil
	}
	var out []string
	for _, q := range quotedRE.FindAllString(sm[1]+sm[2], -1) {
		if s, err := strconv.Unquote(q); err == nil {
			out = append(out, s)
		}
	}
	return out
}

// missingWhere rewrites an NHI002 message to name every source that lacks
// the declaration, as one run over all of them would.
func missingWhere(msg string, sources []string) string {
	sort.Strings(sources)
	where := fmt.Sprintf("source %q", sources[0])
	if len(sources) > 1 {
		q := make([]string, len(sources))
		for i, s := range sources {
			q[i] = fmt.Sprintf("%q", s)
		}
		where = "any of the sources " + strings.Join(q, ", ")
	}
	loc := missingWhereRE.FindStringIndex(msg)
	if loc == nil {
		return msg
	}
	return msg[:loc[0]] + " but does not exist in " + where + msg[loc[1]:]
}

// addFinding takes one finding of a shard.
func (m *merger) addFinding(f drift.Finding) {
	// A shard's comparison with its own baseline is not the merge's.
	f.BaselineState, f.BaselinePrevious = "", nil
	// The catalog's texts, and the names findings repeat, held once rather
	// than once per finding.
	if ru, ok := drift.RuleByID(f.RuleID); ok {
		if f.Remediation == ru.Remediation {
			f.Remediation = ru.Remediation
		}
		if f.OWASP == ru.OWASP {
			f.OWASP = ru.OWASP
		}
	}
	id := &f.Identity
	id.System, id.Source, id.Kind, id.Owner = m.intern(id.System), m.intern(id.Source), m.intern(id.Kind), m.intern(id.Owner)
	if f.Location != nil {
		f.Location.File = m.intern(f.Location.File)
	}
	switch f.RuleID {
	case drift.RuleEnvironment:
		return // judged again over the estate
	case drift.RuleMissing:
		k := hashOf(f.Identity.System, f.Identity.Kind, f.Identity.ID, f.Identity.UID)
		md, ok := m.missing[k]
		if !ok {
			md = &missingDecl{finding: f}
			m.missing[k] = md
			for _, dk := range declKeys(f.Identity) {
				m.missingBy[dk] = append(m.missingBy[dk], md)
			}
		} else if f.Identity.Source < md.finding.Identity.Source {
			md.finding = f
		}
		for _, s := range sourcesInMissing(f.Message) {
			if !contains(md.sources, s) {
				md.sources = append(md.sources, s)
			}
		}
		if len(md.sources) == 0 {
			md.sources = []string{f.Identity.Source}
		}
		return
	}
	msg := f.Message
	if f.Identity.Source != "" {
		msg = strings.ReplaceAll(msg, strconv.Quote(f.Identity.Source), "\x00")
	}
	k := hashOf(f.RuleID, string(f.Severity), f.Identity.System, f.Identity.Kind, f.Identity.ID, f.Identity.UID, msg)
	if i, dup := m.byKey[k]; dup {
		if f.Identity.Source < m.findings[i].Identity.Source {
			m.findings[i] = f
		}
		return
	}
	m.byKey[k] = len(m.findings)
	m.findings = append(m.findings, f)
}

// intern returns one copy of each string it is given.
func (m *merger) intern(s string) string {
	if v, ok := m.strings[s]; ok {
		return v
	}
	if len(m.strings) < 1<<16 {
		m.strings[s] = s
	}
	return s
}

func contains(in []string, s string) bool {
	for _, v := range in {
		if v == s {
			return true
		}
	}
	return false
}

func (m *merger) addExcluded(e drift.ExcludedIdentity) {
	k := hashOf(e.Identity.System, e.Identity.Kind, e.Identity.ID, e.Identity.UID, e.Reason)
	if i, dup := m.exclKey[k]; dup {
		if e.Identity.Source < m.excluded[i].Identity.Source {
			m.excluded[i] = e
		}
		return
	}
	m.exclKey[k] = len(m.excluded)
	m.excluded = append(m.excluded, e)
}

// notAReport says why a file is not a report drift merge reads.
type notAReport struct{ why string }

func (e *notAReport) Error() string {
	return fmt.Sprintf("not a JSON report of this tool (version %d, written by drift --output json=PATH): %s", report.JSONVersion, e.why)
}

func notReport(why string) error { return &notAReport{why} }

// readShard reads one report's header, findings, exclusions, exceptions
// and deliveries, and counts its identities; it holds none of them.
func (m *merger) readShard(i int, sh *shard) error {
	f, err := os.Open(sh.path)
	if err != nil {
		return err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<16)
	if b, err := peekNonSpace(br); err != nil {
		return notReport("it is empty")
	} else if b != '{' {
		return notReport("it is not a JSON object (a text, Markdown or JUnit report?)")
	}
	dec := json.NewDecoder(br)
	if _, err := dec.Token(); err != nil {
		return notReport(err.Error())
	}
	var version json.RawMessage
	haveSources, haveFindings := false, false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return notReport(fmt.Sprintf("invalid JSON near byte %d: %v", dec.InputOffset(), err))
		}
		key, _ := tok.(string)
		switch key {
		case "version":
			// Checked once the whole object is read: a SARIF log has a
			// version too.
			err = dec.Decode(&version)
		case "runs":
			return notReport("it is a SARIF log")
		case "complete":
			err = dec.Decode(&sh.complete)
		case "evaluated_at":
			err = dec.Decode(&sh.evaluatedAt)
		case "sources":
			haveSources = true
			if err = dec.Decode(&sh.sources); err == nil {
				for _, s := range sh.sources {
					m.index.AddSource(drift.EstateSource{Name: s.Name, Environment: s.Environment, Location: s.Location})
				}
			}
		case "owners":
			err = dec.Decode(&sh.owners)
		case "findings":
			haveFindings = true
			err = eachElement(dec, func() error {
				var f drift.Finding
				if err := dec.Decode(&f); err != nil {
					return err
				}
				m.addFinding(f)
				return nil
			})
		case "excluded":
			err = eachElement(dec, func() error {
				var e drift.ExcludedIdentity
				if err := dec.Decode(&e); err != nil {
					return err
				}
				m.addExcluded(e)
				return nil
			})
		case "exceptions":
			var exs []drift.Exception
			if err = dec.Decode(&exs); err == nil {
				for _, ex := range exs {
					b, _ := json.Marshal(ex)
					if !m.exceptKey[string(b)] {
						m.exceptKey[string(b)] = true
						m.exceptions = append(m.exceptions, ex)
					}
				}
			}
		case "deliveries":
			var ds []drift.Delivery
			if err = dec.Decode(&ds); err == nil {
				m.deliveries = append(m.deliveries, ds...)
			}
		case "identities":
			sh.hasIDs, sh.identitiesAt = true, dec.InputOffset()
			err = eachElement(dec, func() error {
				var id drift.ScannedIdentity
				if err := dec.Decode(&id); err != nil {
					return err
				}
				m.index.Add(id, drift.Pos{A: uint32(i), B: uint32(sh.identities)})
				sh.identities++
				return nil
			})
		default:
			err = drift.SkipJSONValue(dec)
		}
		if err != nil {
			var nr *notAReport
			if errors.As(err, &nr) {
				return err
			}
			return notReport(fmt.Sprintf("%q near byte %d: %v", key, dec.InputOffset(), err))
		}
	}
	switch v := string(version); {
	case v == "":
		return notReport(`it has no "version"`)
	case v == "1":
		return notReport("it is version 1, written before drift merge existed: it lacks the identities a merge needs; run that shard again with this version")
	case v != strconv.Itoa(report.JSONVersion):
		return notReport(fmt.Sprintf("it is version %s; this reporter reads version %d", v, report.JSONVersion))
	case !haveSources:
		return notReport(`it has no "sources"`)
	case !haveFindings:
		return notReport(`it has no "findings"`)
	case !sh.hasIDs:
		return notReport(`it has no "identities"`)
	}
	return nil
}

func peekNonSpace(br *bufio.Reader) (byte, error) {
	for {
		b, err := br.ReadByte()
		if err != nil {
			return 0, err
		}
		if b != ' ' && b != '\t' && b != '\n' && b != '\r' {
			return b, br.UnreadByte()
		}
	}
}

// eachElement calls fn once per element of the array the decoder is at;
// fn decodes the element.
func eachElement(dec *json.Decoder, fn func() error) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return fmt.Errorf("not a list")
	}
	for dec.More() {
		if err := fn(); err != nil {
			return err
		}
	}
	_, err = dec.Token()
	return err
}

// eachIdentity reads every shard's identities again, one at a time, from
// where the first pass found them.
func (m *merger) eachIdentity(fn func(drift.ScannedIdentity, drift.Pos) error) error {
	for si, sh := range m.shards {
		if err := m.shardIdentities(uint32(si), sh, fn); err != nil {
			return fmt.Errorf("%s: %w", sh.path, err)
		}
	}
	return nil
}

func (m *merger) shardIdentities(si uint32, sh *shard, fn func(drift.ScannedIdentity, drift.Pos) error) error {
	f, err := os.Open(sh.path)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Seek(sh.identitiesAt, io.SeekStart); err != nil {
		return err
	}
	br := bufio.NewReaderSize(f, 1<<16)
	if _, err := br.ReadString(':'); err != nil {
		return fmt.Errorf("the report changed while it was merged: %w", err)
	}
	dec := json.NewDecoder(br)
	var n uint32
	err = eachElement(dec, func() error {
		var id drift.ScannedIdentity
		if err := dec.Decode(&id); err != nil {
			return err
		}
		pos := drift.Pos{A: si, B: n}
		n++
		return fn(id, pos)
	})
	if err == nil && int(n) != sh.identities {
		err = errors.New("the report changed while it was merged")
	}
	return err
}

// mergedIdentities are the merged report's identities, as each source
// saw them (so that a merged report can be merged again), read from the
// shards' reports when walked. Estate.Distinct counts each once.
type mergedIdentities struct {
	m *merger
	n int
}

func (s *mergedIdentities) Len() int { return s.n }

func (s *mergedIdentities) Each(fn func(drift.ScannedIdentity) error) error {
	return s.m.eachIdentity(func(id drift.ScannedIdentity, _ drift.Pos) error { return fn(id) })
}
