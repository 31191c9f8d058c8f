package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"

	"github.com/nhi-ops/terraform-provider-nhi/internal/drift"
)

// JSONVersion is the version of the JSON report schema
// (docs/guides/drift-reporter.md documents it). Version 2 added
// "identities" (every evaluated identity with its uid and active
// credentials, always the last key), "exceptions" and "deliveries" (when
// there are any), the sources' "environment" and "location" and the
// identities' "uid": what drift merge needs to join reports.
const JSONVersion = 2

// JSON renders the versioned machine-readable report. It streams: the
// findings and exclusions are encoded one at a time, so memory does not hold
// the whole document (twice, with indentation) for a large scan. The bytes
// are those of json.Encoder with two-space indentation.
func JSON(w io.Writer, r drift.Report) error {
	findings, excluded := r.Findings, r.Excluded
	if findings == nil {
		findings = []drift.Finding{}
	}
	if excluded == nil {
		excluded = []drift.ExcludedIdentity{}
	}
	sources := r.Sources
	if sources == nil {
		sources = []drift.SourceStatus{}
	}
	bw := bufio.NewWriter(w)
	type field struct {
		name string
		v    any
	}
	fields := []field{{"version", JSONVersion}, {"complete", r.Complete}, {"evaluated_at", r.EvaluatedAt.Format("2006-01-02T15:04:05Z07:00")}, {"sources", sources}}
	if r.Owners != nil {
		// Only with an owners block: whether the directory was read.
		fields = append(fields, field{"owners", r.Owners})
	}
	fields = append(fields, field{"findings", findings}, field{"summary", summarize(r)})
	if r.Baseline != nil {
		// Only with --baseline: the comparison, the baseline's findings
		// that are resolved, and those this run could not look for.
		fields = append(fields, field{"baseline", baselineObject(r)},
			field{"absent", nonNil(r.Baseline.Absent)}, field{"not_rechecked", nonNil(r.Baseline.NotRechecked)})
	}
	fields = append(fields, field{"excluded", excluded})
	if est := r.Estate; est != nil {
		// What drift merge needs to judge the estate again.
		if len(est.Exceptions) > 0 {
			fields = append(fields, field{"exceptions", est.Exceptions})
		}
		if len(est.Deliveries) > 0 {
			fields = append(fields, field{"deliveries", est.Deliveries})
		}
	}
	// Last, so that a reader can stop before the longest list.
	fields = append(fields, field{"identities", identities(r)})
	bw.WriteString("{\n")
	for i, f := range fields {
		fmt.Fprintf(bw, "  %q: ", f.name)
		var err error
		switch v := f.v.(type) {
		case []drift.Finding:
			err = streamArray(bw, "  ", len(v), func(i int) any { return v[i] })
		case []drift.ExcludedIdentity:
			err = streamArray(bw, "  ", len(v), func(i int) any { return v[i] })
		case drift.IdentitySet:
			err = streamSet(bw, "  ", v)
		default:
			err = writeIndented(bw, v, "  ")
		}
		if err != nil {
			return err
		}
		if i < len(fields)-1 {
			bw.WriteString(",")
		}
		bw.WriteString("\n")
	}
	bw.WriteString("}\n")
	return bw.Flush()
}

// identities are the report's evaluated identities: its estate's, or
// those in Scanned (without credentials) for a report made without one.
func identities(r drift.Report) drift.IdentitySet {
	if r.Estate != nil && r.Estate.Identities != nil {
		return r.Estate.Identities
	}
	l := make(drift.IdentityList, len(r.Scanned))
	for i, ref := range r.Scanned {
		l[i] = drift.ScannedIdentity{IdentityRef: ref}
	}
	return l
}

// streamSet writes an identity set as streamArray writes an array, one
// identity at a time as the set yields them.
func streamSet(w *bufio.Writer, prefix string, s drift.IdentitySet) error {
	if s.Len() == 0 {
		_, err := w.WriteString("[]")
		return err
	}
	inner := prefix + "  "
	w.WriteString("[\n")
	first := true
	err := s.Each(func(id drift.ScannedIdentity) error {
		if !first {
			w.WriteString(",\n")
		}
		first = false
		w.WriteString(inner)
		return writeIndented(w, id, inner)
	})
	if err != nil {
		return err
	}
	_, err = w.WriteString("\n" + prefix + "]")
	return err
}

func nonNil(fs []drift.Finding) []drift.Finding {
	if fs == nil {
		return []drift.Finding{}
	}
	return fs
}

// streamArray writes, element by element, a JSON array that sits at
// indentation prefix, as json.MarshalIndent with two spaces would.
func streamArray(w *bufio.Writer, prefix string, n int, at func(int) any) error {
	if n == 0 {
		_, err := w.WriteString("[]")
		return err
	}
	inner := prefix + "  "
	w.WriteString("[\n")
	for i := 0; i < n; i++ {
		w.WriteString(inner)
		if err := writeIndented(w, at(i), inner); err != nil {
			return err
		}
		if i < n-1 {
			w.WriteString(",")
		}
		w.WriteString("\n")
	}
	_, err := w.WriteString(prefix + "]")
	return err
}

func writeIndented(w io.Writer, v any, prefix string) error {
	b, err := json.MarshalIndent(v, prefix, "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}
