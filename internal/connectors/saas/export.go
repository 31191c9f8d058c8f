package saas

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// The fields of the documented export schema. An export names them in its
// header (CSV) or keys (JSON), or the inventory block's `columns` maps them
// to the export's own names.
const (
	// FieldID is the system's stable ID of the identity ("005Dn000001AbCd").
	FieldID = "id"
	// FieldName is its name in the system, the second part of its ID
	// ("billing-sync"). A row without one is named by its id.
	FieldName = "name"
	// FieldKind is its kind ("integration_user", "bot").
	FieldKind = "kind"
	// FieldCreatedAt and FieldLastUsedAt are times. A blank last_used_at
	// means never used.
	FieldCreatedAt  = "created_at"
	FieldLastUsedAt = "last_used_at"
	// FieldScopes is what it may do: a JSON list of strings, or a string
	// of scopes separated by ',', ';' or new lines (or scope_separator).
	FieldScopes = "scopes"
	// FieldOwner is the owner the system records, shown for undeclared
	// identities (a declared one's owner is its declaration's).
	FieldOwner = "owner"
	// FieldActive says whether it is switched on: true or false, yes or
	// no, 1 or 0, active or inactive, enabled or disabled. A mapping
	// "!<column>" reads the negation of a column, such as "!deleted".
	FieldActive = "active"
)

// Fields lists the schema's fields, in documentation order.
var Fields = []string{FieldID, FieldName, FieldKind, FieldCreatedAt, FieldLastUsedAt, FieldScopes, FieldOwner, FieldActive}

// Formats of an export.
const (
	FormatCSV  = "csv"
	FormatJSON = "json"
)

// maxErrors bounds the row errors one read reports.
const maxErrors = 10

// Export says how to read one export file.
type Export struct {
	// File is the export's path.
	File string
	// Format is FormatCSV or FormatJSON.
	Format string
	// System is the system its identities live in, their location
	// ("salesforce").
	System string
	// Kind is the kind of rows that give none; empty leaves it to the
	// declaration.
	Kind string
	// Columns maps fields to the export's column names (CSV) or keys
	// (JSON; a dotted path reaches into nested objects). An unmapped field
	// is read from the column of its own name, if there is one.
	Columns map[string]string
	// Rows is the dotted path of the list of identities in a JSON object
	// ("members"); empty takes a top-level list, or the one list of a
	// top-level object.
	Rows string
	// ScopeSeparator splits a string of scopes; empty splits at ',', ';'
	// and new lines.
	ScopeSeparator string
	// TimeFormat is the layout of the export's times in Go's notation
	// ("1/2/2006 3:04 PM"), tried before the standard forms.
	TimeFormat string
	// AllowEmpty accepts an export without rows.
	AllowEmpty bool
}

// ErrNoRows is wrapped by the error of an export that lists nobody.
var ErrNoRows = errors.New("the export lists no identities")

// InputError is bad input at one place of an export: a malformed row, a
// value that is not what its field needs.
type InputError struct {
	File string
	// Line and Column are 1-based; Column counts bytes.
	Line, Column int
	// Field is the schema field the value is for, when it is one.
	Field string
	// Header is the export's name of that column, when it differs.
	Header string
	Msg    string
}

func (e *InputError) Error() string {
	where := fmt.Sprintf("%s:%d:%d: ", e.File, e.Line, e.Column)
	switch {
	case e.Field != "" && e.Header != "" && e.Header != e.Field:
		where += fmt.Sprintf("%s (column %q): ", e.Field, e.Header)
	case e.Field != "":
		where += e.Field + ": "
	}
	return where + e.Msg
}

// RowsError is the error of an export some of whose rows could not be
// read; the others were.
type RowsError struct {
	File string
	// Rows counts the rows, read or not.
	Rows int
	// Errs are the first errors, in file order; More counts the others.
	Errs []*InputError
	More int
}

func (e *RowsError) Error() string {
	n := len(e.Errs) + e.More
	msgs := make([]string, len(e.Errs))
	for i, x := range e.Errs {
		msgs[i] = x.Error()
	}
	s := fmt.Sprintf("%s: %d of %d rows could not be read (the others were): %s", filepath.Base(e.File), n, e.Rows, strings.Join(msgs, "; "))
	if e.More > 0 {
		s += fmt.Sprintf("; and %d more", e.More)
	}
	return s
}

// Unwrap returns the row errors.
func (e *RowsError) Unwrap() []error {
	out := make([]error, len(e.Errs))
	for i, x := range e.Errs {
		out[i] = x
	}
	return out
}

// Read reads an export file. A file that cannot be read, or is not an
// export at all, is an error and no identity; bad rows are left out and
// reported together in a *RowsError, with the identities of the good ones.
func Read(e Export) ([]nhi.Identity, error) {
	data, err := os.ReadFile(e.File)
	if err != nil {
		return nil, fmt.Errorf("reading the %s export: %w", e.System, err)
	}
	return Parse(e, data)
}

// Parse reads an export from data (e.File names it in errors).
func Parse(e Export, data []byte) ([]nhi.Identity, error) {
	var rows []row
	var err error
	switch e.Format {
	case FormatCSV:
		rows, err = csvRows(e, data)
	case FormatJSON:
		rows, err = jsonRows(e, data)
	default:
		return nil, fmt.Errorf("%s: format %q is not %q or %q", e.File, e.Format, FormatCSV, FormatJSON)
	}
	if err != nil {
		return nil, err
	}
	b := builder{e: e, seen: map[string]int{}}
	var ids []nhi.Identity
	for _, r := range rows {
		if r.err != nil {
			b.fail(r.err)
			continue
		}
		if id, ok := b.identity(r); ok {
			ids = append(ids, id)
		}
	}
	if len(b.errs) > 0 {
		return ids, &RowsError{File: e.File, Rows: len(rows), Errs: b.errs, More: b.more}
	}
	if len(rows) == 0 && !e.AllowEmpty {
		return nil, fmt.Errorf("%s: %w: an export that lists nobody is more often a failed or filtered export than a system without identities, "+
			"so it is not taken as a clean result. Check the export, or set allow_empty = true in its inventory block if %s really has no identities", e.File, ErrNoRows, e.System)
	}
	return ids, nil
}

// cell is one field's value in one row, and where it is.
type cell struct {
	line, col int
	// header is the export's name of the column.
	header string
	// null is a JSON null or an absent key; blank strings are blank.
	null bool
	str  string
	// list is set for a JSON list (of strings, or err says otherwise).
	list    []string
	isList  bool
	boolean *bool
	// number is set for a JSON number.
	number string
	// notScalar names a JSON object or list where a string was needed.
	notScalar string
	// negate reads an active column as its negation.
	negate bool
}

// row is one row of an export: its cells by field, where it starts, or
// the error that makes it unreadable.
type row struct {
	line, col int
	cells     map[string]cell
	err       *InputError
}

// header returns the column (or key) a field is read from: its mapping, or
// its own name; negate for an "!<column>" mapping of active.
func (e Export) header(field string) (name string, mapped, negate bool) {
	if m, ok := e.Columns[field]; ok && m != "" {
		if field == FieldActive && strings.HasPrefix(m, "!") {
			return m[1:], true, true
		}
		return m, true, false
	}
	return field, false, false
}

// findHeader finds a column by its exact name, else by a unique
// case-insensitive match.
func findHeader(headers []string, name string) int {
	for i, h := range headers {
		if h == name {
			return i
		}
	}
	found := -1
	for i, h := range headers {
		if strings.EqualFold(h, name) {
			if found >= 0 {
				return -1
			}
			found = i
		}
	}
	return found
}

func quoted(in []string) string {
	q := make([]string, len(in))
	for i, s := range in {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}

func csvRows(e Export, data []byte) ([]row, error) {
	data = bytes.TrimPrefix(data, []byte("\ufeff")) // spreadsheets write a byte order mark
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	headers, err := r.Read()
	if err == io.EOF {
		return nil, nil
	}
	if err != nil {
		return nil, csvError(e.File, err)
	}
	for i := range headers {
		headers[i] = strings.TrimSpace(headers[i])
	}
	index := map[string]int{}
	var missing []string
	for _, f := range Fields {
		name, mapped, _ := e.header(f)
		i := findHeader(headers, name)
		switch {
		case i >= 0:
			index[f] = i
		case mapped:
			missing = append(missing, fmt.Sprintf("%s = %q", f, e.Columns[f]))
		}
	}
	if len(missing) > 0 {
		return nil, &InputError{File: e.File, Line: 1, Column: 1, Msg: fmt.Sprintf("the header has no column for %s of the columns block; its columns are %s", strings.Join(missing, ", "), quoted(headers))}
	}
	if _, ok := index[FieldName]; !ok {
		if _, ok := index[FieldID]; !ok {
			return nil, &InputError{File: e.File, Line: 1, Column: 1, Msg: fmt.Sprintf("the header has no name or id column; map the column that names each identity with columns { name = \"<column>\" }; its columns are %s", quoted(headers))}
		}
	}
	var rows []row
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			// A quoting error leaves the rest of the file unreliable.
			ie := csvError(e.File, err)
			if ie, ok := ie.(*InputError); ok {
				rows = append(rows, row{line: ie.Line, col: ie.Column, err: ie})
				return rows, nil
			}
			return nil, ie
		}
		line, col := r.FieldPos(0)
		if len(rec) != len(headers) {
			rows = append(rows, row{line: line, col: col, err: &InputError{File: e.File, Line: line, Column: col,
				Msg: fmt.Sprintf("the row has %d fields but the header has %d: a malformed row (a stray comma or an unquoted value with one)", len(rec), len(headers))}})
			continue
		}
		rw := row{line: line, col: col, cells: map[string]cell{}}
		for f, i := range index {
			l, c := r.FieldPos(i)
			_, _, neg := e.header(f)
			rw.cells[f] = cell{line: l, col: c, header: headers[i], str: strings.TrimSpace(rec[i]), negate: neg}
		}
		rows = append(rows, rw)
	}
}

// csvError turns a csv.ParseError into an InputError.
func csvError(file string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &InputError{File: file, Line: pe.Line, Column: pe.Column, Msg: "malformed CSV: " + pe.Err.Error()}
	}
	return fmt.Errorf("%s: %w", file, err)
}

// builder turns rows into identities, collecting the errors.
type builder struct {
	e    Export
	errs []*InputError
	more int
	// seen maps a name to the line of the row that had it.
	seen map[string]int
}

func (b *builder) fail(err *InputError) {
	if len(b.errs) < maxErrors {
		b.errs = append(b.errs, err)
	} else {
		b.more++
	}
}

func (b *builder) bad(c cell, field, format string, args ...any) *InputError {
	return &InputError{File: b.e.File, Line: c.line, Column: c.col, Field: field, Header: c.header, Msg: fmt.Sprintf(format, args...)}
}

// identity builds the identity of one row; false (after recording why)
// when the row cannot be read.
func (b *builder) identity(r row) (nhi.Identity, bool) {
	var errs []*InputError
	str := func(field string) string {
		c, ok := r.cells[field]
		if !ok || c.null {
			return ""
		}
		switch {
		case c.notScalar != "":
			errs = append(errs, b.bad(c, field, "is a JSON %s; it must be a string", c.notScalar))
			return ""
		case c.boolean != nil:
			errs = append(errs, b.bad(c, field, "is %t; it must be a string", *c.boolean))
			return ""
		case c.number != "":
			return c.number
		}
		return c.str
	}
	id := nhi.Identity{System: SystemName, ID: str(FieldID), Ref: nhi.Ref{Location: b.e.System, Name: str(FieldName)}}
	id.Governance.Owner = str(FieldOwner)
	if id.Ref.Name == "" {
		id.Ref.Name = id.ID
	}
	if kind := str(FieldKind); kind != "" {
		id.Kind = normalKind(kind)
	} else {
		id.Kind = b.e.Kind
	}
	if c, ok := r.cells[FieldCreatedAt]; ok {
		if t, set, err := b.time(c, FieldCreatedAt); err != nil {
			errs = append(errs, err)
		} else if set {
			id.CreatedAt = t
		}
	}
	if c, ok := r.cells[FieldLastUsedAt]; ok {
		t, _, err := b.time(c, FieldLastUsedAt)
		if err != nil {
			errs = append(errs, err)
		}
		id.LastUsedAt = &t // zero: never used
	}
	if c, ok := r.cells[FieldScopes]; ok {
		s, err := b.scopes(c)
		if err != nil {
			errs = append(errs, err)
		}
		id.EffectiveScopes = s
	}
	if c, ok := r.cells[FieldActive]; ok {
		active, err := b.active(c)
		if err != nil {
			errs = append(errs, err)
		}
		if !active {
			// Switched off in the system: it holds no access.
			id.Disabled, id.EffectiveScopes = true, []string{}
		}
	}
	if id.Ref.Name == "" && len(errs) == 0 {
		c := cell{line: r.line, col: r.col}
		if nc, ok := r.cells[FieldName]; ok {
			c = nc
		}
		errs = append(errs, b.bad(c, FieldName, "the row has no name (and no id): every identity needs one"))
	}
	if id.Ref.Name != "" {
		if first, dup := b.seen[id.Ref.Name]; dup && len(errs) == 0 {
			c := r.cells[FieldName]
			if c.line == 0 {
				c = r.cells[FieldID]
			}
			errs = append(errs, b.bad(c, FieldName, "%q is listed twice (first at line %d): an export lists each identity once", id.Ref.Name, first))
		} else if !dup {
			b.seen[id.Ref.Name] = r.line
		}
	}
	for _, err := range errs {
		b.fail(err)
	}
	return id, len(errs) == 0
}

// normalKind writes a kind as the model does: "Integration User" and
// "integration-user" are integration_user.
func normalKind(s string) string {
	return strings.NewReplacer(" ", "_", "-", "_").Replace(strings.ToLower(strings.TrimSpace(s)))
}

// timeLayouts are the standard forms of a time, tried after time_format.
// Those without a zone are UTC.
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05Z07:00", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02"}

// time reads a time: a string in time_format or a standard form, or Unix
// seconds (milliseconds from 1e11 on). Blank or null is not set.
func (b *builder) time(c cell, field string) (time.Time, bool, *InputError) {
	s := c.str
	switch {
	case c.null:
		return time.Time{}, false, nil
	case c.notScalar != "":
		return time.Time{}, false, b.bad(c, field, "is a JSON %s, not a time", c.notScalar)
	case c.boolean != nil:
		return time.Time{}, false, b.bad(c, field, "is %t, not a time", *c.boolean)
	case c.number != "":
		s = c.number
	}
	if s == "" {
		return time.Time{}, false, nil
	}
	if b.e.TimeFormat != "" {
		if t, err := time.ParseInLocation(b.e.TimeFormat, s, time.UTC); err == nil {
			return t.UTC(), true, nil
		}
	}
	for _, l := range timeLayouts {
		if t, err := time.ParseInLocation(l, s, time.UTC); err == nil {
			return t.UTC(), true, nil
		}
	}
	if n, err := strconv.ParseFloat(s, 64); err == nil && n > 0 && !strings.ContainsAny(s, "eE") {
		if n >= 1e11 {
			n /= 1000
		}
		sec := int64(n)
		return time.Unix(sec, int64((n-float64(sec))*1e9)).UTC().Truncate(time.Millisecond), true, nil
	}
	hint := "set time_format in the inventory block to the export's layout, written as Go writes 2006-01-02 15:04:05, such as \"1/2/2006 3:04 PM\""
	if b.e.TimeFormat != "" {
		hint = fmt.Sprintf("it does not match time_format %q either", b.e.TimeFormat)
	}
	return time.Time{}, false, b.bad(c, field, "%q is not a time: expected RFC 3339 (\"2026-03-14T10:32:00Z\"), a date (\"2026-03-14\"), \"2026-03-14 10:32:00\" or Unix seconds; %s", s, hint)
}

// scopes reads a list of scopes: a JSON list of strings, or a string split
// at scope_separator (',', ';' and new lines by default). Empty items are
// dropped; the result is sorted and unique, and empty (not nil) when the
// row lists none.
func (b *builder) scopes(c cell) ([]string, *InputError) {
	var items []string
	switch {
	case c.null:
	case c.isList:
		items = c.list
	case c.notScalar != "":
		return []string{}, b.bad(c, FieldScopes, "is a JSON %s; it must be a list of strings or a string", c.notScalar)
	case c.boolean != nil || c.number != "":
		return []string{}, b.bad(c, FieldScopes, "is not a list of scopes")
	case b.e.ScopeSeparator != "":
		items = strings.Split(c.str, b.e.ScopeSeparator)
	default:
		items = strings.FieldsFunc(c.str, func(r rune) bool { return r == ',' || r == ';' || r == '\n' || r == '\r' })
	}
	out := []string{}
	for _, s := range items {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return nhi.SortedUnique(out), nil
}

var activeWords = map[string]bool{
	"true": true, "yes": true, "y": true, "1": true, "active": true, "enabled": true, "on": true,
	"false": false, "no": false, "n": false, "0": false, "inactive": false, "disabled": false, "off": false, "deactivated": false, "suspended": false,
}

// active reads whether a row's identity is switched on; blank or null is
// taken as on.
func (b *builder) active(c cell) (bool, *InputError) {
	v := true
	switch {
	case c.null:
		return true, nil
	case c.boolean != nil:
		v = *c.boolean
	case c.notScalar != "":
		return true, b.bad(c, FieldActive, "is a JSON %s; it must be true or false", c.notScalar)
	default:
		s := c.str
		if c.number != "" {
			s = c.number
		}
		if strings.TrimSpace(s) == "" {
			return true, nil
		}
		w, ok := activeWords[strings.ToLower(strings.TrimSpace(s))]
		if !ok {
			return true, b.bad(c, FieldActive, "%q is not true or false (nor yes/no, 1/0, active/inactive, enabled/disabled)", s)
		}
		v = w
	}
	if c.negate {
		v = !v
	}
	return v, nil
}
