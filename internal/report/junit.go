package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"sort"

	"github.com/nhi-ops/terraform-provider-nhi/internal/drift"
)

// JUnit XML structures.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Errors    int         `xml:"errors,attr"`
	Cases     []junitCase `xml:"testcase"`
	SystemOut string      `xml:"system-out,omitempty"`
	SystemErr string      `xml:"system-err,omitempty"`
}

type junitCase struct {
	Name      string         `xml:"name,attr"`
	Classname string         `xml:"classname,attr"`
	Failures  []junitFailure `xml:"failure"`
	SystemOut string         `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",chardata"`
}

// JUnit renders one testsuite per source, one testcase per scanned
// identity and one failure per active finding. An incomplete source is an
// error on its suite; an owners directory that could not be read is an
// error on a suite of its own.
func JUnit(w io.Writer, r drift.Report) error {
	type key struct{ suite, id string }
	cases := map[key]*junitCase{}
	var order []key
	get := func(suite string, ref drift.IdentityRef) *junitCase {
		k := key{suite, ref.System + ":" + ref.ID}
		if c, ok := cases[k]; ok {
			return c
		}
		c := &junitCase{Name: ref.ID, Classname: ref.System + "." + ref.Kind}
		cases[k] = c
		order = append(order, k)
		return c
	}
	for _, ref := range r.Scanned {
		get(ref.Source, ref)
	}
	for _, f := range r.Findings {
		c := get(f.Identity.Source, f.Identity)
		if f.Suppressed != nil {
			c.SystemOut += fmt.Sprintf("%s accepted by exception %s until %s: %s\n", f.RuleID, f.Suppressed.Exception, f.Suppressed.Expires, f.Suppressed.Reason)
			continue
		}
		fl := junitFailure{
			Type: f.RuleID, Message: fmt.Sprintf("[%s] %s", f.Severity, f.Message),
			Body: fmt.Sprintf("%s %s (%s)\nOWASP: %s\nFix: %s\n", f.RuleID, f.Message, f.Severity, f.OWASP, f.Remediation),
		}
		if f.BaselineState != "" {
			// The state goes into the message, never the test case's
			// name, so dashboards keep tracking the same test cases.
			st := string(f.BaselineState)
			if n := stateNote(f); n != "" {
				st = n
			}
			fl.Message = fmt.Sprintf("[%s, %s] %s", f.Severity, st, f.Message)
			fl.Body += "Baseline: " + st + "\n"
		}
		c.Failures = append(c.Failures, fl)
	}
	suites := map[string]*junitSuite{}
	var names []string
	for _, s := range r.Sources {
		suites[s.Name] = &junitSuite{Name: s.Name}
		names = append(names, s.Name)
		if !s.Complete {
			suites[s.Name].Errors = 1
			suites[s.Name].SystemErr = "source could not be fully scanned: " + s.Error
		}
	}
	if o := incompleteOwners(r); o != nil {
		// Not a source: a suite of its own, in error, after the sources.
		n := "owners directory " + o.Directory
		suites[n] = &junitSuite{Name: n, Errors: 1, SystemErr: "owners directory could not be read, so no owner was checked against it (NHI006): " + o.Error}
		names = append(names, n)
	}
	if b := r.Baseline; b != nil {
		// What the baseline had and this run no longer finds goes to the
		// system-out of its source's suite.
		suite := func(name string) *junitSuite {
			if _, ok := suites[name]; !ok {
				suites[name] = &junitSuite{Name: name}
				names = append(names, name)
			}
			return suites[name]
		}
		for _, f := range activeOf(b.Absent) {
			s := suite(f.Identity.Source)
			s.SystemOut += fmt.Sprintf("resolved since the baseline: %s %s (%s): %s\n", f.RuleID, f.Identity.ID, f.Severity, f.Message)
		}
		for _, f := range activeOf(b.NotRechecked) {
			s := suite(f.Identity.Source)
			s.SystemOut += fmt.Sprintf("not re-checked in this run, so not counted as resolved: %s %s (%s): %s\n", f.RuleID, f.Identity.ID, f.Severity, f.Message)
		}
	}
	sort.SliceStable(order, func(i, j int) bool {
		if order[i].suite != order[j].suite {
			return order[i].suite < order[j].suite
		}
		return order[i].id < order[j].id
	})
	for _, k := range order {
		s, ok := suites[k.suite]
		if !ok {
			s = &junitSuite{Name: k.suite}
			suites[k.suite] = s
			names = append(names, k.suite)
		}
		c := cases[k]
		s.Cases = append(s.Cases, *c)
		s.Tests++
		if len(c.Failures) > 0 {
			s.Failures++
		}
	}
	out := junitSuites{Name: "nhi-drift"}
	for _, n := range names {
		s := suites[n]
		out.Tests += s.Tests
		out.Failures += s.Failures
		out.Errors += s.Errors
		out.Suites = append(out.Suites, *s)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
