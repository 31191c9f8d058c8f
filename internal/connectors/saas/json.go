package saas

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// A JSON export is a list of objects, one per identity: the document
// itself, the list at the dotted path `rows` of it, or the one list of a
// top-level object (Slack's {"ok": true, "bots": [...]}). It is parsed
// into values that know where they are, so errors name line and column.

// jvalue is one JSON value and the offset of its first byte.
type jvalue struct {
	off int
	// kind is "object", "list", "string", "number", "boolean" or "null".
	kind   string
	str    string // string, or number as written
	b      bool
	keys   []string // object keys, in order
	fields map[string]*jvalue
	elems  []*jvalue
}

const maxDepth = 200

// parseJSON parses one JSON document.
func parseJSON(data []byte) (*jvalue, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := parseValue(dec, data, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &offsetError{off: int(dec.InputOffset()), msg: "there is more after the JSON document"}
	}
	return v, nil
}

// offsetError is a JSON syntax error at a byte offset.
type offsetError struct {
	off int
	msg string
}

func (e *offsetError) Error() string { return e.msg }

// skipSep returns the offset of the next value at or after off: past
// white space and the ',' and ':' between values.
func skipSep(data []byte, off int) int {
	for off < len(data) && strings.IndexByte(" \t\r\n,:", data[off]) >= 0 {
		off++
	}
	return off
}

func parseValue(dec *json.Decoder, data []byte, depth int) (*jvalue, error) {
	if depth > maxDepth {
		return nil, &offsetError{off: int(dec.InputOffset()), msg: fmt.Sprintf("nested more than %d deep", maxDepth)}
	}
	off := skipSep(data, int(dec.InputOffset()))
	tok, err := dec.Token()
	if err != nil {
		return nil, syntaxError(err, data, off)
	}
	v := &jvalue{off: off}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			v.kind, v.fields = "object", map[string]*jvalue{}
			for dec.More() {
				koff := skipSep(data, int(dec.InputOffset()))
				kt, err := dec.Token()
				if err != nil {
					return nil, syntaxError(err, data, koff)
				}
				key, _ := kt.(string)
				child, err := parseValue(dec, data, depth+1)
				if err != nil {
					return nil, err
				}
				if _, dup := v.fields[key]; !dup {
					v.keys = append(v.keys, key)
				}
				v.fields[key] = child
			}
		case '[':
			v.kind = "list"
			for dec.More() {
				child, err := parseValue(dec, data, depth+1)
				if err != nil {
					return nil, err
				}
				v.elems = append(v.elems, child)
			}
		}
		if _, err := dec.Token(); err != nil { // the closing delimiter
			return nil, syntaxError(err, data, int(dec.InputOffset()))
		}
	case string:
		v.kind, v.str = "string", t
	case json.Number:
		v.kind, v.str = "number", t.String()
	case bool:
		v.kind, v.b = "boolean", t
	case nil:
		v.kind = "null"
	}
	return v, nil
}

func syntaxError(err error, data []byte, off int) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &offsetError{off: int(se.Offset), msg: "malformed JSON: " + se.Error()}
	}
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return &offsetError{off: len(data), msg: "malformed JSON: the document ends too early"}
	}
	return &offsetError{off: off, msg: "malformed JSON: " + err.Error()}
}

// lineCol turns a byte offset into a 1-based line and column.
func lineCol(data []byte, off int) (int, int) {
	if off > len(data) {
		off = len(data)
	}
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	return line, off - (bytes.LastIndexByte(before, '\n') + 1) + 1
}

// get finds a key of an object: the key itself, or a dotted path into
// nested objects ("profile.last_login").
func (v *jvalue) get(key string) (*jvalue, bool) {
	if v == nil || v.kind != "object" {
		return nil, false
	}
	if c, ok := v.fields[key]; ok {
		return c, true
	}
	head, rest, ok := strings.Cut(key, ".")
	if !ok {
		return nil, false
	}
	c, ok := v.fields[head]
	if !ok {
		return nil, false
	}
	return c.get(rest)
}

func (e Export) jsonErr(data []byte, off int, format string, args ...any) *InputError {
	l, c := lineCol(data, off)
	return &InputError{File: e.File, Line: l, Column: c, Msg: fmt.Sprintf(format, args...)}
}

func jsonRows(e Export, data []byte) ([]row, error) {
	if bytes.HasPrefix(data, []byte("\ufeff")) {
		data = append([]byte("   "), data[3:]...) // same offsets
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil
	}
	doc, err := parseJSON(data)
	if err != nil {
		var oe *offsetError
		if errors.As(err, &oe) {
			return nil, e.jsonErr(data, oe.off, "%s", oe.msg)
		}
		return nil, err
	}
	list, err := e.rowList(data, doc)
	if err != nil {
		return nil, err
	}
	seenKey := map[string]bool{}
	rows := make([]row, 0, len(list.elems))
	for i, el := range list.elems {
		l, c := lineCol(data, el.off)
		if el.kind != "object" {
			rows = append(rows, row{line: l, col: c, err: e.jsonErr(data, el.off, "row %d is a JSON %s; each identity must be an object", i+1, el.kind)})
			continue
		}
		r := row{line: l, col: c, cells: map[string]cell{}}
		for _, f := range Fields {
			key, _, neg := e.header(f)
			v, ok := el.get(key)
			if !ok {
				continue
			}
			seenKey[f] = true
			vl, vc := lineCol(data, v.off)
			r.cells[f] = jsonCell(v, vl, vc, key, neg)
		}
		rows = append(rows, r)
	}
	// A mapped key no row has is a typo, not an export without the field.
	var missing []string
	for _, f := range Fields {
		if m, mapped := e.Columns[f]; mapped && m != "" && !seenKey[f] && len(list.elems) > 0 {
			missing = append(missing, fmt.Sprintf("%s = %q", f, m))
		}
	}
	if len(missing) > 0 {
		return nil, e.jsonErr(data, list.off, "no row has the key of %s of the columns block; the rows' keys are %s", strings.Join(missing, ", "), quoted(rowKeys(list)))
	}
	return rows, nil
}

// rowList finds the list of identities.
func (e Export) rowList(data []byte, doc *jvalue) (*jvalue, error) {
	if e.Rows != "" {
		if doc.kind != "object" {
			return nil, e.jsonErr(data, doc.off, "rows = %q names a key, but the document is a JSON %s", e.Rows, doc.kind)
		}
		v, ok := doc.get(e.Rows)
		switch {
		case !ok:
			return nil, e.jsonErr(data, doc.off, "the document has no key %q (rows); its keys are %s", e.Rows, quoted(doc.keys))
		case v.kind != "list":
			return nil, e.jsonErr(data, v.off, "%q (rows) is a JSON %s; it must be the list of identities", e.Rows, v.kind)
		}
		return v, nil
	}
	switch doc.kind {
	case "list":
		return doc, nil
	case "object":
		var lists []string
		for _, k := range doc.keys {
			if doc.fields[k].kind == "list" {
				lists = append(lists, k)
			}
		}
		if len(lists) == 1 {
			return doc.fields[lists[0]], nil
		}
		if len(lists) == 0 {
			return nil, e.jsonErr(data, doc.off, "the document is a JSON object with no list of identities in it; set rows to the dotted path of the list, such as rows = \"data.items\"")
		}
		return nil, e.jsonErr(data, doc.off, "the document has several lists (%s); set rows to the one that lists the identities", quoted(lists))
	}
	return nil, e.jsonErr(data, doc.off, "the document is a JSON %s; an export is a list of objects, one per identity", doc.kind)
}

// rowKeys lists the keys of the rows, for a message.
func rowKeys(list *jvalue) []string {
	seen := map[string]bool{}
	var out []string
	for _, el := range list.elems {
		for _, k := range el.keys {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	sort.Strings(out)
	return out
}

func jsonCell(v *jvalue, line, col int, key string, negate bool) cell {
	c := cell{line: line, col: col, header: key, negate: negate}
	switch v.kind {
	case "null":
		c.null = true
	case "string":
		c.str = strings.TrimSpace(v.str)
	case "number":
		c.number = v.str
	case "boolean":
		b := v.b
		c.boolean = &b
	case "list":
		c.isList, c.notScalar = true, "list"
		for _, el := range v.elems {
			if el.kind != "string" {
				c.isList, c.list, c.notScalar = false, nil, "list of "+el.kind+"s"
				return c
			}
			c.list = append(c.list, el.str)
		}
		if c.list == nil {
			c.list = []string{}
		}
	default:
		c.notScalar = v.kind
	}
	return c
}
