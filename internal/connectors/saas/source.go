package saas

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/system"
)

// SourceConfig is a drift `inventory "<name>"` block: one export file of
// one system.
type SourceConfig struct {
	Export
}

var sourceSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "system", Required: true}, {Name: "file", Required: true}, {Name: "format"}, {Name: "kind"},
		{Name: "rows"}, {Name: "scope_separator"}, {Name: "time_format"}, {Name: "allow_empty"},
	},
	Blocks: []hcl.BlockHeaderSchema{{Type: "columns"}},
}

func columnsSchema() *hcl.BodySchema {
	s := &hcl.BodySchema{}
	for _, f := range Fields {
		s.Attributes = append(s.Attributes, hcl.AttributeSchema{Name: f})
	}
	return s
}

// sourceBlock is the block type of this system's drift sources.
const sourceBlock = "inventory"

// source is the drift `inventory "<name>"` block.
func source() system.Source {
	return system.Source{
		Block:         sourceBlock,
		Schema:        sourceSchema,
		Example:       `inventory "salesforce" { system = "salesforce", file = "salesforce-users.csv" }`,
		DecodeContent: decodeSource,
	}
}

// decodeSource reads `inventory "<name>" { system, file, format, kind,
// rows, scope_separator, time_format, allow_empty, columns { ... } }`.
func decodeSource(c *hcl.BodyContent, dir string) (system.SourceConfig, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	s := &SourceConfig{}
	attrs := c.Attributes
	str := func(name string, dst *string) (*hcl.Attribute, bool) {
		a, ok := attrs[name]
		if !ok {
			return nil, false
		}
		v, d := system.String(a)
		diags = append(diags, d...)
		*dst = v
		return a, !d.HasErrors()
	}
	if a, ok := str("system", &s.System); ok {
		if err := ValidateSystem(s.System); err != nil {
			diags = append(diags, system.Errorf(a.Expr.Range(), "Invalid system", "system %v.", err))
		}
	}
	if a, ok := str("file", &s.File); ok {
		if strings.TrimSpace(s.File) == "" {
			diags = append(diags, system.Errorf(a.Expr.Range(), "Missing file", "file is empty; set it to the export's path, such as \"exports/salesforce-users.csv\" (relative to this file)."))
		} else {
			s.File = system.ExpandPath(s.File, dir)
		}
	}
	if a, ok := str("format", &s.Format); ok && s.Format != FormatCSV && s.Format != FormatJSON {
		diags = append(diags, system.Errorf(a.Expr.Range(), "Invalid format", "format %q is not \"csv\" or \"json\".", s.Format))
	}
	if s.Format == "" && s.File != "" {
		switch strings.ToLower(filepath.Ext(s.File)) {
		case ".csv":
			s.Format = FormatCSV
		case ".json":
			s.Format = FormatJSON
		default:
			diags = append(diags, system.Errorf(attrs["file"].Expr.Range(), "Unknown export format",
				"The format of %s cannot be told from its extension; set format = \"csv\" or format = \"json\".", filepath.Base(s.File)))
		}
	}
	if a, ok := str("kind", &s.Kind); ok {
		if err := ValidateKind(s.Kind); err != nil {
			diags = append(diags, system.Errorf(a.Expr.Range(), "Invalid kind", "kind %v.", err))
		}
	}
	if a, ok := str("rows", &s.Rows); ok {
		switch {
		case s.Format == FormatCSV:
			diags = append(diags, system.Errorf(a.Expr.Range(), "Unexpected rows", "rows names the list of identities in a JSON export; a CSV export's rows are its lines. Remove it."))
		case strings.TrimSpace(s.Rows) == "":
			diags = append(diags, system.Errorf(a.Expr.Range(), "Missing rows", "rows is empty; set it to the dotted path of the list of identities, such as \"members\", or remove it."))
		}
	}
	if a, ok := str("scope_separator", &s.ScopeSeparator); ok && s.ScopeSeparator == "" {
		diags = append(diags, system.Errorf(a.Expr.Range(), "Missing scope separator", "scope_separator is empty; set it to the string between two scopes, such as \" \", or remove it to split at ',', ';' and new lines."))
	}
	if a, ok := str("time_format", &s.TimeFormat); ok {
		if err := checkLayout(s.TimeFormat); err != nil {
			diags = append(diags, system.Errorf(a.Expr.Range(), "Invalid time format", "time_format %v.", err))
		}
	}
	if a, ok := attrs["allow_empty"]; ok {
		v, d := a.Expr.Value(nil)
		diags = append(diags, d...)
		if !d.HasErrors() {
			if v.IsNull() || !v.Type().Equals(cty.Bool) {
				diags = append(diags, system.Errorf(a.Expr.Range(), "Incorrect attribute value type", "allow_empty must be true or false."))
			} else {
				s.AllowEmpty = v.True()
			}
		}
	}
	for i, b := range c.Blocks {
		if i > 0 {
			diags = append(diags, system.Errorf(b.DefRange, "Duplicate columns block", "An inventory block has one columns block; merge them."))
			continue
		}
		cc, d := b.Body.Content(columnsSchema())
		diags = append(diags, d...)
		s.Columns = map[string]string{}
		for name, a := range cc.Attributes {
			v, d := system.String(a)
			diags = append(diags, d...)
			if d.HasErrors() {
				continue
			}
			switch {
			case strings.HasPrefix(v, "!") && name != FieldActive:
				diags = append(diags, system.Errorf(a.Expr.Range(), "Invalid column", "%s = %q: only active reads the negation of a column (\"!deleted\"); name a column (or JSON key) of the export.", name, v))
				continue
			case strings.TrimSpace(strings.TrimPrefix(v, "!")) == "":
				diags = append(diags, system.Errorf(a.Expr.Range(), "Invalid column", "%s is empty; name a column (or JSON key) of the export, or remove it.", name))
				continue
			}
			s.Columns[name] = v
		}
	}
	return s, diags
}

// checkLayout checks a Go time layout: it must write some part of a time
// and read back what it writes.
func checkLayout(layout string) error {
	ref := time.Date(2026, 3, 14, 22, 4, 5, 0, time.UTC)
	out := ref.Format(layout)
	if strings.TrimSpace(layout) == "" || out == layout {
		return fmt.Errorf("%q has no part of a time in it; write the export's layout as Go writes the time 2006-01-02 15:04:05, such as \"1/2/2006 3:04 PM\" or \"02.01.2006 15:04\"", layout)
	}
	if _, err := time.Parse(layout, out); err != nil {
		return fmt.Errorf("%q cannot be read back (%v); write the export's layout as Go writes the time 2006-01-02 15:04:05, such as \"1/2/2006 3:04 PM\"", layout, err)
	}
	return nil
}

// Locations implements system.SourceConfig: the export covers its system.
func (s *SourceConfig) Locations() []string { return []string{s.System} }

// Connect implements system.SourceConfig. Nothing is reached: the scanner
// reads the file when it scans.
func (s *SourceConfig) Connect(context.Context) (nhi.Scanner, error) {
	return &Scanner{Export: s.Export}, nil
}

// Scanner reads an export as an inventory.
type Scanner struct {
	Export Export
}

var _ nhi.Scanner = (*Scanner)(nil)

// System implements nhi.Inventory.
func (s *Scanner) System() string { return SystemName }

// Scan implements nhi.Scanner: the export's identities, if its system is
// among locations (or locations is empty). Bad rows make an error beside
// the identities of the good ones.
func (s *Scanner) Scan(ctx context.Context, locations []string) ([]nhi.Identity, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(locations) > 0 && !contains(locations, s.Export.System) {
		return nil, nil
	}
	return Read(s.Export)
}

// List implements nhi.Inventory, in one page.
func (s *Scanner) List(ctx context.Context, opts nhi.ListOptions) (nhi.Page, error) {
	ids, err := s.Scan(ctx, opts.Locations)
	if err != nil {
		return nhi.Page{}, err
	}
	var out []nhi.Identity
	for _, id := range ids {
		if (opts.Declared == nil || *opts.Declared == id.Declared) && (opts.Owner == "" || opts.Owner == id.Governance.Owner) {
			out = append(out, id)
		}
	}
	return nhi.Page{Identities: out}, nil
}

// NotFoundError says that an export does not list an identity.
type NotFoundError struct {
	File string
	Ref  nhi.Ref
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("%s is not in the export %s", e.Ref, filepath.Base(e.File))
}

// Unwrap makes it an nhi.ErrNotFound.
func (e *NotFoundError) Unwrap() error { return nhi.ErrNotFound }

// Get implements nhi.Inventory.
func (s *Scanner) Get(ctx context.Context, ref nhi.Ref) (nhi.Identity, error) {
	ids, err := s.Scan(ctx, []string{ref.Location})
	for _, id := range ids {
		if id.Ref == ref {
			return id, nil
		}
	}
	if err != nil {
		return nhi.Identity{}, err
	}
	return nhi.Identity{}, &NotFoundError{File: s.Export.File, Ref: ref}
}

func contains(in []string, s string) bool {
	for _, v := range in {
		if v == s {
			return true
		}
	}
	return false
}
