// Package postgresql holds the Terraform side of PostgreSQL login roles:
// the provider's postgresql block and nhi_postgresql_role. Statements live
// in internal/connectors/postgresql; the governance rules it shares with
// the other systems live in internal/framework and internal/nhi.
package postgresql

import (
	"context"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	pg "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/postgresql"
	"github.com/nhi-ops/terraform-provider-nhi/internal/framework"
)

// hint says how to configure the connection, shown with connection errors.
const hint = "Configure the provider's postgresql block (host, port, username, password or passfile, database, sslmode), " +
	"or the libpq environment variables PGHOST, PGPORT, PGUSER, PGPASSWORD (or PGPASSFILE / ~/.pgpass), PGDATABASE and PGSSLMODE."

// SSLModes are libpq's sslmode values.
var SSLModes = []string{"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}

// System is PostgreSQL as the provider sees it: the provider's postgresql
// block, its connector and its resources.
func System() framework.System {
	return framework.System{
		Core:    pg.Descriptor(),
		Actions: framework.Actions{Disable: true, RevokeCredentials: true},
		Block: schema.SingleNestedBlock{
			MarkdownDescription: "How to reach the PostgreSQL server, for `nhi_postgresql_role` and for PostgreSQL in the inventory data sources (which list PostgreSQL only when this block is present). " +
				"Every attribute defaults to the standard libpq environment variable, so an existing `psql` setup works as is; the connecting role needs `CREATEROLE` " +
				"(and to be a superuser to grant `SUPERUSER`, `REPLICATION` or `BYPASSRLS`, or to read whether a role has a password).",
			Attributes: map[string]schema.Attribute{
				"host": schema.StringAttribute{Optional: true, MarkdownDescription: "Server host name, IP address or Unix socket directory. Defaults to `PGHOST`, then libpq's default (the local socket)."},
				"port": schema.Int64Attribute{Optional: true, MarkdownDescription: "Server port. Defaults to `PGPORT`, then `5432`.",
					Validators: []validator.Int64{framework.Int64Between{Min: 1, Max: 65535}}},
				"username": schema.StringAttribute{Optional: true, MarkdownDescription: "Role to connect as. Defaults to `PGUSER`, then the operating system user."},
				"password": schema.StringAttribute{Optional: true, Sensitive: true,
					MarkdownDescription: "Password of `username`. Defaults to `PGPASSWORD`, then the password file (`passfile`). Prefer the environment or the password file: a value here is stored in no state, but it is in the configuration."},
				"database": schema.StringAttribute{Optional: true, MarkdownDescription: "Database the provider connects to first. Defaults to `PGDATABASE`, then the user name."},
				"sslmode": schema.StringAttribute{Optional: true,
					MarkdownDescription: "libpq's `sslmode`: `disable`, `allow`, `prefer`, `require`, `verify-ca` or `verify-full`. Defaults to `PGSSLMODE`, then `prefer`.",
					Validators:          []validator.String{framework.OneOf(SSLModes...)}},
				"passfile": schema.StringAttribute{Optional: true, MarkdownDescription: "Path of a libpq password file (`host:port:database:user:password` lines). Defaults to `PGPASSFILE`, then `~/.pgpass`."},
				"databases": schema.ListAttribute{Optional: true, ElementType: types.StringType,
					MarkdownDescription: "Databases whose grants the provider reads and writes (`database:`, `schema:`, `table:`, `sequence:` and `function:` scopes). " +
						"Default: every database that allows connections, templates excluded. A scope naming a database not in this list is refused at plan time."},
			},
		},
		Configure: configure,
		Resources: []func() resource.Resource{
			NewRoleResource,
		},
		ListResources: ListResources(),
		ScopeExamples: []string{"attribute:SUPERUSER", "role:pg_write_all_data"},
	}
}

// conn is the PostgreSQL connector of the provider.
func conn(pd *framework.ProviderData) *framework.Lazy[*pg.Client] {
	return framework.Connection[*pg.Client](pd, pg.SystemName)
}

// client is conn(pd).OrDiag.
func client(ctx context.Context, pd *framework.ProviderData, diags *diag.Diagnostics) (*pg.Client, bool) {
	return conn(pd).OrDiag(ctx, diags)
}

type blockModel struct {
	Host      types.String `tfsdk:"host"`
	Port      types.Int64  `tfsdk:"port"`
	Username  types.String `tfsdk:"username"`
	Password  types.String `tfsdk:"password"`
	Database  types.String `tfsdk:"database"`
	SSLMode   types.String `tfsdk:"sslmode"`
	PassFile  types.String `tfsdk:"passfile"`
	Databases types.List   `tfsdk:"databases"`
}

func (b *blockModel) unknown() []string {
	return framework.UnknownAttrs(map[string]attr.Value{
		"host": b.Host, "port": b.Port, "username": b.Username, "password": b.Password,
		"database": b.Database, "sslmode": b.SSLMode, "passfile": b.PassFile, "databases": b.Databases,
	})
}

// connection is the block as the connector takes it; empty fields fall to
// libpq's environment variables in the connector. Callers have checked
// unknowns.
func (b *blockModel) connection(ctx context.Context, diags *diag.Diagnostics) pg.Connection {
	c := pg.Connection{
		Host: b.Host.ValueString(), Port: int(b.Port.ValueInt64()), Username: b.Username.ValueString(),
		Password: b.Password.ValueString(), Database: b.Database.ValueString(), SSLMode: b.SSLMode.ValueString(),
		PassFile: b.PassFile.ValueString(),
	}
	if !b.Databases.IsNull() && !b.Databases.IsUnknown() {
		diags.Append(b.Databases.ElementsAs(ctx, &c.Databases, false)...)
		for _, db := range c.Databases {
			if strings.TrimSpace(db) == "" {
				// As the reporter's source refuses it (connectors/postgresql/source.go).
				diags.AddAttributeError(path.Root(pg.SystemName).AtName("databases"), "Invalid database name",
					"postgresql.databases holds an empty name; list database names such as [\"app\", \"analytics\"], or leave databases out to use every database that allows connections.")
				break
			}
		}
	}
	return c
}

// configure reads the postgresql block. Without one the connector still
// serves nhi_postgresql_role from the libpq environment variables, but the
// inventory data sources leave PostgreSQL out. Values not known yet (a host
// from another resource) are never replaced by PGHOST and the like: the
// connector waits for the apply.
func configure(ctx context.Context, req framework.ConfigureRequest) (framework.Connector, diag.Diagnostics) {
	var b *blockModel
	diags := req.Config.GetAttribute(ctx, path.Root(pg.SystemName), &b)
	if diags.HasError() {
		return nil, diags
	}
	var c pg.Connection
	var unknown []string
	if b != nil {
		if unknown = b.unknown(); len(unknown) == 0 {
			c = b.connection(ctx, &diags)
		}
	}
	prefix, now := req.Prefix, req.Clock
	return &framework.Lazy[*pg.Client]{
		Name: pg.SystemName, Title: "PostgreSQL", Hint: hint,
		Block: b != nil, Unknown: unknown,
		// The client stamps password changes (password_changed_at) with
		// the provider's clock, so that rotation is decided and recorded on
		// one clock (evaluation_time included).
		Build: func(ctx context.Context) (*pg.Client, error) {
			cl, err := pg.New(ctx, c, prefix)
			if err == nil && now != nil {
				cl.SetClock(now.Now)
			}
			return cl, err
		},
	}, diags
}
