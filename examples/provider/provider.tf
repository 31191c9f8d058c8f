provider "nhi" {
  # How to reach the cluster. Without this block the provider uses
  # KUBE_CONFIG_PATH, KUBECONFIG or ~/.kube/config.
  kubernetes {
    config_path    = "~/.kube/config"
    config_context = "prod"
  }

  # AWS IAM, for the nhi_aws_* resources and for AWS in nhi_identities and
  # nhi_undeclared. Credentials come from the standard AWS chain (env,
  # profile, SSO, web identity); this block never holds secrets.
  aws {
    region  = "eu-west-1"
    profile = "security-admin"
    assume_role {
      role_arn = "arn:aws:iam::123456789012:role/nhi-governance"
    }
  }

  # PostgreSQL, for nhi_postgresql_role and for PostgreSQL in nhi_identities
  # and nhi_undeclared. Every attribute defaults to its libpq variable
  # (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE, PGPASSFILE);
  # keep the password in PGPASSWORD or the password file, not here.
  postgresql {
    host      = "db.internal.example.com"
    port      = 5432
    username  = "nhi_admin"
    database  = "postgres"
    sslmode   = "verify-full"
    databases = ["app", "analytics"]
  }

  # GitHub, for nhi_github_deploy_key and for GitHub in nhi_identities and
  # nhi_undeclared (deploy keys, App installations, fine-grained tokens,
  # Actions secrets, webhooks). Authenticate as a GitHub App installation, as
  # here (listing fine-grained tokens needs one), or with a token: leave the
  # App attributes out and set GITHUB_TOKEN (or token, from a secret store).
  github {
    organization     = "acme-corp"
    app_id           = 123456
    installation_id  = 7890123
    private_key_file = "nhi-governance.private-key.pem"
    # base_url = "https://github.example.com/api/v3/" # GitHub Enterprise Server
  }

  # Where owners come and go: every owner is checked at plan time. A new
  # identity for someone who left (or is not there) is refused; an existing
  # one whose owner left warns on every plan (see the guide "When someone
  # leaves"). The bind password comes from NHI_OWNERS_LDAP_BIND_PASSWORD.
  # An owners file works too: owners { file = "${path.module}/owners.txt" }.
  owners {
    ldap {
      url               = "ldaps://ldap.example.com"
      bind_dn           = "cn=nhi-reader,ou=services,dc=example,dc=com"
      base_dn           = "ou=people,dc=example,dc=com"
      user_attributes   = ["mail", "uid"]
      disabled_filter   = "(employeeType=departed)" # Active Directory: "(userAccountControl:1.2.840.113556.1.4.803:=2)"
      group_base_dn     = "ou=groups,dc=example,dc=com"
      manager_attribute = "manager"
    }
  }

  # Organisation policy, enforced at plan time.
  policy {
    max_lifetime     = "180d"
    warn_before      = "30d"
    forbidden_scopes = ["clusterrole:cluster-admin", "clusterrole:*@kube-system"]
    owner_pattern    = "team:[a-z-]+|[a-z.]+@example\\.com"
    # An existing identity whose owner left: "warn" (default), "error" or "off".
    owner_must_exist = "warn"
    # Refuse IAM roles that any GitHub repository could assume.
    require_oidc_subject = true
  }
}
