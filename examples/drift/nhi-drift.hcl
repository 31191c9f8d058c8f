# nhi-drift.hcl: what `terraform-provider-nhi drift` scans and how it judges.

source "kubernetes" "prod" {
  kubeconfig = "~/.kube/config"
  context    = "prod"
  # namespaces = ["payments", "ci"]   # default: all namespaces
}

# AWS IAM users, their access keys and roles. Credentials come from the
# standard AWS chain; assume_role switches to a read-only audit role.
source "aws" "aws-prod" {
  profile     = "audit"
  region      = "eu-west-1"
  assume_role = "arn:aws:iam::123456789012:role/nhi-drift-reader"
}

# PostgreSQL login roles, their grants in every database and their
# passwords' VALID UNTIL. What the block leaves out comes from libpq's
# PGHOST, PGPORT, PGUSER, PGDATABASE and PGSSLMODE; the password only from
# PGPASSWORD or the passfile (~/.pgpass, PGPASSFILE), never from this file.
source "postgresql" "orders-db" {
  host     = "db.internal.example.com"
  port     = 5432
  username = "nhi_audit"
  database = "postgres"
  sslmode  = "verify-full"
  # databases = ["app", "analytics"] # default: every database that allows connections
}

policy {
  warn_before        = "30d"  # NHI005
  max_lifetime       = "365d" # NHI007, for declared expiry
  max_credential_age = "90d"  # NHI007, for keys
  stale_after        = "45d"  # NHI009
  privileged_scopes = [
    "clusterrole:cluster-admin", "clusterrole:cluster-admin@*", "clusterrole:admin",
    "policy:arn:aws*:iam::aws:policy/AdministratorAccess",
    "policy:arn:aws:iam::123456789012:policy/admin/*", # "*" crosses "/": every policy under the path /admin/
    # Setting the list replaces the defaults: keep the database ones too.
    "attribute:SUPERUSER", "attribute:CREATEROLE", "attribute:BYPASSRLS", "attribute:REPLICATION",
    "role:pg_write_all_data", "role:pg_read_all_data", "role:pg_execute_server_program", "database:OWNER@*",
  ]
  forbidden_scopes   = ["clusterrole:*@kube-system"]
  owner_pattern      = "team:[a-z-]+|[a-z.]+@example\\.com" # NHI006: the whole owner must match
}

owners {
  file = "owners.txt" # one person or team per line; "#" starts a comment

  # Or the directory where people come and go (instead of file): NHI006
  # then says why an owner is gone (not found, disabled, a team with no
  # active member) and names their manager as the suggested new owner. The
  # bind password comes from NHI_OWNERS_LDAP_BIND_PASSWORD, never this file;
  # a directory that cannot be read makes the run incomplete (exit 3).
  # ldap {
  #   url               = "ldaps://ldap.example.com"
  #   bind_dn           = "cn=nhi-reader,ou=services,dc=example,dc=com"
  #   base_dn           = "ou=people,dc=example,dc=com"
  #   user_attributes   = ["mail", "uid"]
  #   disabled_filter   = "(employeeType=departed)" # Active Directory: "(userAccountControl:1.2.840.113556.1.4.803:=2)"
  #   group_base_dn     = "ou=groups,dc=example,dc=com"
  #   manager_attribute = "manager"
  # }
}

exception "nightly-report-reuse" {
  identity = "reports/nightly"
  source   = "prod"       # optional: only identities of this source (default: every source)
  system   = "kubernetes" # optional: only this system's identities, so "user/*" spares a namespace "user"
  rules    = ["NHI010"]
  reason   = "The report's web view and its CronJob are one product."
  ticket   = "SEC-142"
  expires  = "2027-03-31"
}
