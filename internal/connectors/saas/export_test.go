package saas

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// show renders what the drift rules see of an identity, in one line.
func show(id nhi.Identity) string {
	last := "unknown"
	if id.LastUsedAt != nil {
		last = "never"
		if !id.LastUsedAt.IsZero() {
			last = nhi.FormatTime(*id.LastUsedAt)
		}
	}
	scopes := "unlisted"
	if id.EffectiveScopes != nil {
		scopes = "[" + strings.Join(id.EffectiveScopes, " ") + "]"
	}
	created := ""
	if !id.CreatedAt.IsZero() {
		created = nhi.FormatTime(id.CreatedAt)
	}
	return fmt.Sprintf("%s %s kind=%s id=%s owner=%s created=%s last=%s scopes=%s disabled=%t",
		id.System, id.Ref, id.Kind, id.ID, id.Governance.Owner, created, last, scopes, id.Disabled)
}

func parse(t *testing.T, e Export, data string) ([]string, error) {
	t.Helper()
	ids, err := Parse(e, []byte(data))
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = show(id)
	}
	return out, err
}

func same(t *testing.T, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("identities:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// An export in the documented schema is read as it is.
func TestCSVDocumentedSchema(t *testing.T) {
	const data = "id,name,kind,created_at,last_used_at,scopes,owner,active\n" +
		"005A,billing-sync,integration_user,2025-01-10,2026-03-01T08:00:00Z,\"api;Billing Admin\",team:billing,true\n" +
		"005B,report-bot,,2025-02-01 09:30:00,,,,no\n" +
		"005C,legacy,Integration User,1736500000,1767225600000,\"a, b\n c\",,\n"
	got, err := parse(t, Export{File: "users.csv", Format: FormatCSV, System: "salesforce", Kind: "bot"}, data)
	if err != nil {
		t.Fatal(err)
	}
	same(t, got, []string{
		"saas salesforce/billing-sync kind=integration_user id=005A owner=team:billing created=2025-01-10T00:00:00Z last=2026-03-01T08:00:00Z scopes=[Billing Admin api] disabled=false",
		"saas salesforce/report-bot kind=bot id=005B owner= created=2025-02-01T09:30:00Z last=never scopes=[] disabled=true",
		"saas salesforce/legacy kind=integration_user id=005C owner= created=2025-01-10T09:06:40Z last=2026-01-01T00:00:00Z scopes=[a b c] disabled=false",
	})
}

// A native export is read through columns, time_format and a negated
// active column, byte order mark and all; fields nobody maps or names are
// unknown (scopes unlisted, last use unknown).
func TestCSVColumnsMapping(t *testing.T) {
	const data = "\ufeffUser ID,Username,Profile,Created Date,Last Login,Frozen\n" +
		"005A,billing-sync@acme.example,Integration User,3/14/2025 10:32 AM,3/1/2026 8:00 PM,false\n" +
		"005B,old-api@acme.example,API Only,1/2/2024 9:00 AM,,TRUE\n"
	e := Export{File: "report.csv", Format: FormatCSV, System: "salesforce", TimeFormat: "1/2/2006 3:04 PM",
		Columns: map[string]string{"id": "User ID", "name": "Username", "kind": "Profile", "created_at": "Created Date", "last_used_at": "Last Login", "active": "!Frozen"}}
	got, err := parse(t, e, data)
	if err != nil {
		t.Fatal(err)
	}
	same(t, got, []string{
		"saas salesforce/billing-sync@acme.example kind=integration_user id=005A owner= created=2025-03-14T10:32:00Z last=2026-03-01T20:00:00Z scopes=unlisted disabled=false",
		"saas salesforce/old-api@acme.example kind=api_only id=005B owner= created=2024-01-02T09:00:00Z last=never scopes=[] disabled=true",
	})
}

// A JSON listing is read from its one list, with dotted keys, Unix times,
// lists of scopes and "!deleted".
func TestJSONColumnsMapping(t *testing.T) {
	const data = `{
  "ok": true,
  "bots": [
    {"id": "B01", "name": "deploy-bot", "scopes": ["chat:write", "commands"], "deleted": false,
     "profile": {"owner": "team:platform", "created": 1735689600, "last_active": "2026-03-10T12:00:00Z"}},
    {"id": "B02", "name": "old-bot", "scopes": "chat:write channels:read", "deleted": true, "profile": {"created": 1704067200, "last_active": null}}
  ],
  "response_metadata": {"next_cursor": ""}
}`
	e := Export{File: "bots.json", Format: FormatJSON, System: "slack", Kind: "bot", ScopeSeparator: " ",
		Columns: map[string]string{"owner": "profile.owner", "created_at": "profile.created", "last_used_at": "profile.last_active", "active": "!deleted"}}
	got, err := parse(t, e, data)
	if err != nil {
		t.Fatal(err)
	}
	same(t, got, []string{
		"saas slack/deploy-bot kind=bot id=B01 owner=team:platform created=2025-01-01T00:00:00Z last=2026-03-10T12:00:00Z scopes=[chat:write commands] disabled=false",
		"saas slack/old-bot kind=bot id=B02 owner= created=2024-01-01T00:00:00Z last=never scopes=[] disabled=true",
	})
	// rows names the list when there are several, or nested ones.
	got, err = parse(t, Export{File: "apps.json", Format: FormatJSON, System: "google", Rows: "data.apps"},
		`{"data": {"apps": [{"name": "drive-sync", "kind": "oauth_app", "scopes": []}]}, "errors": []}`)
	if err != nil {
		t.Fatal(err)
	}
	same(t, got, []string{"saas google/drive-sync kind=oauth_app id= owner= created= last=unknown scopes=[] disabled=false"})
}

// Bad input is an error naming the file, the line and the column, and the
// field with the export's name of its column; the other rows are read.
func TestBadInputNamesLineAndColumn(t *testing.T) {
	csvExport := Export{File: "users.csv", Format: FormatCSV, System: "salesforce", Columns: map[string]string{"last_used_at": "LastLoginDate"}}
	jsonExport := Export{File: "bots.json", Format: FormatJSON, System: "slack", Columns: map[string]string{"last_used_at": "seen"}}
	for name, c := range map[string]struct {
		e          Export
		data       string
		want       []string // in the error, in order
		identities int
	}{
		"unparsable date": {csvExport, "name,LastLoginDate\na,2026-01-01\nb,yesterday\nc,\n",
			[]string{`users.csv: 1 of 3 rows could not be read (the others were): users.csv:3:3: last_used_at (column "LastLoginDate"): "yesterday" is not a time: expected RFC 3339`, `set time_format`}, 2},
		"malformed row": {csvExport, "name,LastLoginDate\na,2026-01-01,extra\nb,\n",
			[]string{`users.csv:2:1: the row has 3 fields but the header has 2: a malformed row`}, 1},
		"bad quote": {csvExport, "name,LastLoginDate\na,\"2026\nb,x\"y\n",
			[]string{`users.csv:3:`, `malformed CSV: extraneous or missing " in quoted-field`}, 0},
		"bad active": {Export{File: "u.csv", Format: FormatCSV, System: "s"}, "name,active\na,maybe\n",
			[]string{`u.csv:2:3: active: "maybe" is not true or false (nor yes/no, 1/0, active/inactive, enabled/disabled)`}, 0},
		"duplicate name": {Export{File: "u.csv", Format: FormatCSV, System: "s"}, "name\na\nb\na\n",
			[]string{`u.csv:4:1: name: "a" is listed twice (first at line 2): an export lists each identity once`}, 2},
		"no name": {Export{File: "u.csv", Format: FormatCSV, System: "s"}, "name,owner\n,team:a\n",
			[]string{`u.csv:2:1: name: the row has no name (and no id)`}, 0},
		"mapped column missing": {Export{File: "u.csv", Format: FormatCSV, System: "s", Columns: map[string]string{"name": "Username"}}, "User Name,Email\na,b\n",
			[]string{`u.csv:1:1: the header has no column for name = "Username" of the columns block; its columns are "User Name", "Email"`}, 0},
		"no name column": {Export{File: "u.csv", Format: FormatCSV, System: "s"}, "User Name,Email\na,b\n",
			[]string{`u.csv:1:1: the header has no name or id column; map the column that names each identity with columns { name = "<column>" }`}, 0},
		"json bad date": {jsonExport, "[\n  {\"name\": \"a\", \"seen\": \"2026-01-01\"},\n  {\"name\": \"b\",\n   \"seen\": \"last tuesday\"}\n]\n",
			[]string{`bots.json: 1 of 2 rows could not be read (the others were): bots.json:4:12: last_used_at (column "seen"): "last tuesday" is not a time`}, 1},
		"json syntax": {jsonExport, "[\n  {\"name\": \"a\"},\n  {\"name\": \"b\" \"seen\": 1}\n]\n",
			[]string{`bots.json:3:`, `malformed JSON: invalid character '"' after object key:value pair`}, 0},
		"json truncated":         {jsonExport, "[{\"name\": \"a\"},", []string{`bots.json:1:`, `malformed JSON`}, 0},
		"json row not an object": {Export{File: "bots.json", Format: FormatJSON, System: "slack"}, "[{\"name\": \"a\"},\n \"b\"]", []string{`bots.json:2:2: row 2 is a JSON string; each identity must be an object`}, 1},
		"json wrong type": {jsonExport, "[{\"name\": [\"a\"]}, {\"name\": \"b\", \"seen\": true}]",
			[]string{`bots.json:1:11: name: is a JSON list; it must be a string`, `bots.json:1:41: last_used_at (column "seen"): is true, not a time`}, 0},
		"json several lists": {jsonExport, `{"users": [], "bots": []}`, []string{`bots.json:1:1: the document has several lists ("users", "bots"); set rows to the one that lists the identities`}, 0},
		"json mapped key missing": {jsonExport, `[{"name": "a", "last_seen": "2026-01-01"}]`,
			[]string{`bots.json:1:1: no row has the key of last_used_at = "seen" of the columns block; the rows' keys are "last_seen", "name"`}, 0},
		"json rows not there": {Export{File: "b.json", Format: FormatJSON, System: "s", Rows: "members"}, `{"ok": true, "bots": []}`,
			[]string{`b.json:1:1: the document has no key "members" (rows); its keys are "ok", "bots"`}, 0},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := parse(t, c.e, c.data)
			if err == nil {
				t.Fatalf("no error; identities %v", got)
			}
			msg := err.Error()
			at := 0
			for _, w := range c.want {
				i := strings.Index(msg[at:], w)
				if i < 0 {
					t.Fatalf("error %q\nlacks %q", msg, w)
				}
				at += i + len(w)
			}
			if len(got) != c.identities {
				t.Errorf("%d identities, want %d: %v", len(got), c.identities, got)
			}
			var ie *InputError
			if !errors.As(err, &ie) || ie.Line == 0 || ie.Column == 0 || ie.File == "" {
				t.Errorf("the error is not an *InputError with a place: %#v", err)
			}
		})
	}
}

// Many bad rows are summed up, not all listed.
func TestManyBadRows(t *testing.T) {
	data := "name,created_at\n" + strings.Repeat("a,never\n", 25)
	_, err := Parse(Export{File: "u.csv", Format: FormatCSV, System: "s"}, []byte(data))
	var re *RowsError
	if !errors.As(err, &re) || len(re.Errs) != maxErrors || re.More != 15 || re.Rows != 25 || !strings.HasSuffix(err.Error(), "; and 15 more") {
		t.Errorf("error %v", err)
	}
}

// An export that lists nobody is not a clean result, unless allowed; a
// file that cannot be read is an error wrapping the reason.
func TestEmptyAndMissingExports(t *testing.T) {
	for name, c := range map[string]struct {
		format, data string
	}{
		"header only": {FormatCSV, "name,owner\n"}, "empty csv": {FormatCSV, ""}, "empty list": {FormatJSON, "[]"},
		"empty json file": {FormatJSON, "  \n"}, "empty listing": {FormatJSON, `{"ok": true, "bots": []}`},
	} {
		e := Export{File: "x", Format: c.format, System: "salesforce"}
		ids, err := Parse(e, []byte(c.data))
		if !errors.Is(err, ErrNoRows) || len(ids) != 0 || !strings.Contains(err.Error(), "set allow_empty = true in its inventory block if salesforce really has no identities") {
			t.Errorf("%s: %v %v", name, ids, err)
		}
		e.AllowEmpty = true
		if ids, err := Parse(e, []byte(c.data)); err != nil || len(ids) != 0 {
			t.Errorf("%s with allow_empty: %v %v", name, ids, err)
		}
	}
	_, err := Read(Export{File: filepath.Join(t.TempDir(), "gone.csv"), Format: FormatCSV, System: "salesforce"})
	if !errors.Is(err, fs.ErrNotExist) || !strings.HasPrefix(err.Error(), "reading the salesforce export: open ") {
		t.Errorf("missing file: %v", err)
	}
}

// The scanner covers the export's system only, and Get says not found.
func TestScanner(t *testing.T) {
	f := filepath.Join(t.TempDir(), "u.csv")
	if err := os.WriteFile(f, []byte("name\nbilling-sync\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := &Scanner{Export: Export{File: f, Format: FormatCSV, System: "salesforce"}}
	if ids, err := s.Scan(t.Context(), []string{"slack"}); err != nil || len(ids) != 0 {
		t.Errorf("another system's scan: %v %v", ids, err)
	}
	if id, err := s.Get(t.Context(), nhi.Ref{Location: "salesforce", Name: "billing-sync"}); err != nil || id.Ref.Name != "billing-sync" {
		t.Errorf("Get: %v %v", id, err)
	}
	if _, err := s.Get(t.Context(), nhi.Ref{Location: "salesforce", Name: "ghost"}); !errors.Is(err, nhi.ErrNotFound) {
		t.Errorf("Get of a missing one: %v", err)
	}
	if p, err := nhi.ListAll(t.Context(), s, nhi.ListOptions{}); err != nil || len(p) != 1 {
		t.Errorf("ListAll: %v %v", p, err)
	}
}

func decode(t *testing.T, src string) (*SourceConfig, hcl.Diagnostics) {
	t.Helper()
	f, diags := hclsyntax.ParseConfig([]byte(src), "d.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	c, diags := f.Body.Content(sourceSchema)
	cfg, d := decodeSource(c, "/etc/nhi")
	s, _ := cfg.(*SourceConfig)
	return s, append(diags, d...)
}

// The block's attributes are checked where they are written.
func TestSourceBlock(t *testing.T) {
	s, diags := decode(t, `
system          = "salesforce"
file            = "exports/users.CSV"
kind            = "integration_user"
time_format     = "1/2/2006 3:04 PM"
scope_separator = "|"
allow_empty     = true
columns {
  name   = "Username"
  active = "!Frozen"
}
`)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	if s.File != "/etc/nhi/exports/users.CSV" || s.Format != FormatCSV || s.Kind != "integration_user" || !s.AllowEmpty || s.ScopeSeparator != "|" ||
		s.Columns["name"] != "Username" || s.Columns["active"] != "!Frozen" || len(s.Locations()) != 1 || s.Locations()[0] != "salesforce" {
		t.Errorf("decoded %+v", s)
	}
	for name, c := range map[string]struct{ src, want string }{
		"bad system":      {"system = \"Sales Force\"\nfile = \"a.csv\"\n", `d.hcl:1:10: Invalid system; system "Sales Force" is not a system name`},
		"unknown format":  {"system = \"s\"\nfile = \"a.xlsx\"\n", `d.hcl:2:8: Unknown export format; The format of a.xlsx cannot be told from its extension; set format = "csv" or format = "json".`},
		"bad format":      {"system = \"s\"\nfile = \"a\"\nformat = \"xml\"\n", `d.hcl:3:10: Invalid format; format "xml" is not "csv" or "json".`},
		"rows of a csv":   {"system = \"s\"\nfile = \"a.csv\"\nrows = \"x\"\n", `d.hcl:3:8: Unexpected rows`},
		"bad time format": {"system = \"s\"\nfile = \"a.csv\"\ntime_format = \"dd/mm/yyyy\"\n", `d.hcl:3:15: Invalid time format; time_format "dd/mm/yyyy" has no part of a time in it`},
		"bad kind":        {"system = \"s\"\nfile = \"a.csv\"\nkind = \"API Key\"\n", `d.hcl:3:8: Invalid kind; kind "API Key" is not a kind`},
		"unknown column":  {"system = \"s\"\nfile = \"a.csv\"\ncolumns {\n  email = \"Email\"\n}\n", `d.hcl:4:3: Unsupported argument`},
		"negated name":    {"system = \"s\"\nfile = \"a.csv\"\ncolumns {\n  name = \"!x\"\n}\n", `d.hcl:4:10: Invalid column; name = "!x": only active reads the negation`},
		"no file":         {"system = \"s\"\n", `Missing required argument; The argument "file" is required`},
		"allow_empty str": {"system = \"s\"\nfile = \"a.csv\"\nallow_empty = \"yes\"\n", `d.hcl:3:15: Incorrect attribute value type; allow_empty must be true or false.`},
	} {
		t.Run(name, func(t *testing.T) {
			_, diags := decode(t, c.src)
			var got []string
			for _, d := range diags {
				if d.Subject != nil {
					got = append(got, fmt.Sprintf("%s:%d:%d: %s; %s", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column, d.Summary, d.Detail))
				}
			}
			if !strings.Contains(strings.Join(got, "\n"), c.want) {
				t.Errorf("diagnostics:\n%s\nwant %q", strings.Join(got, "\n"), c.want)
			}
		})
	}
}
