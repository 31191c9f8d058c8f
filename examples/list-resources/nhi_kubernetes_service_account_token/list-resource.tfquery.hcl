# Long-lived token Secrets of a namespace that no
# nhi_kubernetes_service_account_token declares (never their values). With
# -generate-config-out each becomes an import and a resource block with
# FILL-IN owner, purpose and expires_at to fill in.
list "nhi_kubernetes_service_account_token" "legacy" {
  provider = nhi

  config {
    namespace = "ci"
    declared  = false
  }
}
