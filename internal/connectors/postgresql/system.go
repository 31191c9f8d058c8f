package postgresql

import (
	"strings"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/system"
)

// The names this system uses in the model.
const (
	// SystemName is nhi.Identity.System of every identity this connector
	// returns, the drift source type and the provider block name.
	SystemName = "postgresql"
	// KindRole is a login role (a role with LOGIN): the database's service
	// account. Group roles (NOLOGIN) are not identities; their grants
	// count toward their members.
	KindRole = "login_role"
	// CredentialPassword is a role's password (its SCRAM verifier; the
	// connector never reads the secret).
	CredentialPassword = "postgresql_password"
	// Location is the fixed location of every role reference: roles are
	// cluster-wide ("role/<name>").
	Location = "role"
)

// Reasons for the default exclusions, stable strings shown to users.
const (
	ReasonPredefinedRole     = "postgresql_predefined_role"
	ReasonGroupRole          = "postgresql_group_role"
	ReasonBootstrapSuperuser = "postgresql_bootstrap_superuser"
)

// BootstrapSuperuserOID is the OID of the role initdb creates (usually
// "postgres"), which owns the system catalogs and cannot be dropped.
const BootstrapSuperuserOID = "10"

// Descriptor describes PostgreSQL to the system-agnostic rooms.
func Descriptor() system.Descriptor {
	return system.Descriptor{
		Name:  SystemName,
		Title: "PostgreSQL",
		Kinds: []system.Kind{{
			Kind: KindRole, Label: "login role", ResourceType: "nhi_postgresql_role",
			Location: Location, NameAttr: "name", UIDAttr: "oid", Adopt: adoption(),
		}},
		Credentials: []system.CredentialKind{{Kind: CredentialPassword, Label: "password"}},
		Exclusions: []system.Exclusion{
			{Reason: ReasonPredefinedRole, Doc: "predefined roles (`pg_*`, such as `pg_monitor`)", Match: func(id nhi.Identity) bool {
				return id.Kind == KindRole && strings.HasPrefix(id.Ref.Name, "pg_")
			}},
			// Group roles never become identities: the connector leaves
			// them out of every listing, so there is nothing to match.
			{Reason: ReasonGroupRole, Doc: "group roles (`NOLOGIN` without the provider's marker) are not identities and never listed; their grants count toward their members"},
			{Reason: ReasonBootstrapSuperuser, Doc: "the bootstrap superuser (OID 10, usually `postgres`), which initdb creates and which cannot be dropped", Match: func(id nhi.Identity) bool {
				return id.Kind == KindRole && id.ID == BootstrapSuperuserOID
			}},
		},
		PrivilegedScopes: privilegedScopes,
		ReadOnlyScopes:   []string{"database:OWNER@*"}, // ownership is reported, never granted (ParseScope refuses it in a declaration)
		Source:           source(),
	}
}

// privilegedScopes are the scopes that give a role control of the server
// or of all its data, privileged by default in drift reports.
var privilegedScopes = []string{
	"attribute:SUPERUSER", "attribute:CREATEROLE", "attribute:BYPASSRLS", "attribute:REPLICATION",
	"role:pg_write_all_data", "role:pg_read_all_data", "role:pg_execute_server_program",
	"role:pg_read_server_files", "role:pg_write_server_files", "database:OWNER@*",
}
