# A long-lived token for a system outside the cluster that cannot use
# short-lived ones. Its value never enters state: read it with the ephemeral
# nhi_kubernetes_service_account_token and hand it on as an ephemeral value.
resource "nhi_kubernetes_service_account_token" "external_ci" {
  namespace       = nhi_kubernetes_service_account.deployer.namespace
  service_account = nhi_kubernetes_service_account.deployer.name
  owner           = "team:platform"
  purpose         = "Lets the external CI system deploy payments"
  rotate_after    = "30d" # at most the provider's policy.max_credential_age

  # The new token exists before the old one is deleted, so the consumer
  # never holds a dead token.
  lifecycle {
    create_before_destroy = true
  }
}

# Roll whatever holds the token whenever it rotates.
resource "terraform_data" "ci_secret_version" {
  input = nhi_kubernetes_service_account_token.external_ci.name
  lifecycle {
    replace_triggered_by = [nhi_kubernetes_service_account_token.external_ci]
  }
}
