resource "nhi_kubernetes_service_account" "deployer" {
  namespace = "payments"
  name      = "ci-deployer"

  owner   = "team:payments"
  purpose = "Deploys the payments service from CI"

  # RBAC grants. Anything else granted out of band is removed on apply.
  scopes = [
    "clusterrole:edit@payments", # RoleBinding in payments to ClusterRole edit
    "clusterrole:view",          # ClusterRoleBinding to ClusterRole view
  ]

  expires_at = "2027-06-30"
  on_expiry  = "disable" # or "block", or "warn"

  labels = {
    "app.kubernetes.io/part-of" = "payments"
  }
}
