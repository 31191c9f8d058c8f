package drift

// Severity of a finding.
type Severity string

const (
	SeverityLow      Severity = "low"
	SeverityMedium   Severity = "medium"
	SeverityHigh     Severity = "high"
	SeverityCritical Severity = "critical"
)

// Severities in ascending order.
var Severities = []Severity{SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical}

// Rank orders severities; an unknown one ranks below low.
func (s Severity) Rank() int {
	for i, v := range Severities {
		if v == s {
			return i + 1
		}
	}
	return 0
}

// ParseSeverity accepts a severity name.
func ParseSeverity(s string) (Severity, bool) {
	for _, v := range Severities {
		if string(v) == s {
			return v, true
		}
	}
	return "", false
}

// SecurityScore is the CVSS-like score GitHub code scanning ranks by.
func (s Severity) SecurityScore() string {
	switch s {
	case SeverityCritical:
		return "9.5"
	case SeverityHigh:
		return "8.0"
	case SeverityMedium:
		return "5.5"
	default:
		return "3.0"
	}
}

// OWASP Non-Human Identities Top 10 (2025) categories.
const (
	OWASPImproperOffboarding = "NHI1:2025 Improper Offboarding"
	OWASPOverprivileged      = "NHI5:2025 Overprivileged NHI"
	OWASPInsecureCloud       = "NHI6:2025 Insecure Cloud Deployment Configurations"
	OWASPLongLivedSecrets    = "NHI7:2025 Long-Lived Secrets"
	OWASPEnvironment         = "NHI8:2025 Environment Isolation"
	OWASPReuse               = "NHI9:2025 NHI Reuse"
)

// Rule is one entry of the catalog.
type Rule struct {
	ID   string
	Name string
	// Severity is the default; some rules raise or lower it per finding.
	Severity    Severity
	OWASP       string
	Description string
	Remediation string
}

// HelpURI is where each rule is documented.
const HelpURI = "https://github.com/nhi-ops/terraform-provider-nhi/blob/main/docs/guides/drift-rules.md"

// Rule IDs.
const (
	RuleUndeclared          = "NHI001"
	RuleMissing             = "NHI002"
	RuleScopeDrift          = "NHI003"
	RuleExpired             = "NHI004"
	RuleExpiring            = "NHI005"
	RuleOrphanedOwner       = "NHI006"
	RuleLongLived           = "NHI007"
	RulePrivileged          = "NHI008"
	RuleStale               = "NHI009"
	RuleReused              = "NHI010"
	RuleExceptionExpired    = "NHI011"
	RuleOrphanedDeclaration = "NHI012"
	RuleMultipleActiveKeys  = "NHI013"
	RuleOpenFederatedTrust  = "NHI014"
	RuleEnvironment         = "NHI015"
)

// Catalog lists every rule, in ID order.
var Catalog = []Rule{
	{RuleUndeclared, "undeclared-identity", SeverityMedium, OWASPImproperOffboarding,
		"An identity exists that no declaration covers: nobody owns it, and nothing ends it. High when it holds a privileged scope or a critical risky capability.",
		"Adopt it (terraform-provider-nhi drift --generate-imports writes the import and resource blocks; fill in owner, purpose and expiry) or delete it."},
	{RuleMissing, "declared-identity-missing", SeverityHigh, OWASPImproperOffboarding,
		"An identity in Terraform state no longer exists in the system: it was deleted out of band, or the state is stale. Where the state records the identity's uid or unique_id, an identity of the same name in another cluster or account, or a recreated one, does not count.",
		"Run terraform plan to recreate it, or remove the declaration if it is no longer needed."},
	{RuleScopeDrift, "scope-drift", SeverityHigh, OWASPOverprivileged,
		"The identity's effective grants differ from its declared scopes. High when it holds more than declared, medium when less.",
		"Run terraform apply to remove grants nobody declared, or declare them in scopes after review."},
	{RuleExpired, "expired-with-access", SeverityCritical, OWASPImproperOffboarding,
		"The identity is past expires_at and still holds access; or a credential is past its own expiry (a PostgreSQL password past VALID UNTIL) and is still active while its identity holds grants. The system refuses that credential, but not other ways of signing in (certificates, peer or trust authentication), so the access is still there.",
		"Run terraform apply (on_expiry = \"disable\" removes its access), or extend expires_at in a reviewed change. For a credential past its own expiry: disable the identity (NOLOGIN for a database role) or revoke its grants, or adopt it (--generate-imports) so that Terraform governs its expiry."},
	{RuleExpiring, "expiring-soon", SeverityLow, OWASPImproperOffboarding,
		"The identity expires within the policy's warn_before.",
		"Extend expires_at in a reviewed change if it is still needed; otherwise let it expire."},
	{RuleOrphanedOwner, "orphaned-owner", SeverityHigh, OWASPImproperOffboarding,
		"The declared owner is missing, does not match the policy's owner_pattern, or is not an active person or team in the owners directory (an owners file or LDAP): not found, disabled, or a team without an active member. Nobody is responsible for the identity. The same applies to the owner recorded on a credential, where the system records one (a governed token's own owner). The message says why, and names the owner's manager as the suggested successor when the directory records one. A directory that cannot be read makes the report incomplete and judges nobody.",
		"Set owner to a current person or team from the owners directory (the suggested successor, after checking with them) in a reviewed change, or remove the identity. Nothing is disabled because its owner left."},
	{RuleLongLived, "long-lived-credential", SeverityHigh, OWASPLongLivedSecrets,
		"A credential that never expires and that no declaration governs (it lacks the provider's markers or, with --state, is in no given state): a legacy service account token Secret that is not an nhi_kubernetes_service_account_token, or a credential with no expiry of its own, such as a PostgreSQL password without VALID UNTIL; an active credential older than max_credential_age (an AWS access key: CIS AWS 1.14, 90 days), or an identity declared to live beyond max_lifetime.",
		"Delete the long-lived credential and use short-lived tokens (the TokenRequest API, an IAM role); give a password an expiry (declare the role as nhi_postgresql_role: its expires_at is written as VALID UNTIL); rotate keys and passwords within max_credential_age (nhi_aws_iam_access_key and nhi_postgresql_role rotate_after)."},
	{RulePrivileged, "privileged-scope", SeverityHigh, OWASPOverprivileged,
		"The identity holds a privileged scope (policy privileged_scopes or forbidden_scopes; by default AWS AdministratorAccess, the PostgreSQL attributes SUPERUSER, CREATEROLE, BYPASSRLS and REPLICATION, the predefined roles pg_read_all_data, pg_write_all_data, pg_execute_server_program, pg_read_server_files and pg_write_server_files, and database ownership), a role or policy that grants every verb on every resource (Kubernetes `*` on `*`, IAM `\"Action\": \"*\"` on `\"Resource\": \"*\"`), or membership of a group role that holds a privileged scope, directly or through the groups it belongs to (the message names the chain).",
		"Replace the grant with a role limited to what the workload needs; for a group membership, grant the specific privileges instead of the group, or take the privileged scope away from the group."},
	{RuleStale, "stale-identity", SeverityMedium, OWASPImproperOffboarding,
		"No workload (Pod, or the template of a Deployment, StatefulSet, DaemonSet, Job or CronJob) runs as the identity, and it is older than stale_after; or an active credential whose system reports its use (an AWS access key, from GetAccessKeyLastUsed) was not used for stale_after, or never used and is older than that (CIS AWS 1.12, 45 days); or an identity of an inventory export whose last_used_at is older than stale_after, or blank (never used) while it was created longer ago than that.",
		"Delete the identity or credential if nothing uses it, or record why it is needed in an exception."},
	{RuleReused, "reused-identity", SeverityMedium, OWASPReuse,
		"Several distinct workloads run as one identity, so none of them can be given least privilege or revoked alone. For PostgreSQL, sessions of one role from several applications or client addresses (pg_stat_activity): a point-in-time signal that sees only the sessions open during the scan.",
		"Give each workload its own identity with its own scopes."},
	{RuleExceptionExpired, "exception-expired", SeverityMedium, OWASPImproperOffboarding,
		"An exception in the drift configuration is past its expiry; it no longer suppresses findings.",
		"Review the exception: fix what it covered, or renew its expires date with a new reason and ticket."},
	{RuleOrphanedDeclaration, "orphaned-declaration", SeverityMedium, OWASPImproperOffboarding,
		"The identity carries this provider's managed marker but is in none of the given Terraform states, for example after terraform state rm. A declaration that records a uid or unique_id covers only the identity with that ID, so a same-named identity in another cluster or account is reported.",
		"Import it back into the state that should own it, or remove its marker and delete it."},
	{RuleMultipleActiveKeys, "multiple-active-keys", SeverityMedium, OWASPLongLivedSecrets,
		"The identity holds more than one active long-lived credential of one kind, such as two active AWS access keys (CIS AWS 1.13). Outside a rotation, the second key is one more secret to leak and revoke.",
		"Finish the rotation: deactivate and delete the key no workload uses any more, so one active key remains."},
	{RuleOpenFederatedTrust, "open-federated-trust", SeverityHigh, OWASPInsecureCloud,
		"The identity (an IAM role) trusts an OIDC issuer without a condition on the token's subject, or with one every subject matches (\"*\", GitHub's \"repo:*\"). For GitHub Actions' shared issuer that lets a workflow in any repository on GitHub assume it: critical.",
		"Add a condition on <issuer>:sub naming exactly the subjects allowed, such as \"repo:acme/deploy:ref:refs/heads/main\" for GitHub; nhi_aws_iam_role warns about this at plan time."},
	{RuleEnvironment, "environment-isolation", SeverityHigh, OWASPEnvironment,
		"One identity is used from more than one environment: it is seen in sources labelled with different environments (environment = \"prod\" and \"staging\" on their source blocks), or one of its credentials is delivered into a source of another environment (an access key in a Secret of a staging cluster while the user serves prod). A compromise of the weaker environment is then a compromise of the stronger one. Identities are the same when their system, kind, name and uid are; drift merge judges this over the reports of all shards.",
		"Give each environment its own identity and credentials (one IAM user or role, one service account, one key per environment), and remove the shared one from the environments it does not belong to."},
}

// RuleByID looks a rule up.
func RuleByID(id string) (Rule, bool) {
	for _, r := range Catalog {
		if r.ID == id {
			return r, true
		}
	}
	return Rule{}, false
}
