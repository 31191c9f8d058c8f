package postgresql

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
