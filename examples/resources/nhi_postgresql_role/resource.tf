# The orders service's database login: it reads and writes the orders
# tables of the app database and reads the reporting schema of analytics.
# The provider generates its password and delivers it to the Kubernetes
# Secret the service mounts (envFrom: secretRef: orders-db), with the keys
# PGUSER and PGPASSWORD; the password is never in Terraform state.
resource "nhi_postgresql_role" "orders_app" {
  name    = "orders_app"
  owner   = "team:payments"
  purpose = "Connection role of the orders service (reads and writes orders, reads reporting)"

  scopes = [
    "database:CONNECT@app",
    "schema:USAGE@app.public",
    "table:SELECT@app.public.orders",
    "table:INSERT@app.public.orders",
    "table:UPDATE@app.public.orders",
    "table:SELECT@app.public.order_lines",
    "sequence:USAGE@app.public.orders_id_seq",
    "database:CONNECT@analytics",
    "schema:USAGE@analytics.reporting",
    "table:SELECT@analytics.reporting.*",
  ]

  # Also written as the role's VALID UNTIL. On expiry the role becomes
  # NOLOGIN and loses its grants (on_expiry = "disable", the default).
  expires_at = "2027-03-31"

  kubernetes_secret = {
    namespace = "payments"
    name      = "orders-db"
  }

  # A new password is generated, set and written to the Secret in place by
  # the first plan 30 days after the last one (warned before); restart the
  # service's pods to pick it up.
  rotate_after = "30d"
}

# A reporting job whose password comes from elsewhere, write-only: it is
# sent to PostgreSQL and never stored in state or plans (Terraform 1.11+).
ephemeral "random_password" "reports" {
  length = 32
}

resource "nhi_postgresql_role" "reports" {
  name       = "nightly_reports"
  owner      = "team:data"
  purpose    = "Nightly revenue report, read-only"
  scopes     = ["database:CONNECT@analytics", "schema:USAGE@analytics.reporting", "table:SELECT@analytics.reporting.*"]
  expires_at = "2027-06-30"

  password_wo         = ephemeral.random_password.reports.result
  password_wo_version = 1 # bump it with a new password to set it again
}
