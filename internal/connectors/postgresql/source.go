package postgresql

import (
	"context"
	"math/big"
	"strconv"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/system"
)

// SourceConfig is a drift `source "postgresql" "<name>"` block: a server,
// reached with libpq's defaults for what the block leaves out (PGHOST,
// PGPORT, PGUSER, PGDATABASE, PGSSLMODE), and the password only from
// PGPASSWORD or the passfile (PGPASSFILE, ~/.pgpass), never from the file.
type SourceConfig struct {
	Host     string
	Port     int
	Username string
	Database string
	SSLMode  string
	// Databases limits the databases whose grants are read; empty reads
	// every database that allows connections.
	Databases []string
	// AnnotationPrefix is the managed marker's prefix; empty is
	// nhi.DefaultMarkerPrefix.
	AnnotationPrefix string
}

var sourceSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "host"}, {Name: "port"}, {Name: "username"}, {Name: "database"}, {Name: "sslmode"},
	{Name: "databases"}, {Name: "annotation_prefix"},
	// Accepted only to refuse it with a message that says what to do.
	{Name: "password"},
}}

// source is the drift `source "postgresql"` block.
func source() system.Source {
	return system.Source{
		Schema:  sourceSchema,
		Example: `source "postgresql" "prod" { host = "db.internal" username = "nhi_audit" database = "postgres" }`,
		Decode:  decodeSource,
	}
}

var sslModes = []string{"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}

// decodeSource reads `source "postgresql" "<name>" { host, port, username,
// database, sslmode, databases, annotation_prefix }`.
func decodeSource(attrs hcl.Attributes, _ string) (system.SourceConfig, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	s := &SourceConfig{}
	if a, ok := attrs["password"]; ok {
		// Never evaluated or echoed.
		diags = append(diags, system.Errorf(a.NameRange, "Password in the configuration file",
			"A postgresql source takes no password: the file would hold a secret. Remove the password attribute and set PGPASSWORD in the environment, "+
				"or put the password in a passfile (~/.pgpass or the file PGPASSFILE names, one host:port:database:username:password line, mode 0600)."))
	}
	for _, f := range []struct {
		name string
		dst  *string
	}{
		{"host", &s.Host}, {"username", &s.Username}, {"database", &s.Database}, {"sslmode", &s.SSLMode}, {"annotation_prefix", &s.AnnotationPrefix},
	} {
		if a, ok := attrs[f.name]; ok {
			var d hcl.Diagnostics
			*f.dst, d = system.String(a)
			diags = append(diags, d...)
		}
	}
	if a, ok := attrs["port"]; ok {
		p, d := port(a)
		diags = append(diags, d...)
		s.Port = p
	}
	if a, ok := attrs["sslmode"]; ok && s.SSLMode != "" {
		valid := false
		for _, m := range sslModes {
			valid = valid || m == s.SSLMode
		}
		if !valid {
			diags = append(diags, system.Errorf(a.Expr.Range(), "Invalid sslmode", "sslmode %q is not one of libpq's modes: disable, allow, prefer, require, verify-ca, verify-full.", s.SSLMode))
		}
	}
	if a, ok := attrs["databases"]; ok {
		dbs, d := system.Strings(a)
		diags = append(diags, d...)
		for _, db := range dbs {
			if db == "" {
				diags = append(diags, system.Errorf(a.Expr.Range(), "Invalid database name", "databases holds an empty name; list database names such as [\"app\", \"analytics\"]."))
				break
			}
		}
		s.Databases = nhi.SortedUnique(dbs)
	}
	return s, diags
}

// port reads a TCP port, written as a number or a numeric string.
func port(a *hcl.Attribute) (int, hcl.Diagnostics) {
	v, d := a.Expr.Value(nil)
	if d.HasErrors() {
		return 0, d
	}
	bad := hcl.Diagnostics{system.Errorf(a.Expr.Range(), "Invalid port", "port must be a TCP port number from 1 to 65535, such as 5432.")}
	var n int64
	switch {
	case v.IsNull() || !v.IsKnown():
		return 0, bad
	case v.Type().Equals(cty.Number):
		bf := v.AsBigFloat()
		i, acc := bf.Int64()
		if acc != big.Exact {
			return 0, bad
		}
		n = i
	case v.Type().Equals(cty.String):
		i, err := strconv.ParseInt(v.AsString(), 10, 32)
		if err != nil {
			return 0, bad
		}
		n = i
	default:
		return 0, bad
	}
	if n < 1 || n > 65535 {
		return 0, bad
	}
	return int(n), nil
}

// Locations implements system.SourceConfig: a server is scanned whole.
func (s *SourceConfig) Locations() []string { return nil }

// Connect implements system.SourceConfig.
func (s *SourceConfig) Connect(ctx context.Context) (nhi.Scanner, error) {
	c, err := New(ctx, Connection{
		Host: s.Host, Port: s.Port, Username: s.Username, Database: s.Database, SSLMode: s.SSLMode, Databases: s.Databases,
	}, s.AnnotationPrefix)
	if err != nil {
		return nil, err
	}
	return c, nil
}
