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

  # Organisation policy, enforced at plan time.
  policy {
    max_lifetime     = "180d"
    warn_before      = "30d"
    forbidden_scopes = ["clusterrole:cluster-admin", "clusterrole:*@kube-system"]
    owner_pattern    = "team:[a-z-]+|[a-z.]+@example\\.com"
    # Refuse IAM roles that any GitHub repository could assume.
    require_oidc_subject = true
  }
}
