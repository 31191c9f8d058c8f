package drift

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"time"
)

// BaselineState says how a finding compares with the baseline, a JSON
// report an earlier run wrote (--baseline). The names are SARIF's
// (result.baselineState), plus not_rechecked.
type BaselineState string

const (
	// BaselineNew: the baseline has no finding with this fingerprint.
	BaselineNew BaselineState = "new"
	// BaselineUnchanged: the baseline has it, at the same or a higher
	// severity.
	BaselineUnchanged BaselineState = "unchanged"
	// BaselineUpdated: the baseline has it, but at a lower severity, or
	// accepted by an exception that no longer accepts it. It is new at its
	// present severity (BaselinePrevious says how it was).
	BaselineUpdated BaselineState = "updated"
	// BaselineAbsent: in the baseline, and no longer found where this run
	// looked completely: resolved.
	BaselineAbsent BaselineState = "absent"
	// BaselineNotRechecked: in the baseline, not found now, but where it
	// was found could not be fully seen in this run (an incomplete source,
	// a source not scanned, an owners directory that could not be read), so
	// its absence does not mean it was fixed.
	BaselineNotRechecked BaselineState = "not_rechecked"
)

// BaselineStates in the order reports list them.
var BaselineStates = []BaselineState{BaselineNew, BaselineUpdated, BaselineUnchanged, BaselineAbsent, BaselineNotRechecked}

// BaselinePrevious is how the baseline had an updated finding.
type BaselinePrevious struct {
	Severity Severity `json:"severity"`
	// Suppressed: an exception accepted it then, and none does now.
	Suppressed bool `json:"suppressed,omitempty"`
}

// Baseline is what a comparison needs of an earlier JSON report.
type Baseline struct {
	EvaluatedAt time.Time
	Complete    bool
	Sources     []SourceStatus
	Owners      *OwnersStatus
	// Findings are the report's findings, and the findings it carried
	// over as not re-checked (still presumed present).
	Findings []Finding
}

// BaselineResult is the comparison of a report with its baseline
// (Report.Baseline); each finding's own state is Finding.BaselineState.
type BaselineResult struct {
	// File is the baseline as given on the command line.
	File        string
	EvaluatedAt time.Time
	Complete    bool
	// IncompleteBefore says what the baseline run could not fully see: a
	// finding there may have existed then, so its "new" is not certain.
	IncompleteBefore []string
	// NotRecheckedBecause says why NotRechecked findings were not judged.
	NotRecheckedBecause []string
	// Absent are the baseline's findings that are resolved.
	Absent []Finding
	// NotRechecked are the baseline's findings this run could not look for.
	NotRechecked []Finding
}

// BaselineCounts counts the findings of one baseline state.
type BaselineCounts struct {
	Total      int            `json:"total"`
	BySeverity map[string]int `json:"by_severity"`
}

// Compare marks every finding of rep new, unchanged or updated against the
// baseline, by fingerprint (which depends on the rule, the system, the
// source, the kind, the identity and what the finding is about, never on
// time, wording, order or location), and sets rep.Baseline with the
// baseline's findings that are gone: absent (resolved) where this run saw
// everything, not re-checked where it did not.
func Compare(rep *Report, b *Baseline, file string) {
	res := &BaselineResult{File: file, EvaluatedAt: b.EvaluatedAt, Complete: b.Complete}
	for _, s := range b.Sources {
		if !s.Complete {
			res.IncompleteBefore = append(res.IncompleteBefore, fmt.Sprintf("source %q could not be fully scanned in the baseline run", s.Name))
		}
	}
	if o := b.Owners; o != nil && !o.Complete {
		res.IncompleteBefore = append(res.IncompleteBefore, fmt.Sprintf("the owners directory %s could not be read in the baseline run", o.Directory))
	}

	byFP := map[string][]int{}
	for i, f := range b.Findings {
		byFP[f.Fingerprint] = append(byFP[f.Fingerprint], i)
	}
	used := make([]bool, len(b.Findings))
	for i := range rep.Findings {
		f := &rep.Findings[i]
		f.BaselineState, f.BaselinePrevious = BaselineNew, nil
		for _, j := range byFP[f.Fingerprint] {
			if used[j] {
				continue
			}
			used[j] = true
			p := b.Findings[j]
			switch {
			case f.Suppressed == nil && p.Suppressed != nil:
				f.BaselineState, f.BaselinePrevious = BaselineUpdated, &BaselinePrevious{Severity: p.Severity, Suppressed: true}
			case f.Suppressed == nil && f.Severity.Rank() > p.Severity.Rank():
				f.BaselineState, f.BaselinePrevious = BaselineUpdated, &BaselinePrevious{Severity: p.Severity}
			default:
				f.BaselineState = BaselineUnchanged
			}
			break
		}
	}

	current := map[string]SourceStatus{}
	for _, s := range rep.Sources {
		current[s.Name] = s
	}
	before := map[string]bool{}
	for _, s := range b.Sources {
		before[s.Name] = true
	}
	why := map[string]bool{}
	// unseen says why this run could not have found p, or "".
	unseen := func(p Finding) string {
		if s, ok := current[p.Identity.Source]; ok && !s.Complete {
			return fmt.Sprintf("source %q could not be fully scanned in this run", s.Name)
		}
		if _, ok := current[p.Identity.Source]; !ok && before[p.Identity.Source] {
			return fmt.Sprintf("source %q was not scanned in this run", p.Identity.Source)
		}
		if p.RuleID == RuleOrphanedOwner {
			if o := rep.Owners; o != nil && !o.Complete {
				return fmt.Sprintf("the owners directory %s could not be read in this run", o.Directory)
			}
			if rep.Owners == nil && b.Owners != nil {
				return "this run had no owners directory"
			}
		}
		return ""
	}
	for j, p := range b.Findings {
		if used[j] {
			continue
		}
		p.BaselinePrevious = nil
		if w := unseen(p); w != "" {
			p.BaselineState = BaselineNotRechecked
			res.NotRechecked = append(res.NotRechecked, p)
			if !why[w] {
				why[w] = true
				res.NotRecheckedBecause = append(res.NotRecheckedBecause, w)
			}
			continue
		}
		p.BaselineState = BaselineAbsent
		res.Absent = append(res.Absent, p)
	}
	sortFindings(res.Absent)
	sortFindings(res.NotRechecked)
	sort.Strings(res.NotRecheckedBecause)
	rep.Baseline = res
}

// BaselineSummary counts active findings per baseline state and severity:
// the report's own (new, updated, unchanged; suppressed ones are left out)
// and the baseline's that are gone (absent, not re-checked; those an
// exception accepted in the baseline are left out). Nil without a
// baseline.
func (r Report) BaselineSummary() map[BaselineState]BaselineCounts {
	if r.Baseline == nil {
		return nil
	}
	out := map[BaselineState]BaselineCounts{}
	for _, st := range BaselineStates {
		c := BaselineCounts{BySeverity: map[string]int{}}
		for _, sev := range Severities {
			c.BySeverity[string(sev)] = 0
		}
		out[st] = c
	}
	count := func(f Finding) {
		if f.Suppressed != nil {
			return
		}
		c := out[f.BaselineState]
		c.Total++
		c.BySeverity[string(f.Severity)]++
		out[f.BaselineState] = c
	}
	for _, f := range r.Findings {
		count(f)
	}
	for _, f := range r.Baseline.Absent {
		count(f)
	}
	for _, f := range r.Baseline.NotRechecked {
		count(f)
	}
	return out
}

// NewAtOrAbove counts the active findings at or above sev that were not
// active at or above sev in the baseline: new ones, and updated ones whose
// baseline severity was lower than sev or that an exception accepted then.
// Without a baseline every active finding at or above sev counts.
func (r Report) NewAtOrAbove(sev Severity) int {
	n := 0
	for _, f := range r.Findings {
		if f.Suppressed != nil || f.Severity.Rank() < sev.Rank() {
			continue
		}
		switch f.BaselineState {
		case BaselineUnchanged:
			continue
		case BaselineUpdated:
			if p := f.BaselinePrevious; p != nil && !p.Suppressed && p.Severity.Rank() >= sev.Rank() {
				continue
			}
		}
		n++
	}
	return n
}

// ErrNotAReport is wrapped by every ReadBaseline error about the content.
var ErrNotAReport = errors.New("not a JSON report of this tool")

// ReadBaseline reads a JSON report written earlier by this tool (--format
// json or --output json=PATH), of any schema version from 1 to latest (the
// fingerprint is the same in all of them), one value at a time: the
// findings one by one, and what a comparison does not need (such as a list
// of every identity) skipped token by token, never held. Anything else
// (another format, a later version, a report missing what a comparison
// needs) is an error saying what is wrong.
func ReadBaseline(r io.Reader, latest int) (*Baseline, error) {
	br := bufio.NewReader(r)
	if lead, err := peekNonSpace(br); err != nil {
		return nil, err
	} else if lead == '<' {
		return nil, notReport("it is XML (a JUnit report?), and --baseline takes the JSON report (--format json or --output json=PATH)")
	} else if lead != '{' {
		return nil, notReport("it is not a JSON object (text or Markdown output?), and --baseline takes the JSON report (--format json or --output json=PATH)")
	}
	dec := json.NewDecoder(br)
	at := func(err error) error {
		return notReport(fmt.Sprintf("invalid JSON near byte %d: %v", dec.InputOffset(), err))
	}
	if _, err := dec.Token(); err != nil {
		return nil, at(err)
	}
	var b Baseline
	var haveVersion, haveFindings, haveSources, sarif bool
	var gotVersion json.RawMessage
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, at(err)
		}
		key, _ := tok.(string)
		switch key {
		case "version":
			haveVersion = true
			err = dec.Decode(&gotVersion)
		case "runs":
			sarif = true
			err = SkipJSONValue(dec)
		case "complete":
			err = dec.Decode(&b.Complete)
		case "evaluated_at":
			err = dec.Decode(&b.EvaluatedAt)
		case "sources":
			haveSources = true
			err = dec.Decode(&b.Sources)
		case "owners":
			err = dec.Decode(&b.Owners)
		case "findings", "not_rechecked":
			haveFindings = haveFindings || key == "findings"
			err = readFindings(dec, key, &b.Findings)
		default:
			err = SkipJSONValue(dec)
		}
		if err != nil {
			var nr *notAReport
			if errors.As(err, &nr) {
				return nil, err
			}
			return nil, notReport(fmt.Sprintf("%q near byte %d: %v", key, dec.InputOffset(), err))
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, at(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, notReport(fmt.Sprintf("more data follows the report at byte %d", dec.InputOffset()))
	}
	switch {
	case sarif:
		return nil, notReport("it is a SARIF log, and --baseline takes the JSON report (--format json or --output json=PATH)")
	case !haveVersion:
		return nil, notReport(`it has no "version"`)
	}
	if v, err := strconv.Atoi(string(gotVersion)); err != nil || v < 1 || v > latest {
		reads := fmt.Sprintf("versions 1 to %d", latest)
		if latest == 1 {
			reads = "version 1"
		}
		return nil, notReport(fmt.Sprintf("it is version %s of the JSON report, and this reporter reads %s", gotVersion, reads))
	}
	switch {
	case !haveFindings:
		return nil, notReport(`it has no "findings"`)
	case !haveSources:
		return nil, notReport(`it has no "sources"`)
	}
	return &b, nil
}

func readFindings(dec *json.Decoder, key string, into *[]Finding) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok == nil { // null
		return nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return notReport(fmt.Sprintf("%q is not a list", key))
	}
	for i := 0; dec.More(); i++ {
		var f Finding
		if err := dec.Decode(&f); err != nil {
			return notReport(fmt.Sprintf("%s[%d] near byte %d: %v", key, i, dec.InputOffset(), err))
		}
		switch {
		case f.Fingerprint == "":
			return notReport(fmt.Sprintf("%s[%d] has no fingerprint", key, i))
		case f.RuleID == "":
			return notReport(fmt.Sprintf("%s[%d] has no rule_id", key, i))
		}
		if _, ok := ParseSeverity(string(f.Severity)); !ok {
			return notReport(fmt.Sprintf("%s[%d] has severity %q, which is none of low, medium, high, critical", key, i, f.Severity))
		}
		f.BaselineState, f.BaselinePrevious = "", nil
		*into = append(*into, f)
	}
	_, err = dec.Token()
	return err
}

func peekNonSpace(br *bufio.Reader) (byte, error) {
	for {
		c, err := br.ReadByte()
		if err == io.EOF {
			return 0, notReport("the file is empty")
		}
		if err != nil {
			return 0, err
		}
		switch c {
		case ' ', '\t', '\r', '\n', 0xEF, 0xBB, 0xBF: // white space, a UTF-8 byte order mark
			continue
		}
		return c, br.UnreadByte()
	}
}

type notAReport struct{ what string }

func (e *notAReport) Error() string { return ErrNotAReport.Error() + ": " + e.what }
func (e *notAReport) Unwrap() error { return ErrNotAReport }

func notReport(what string) error { return &notAReport{what} }
