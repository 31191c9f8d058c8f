# Read a governed long-lived token when Terraform needs it, without putting
# it in state, and write it into another system through a write-only
# argument (here, Vault's KV v2 data_json_wo).
#
# Pass the token resource's uid: it is known only once the token exists, so
# Terraform reads the value after the apply has created (or rotated) it.
ephemeral "nhi_kubernetes_service_account_token" "external_ci" {
  namespace = nhi_kubernetes_service_account_token.external_ci.namespace
  name      = nhi_kubernetes_service_account_token.external_ci.name
  uid       = nhi_kubernetes_service_account_token.external_ci.uid
}

resource "vault_kv_secret_v2" "ci_token" {
  mount = "ci"
  name  = "payments-deployer"
  data_json_wo = jsonencode({
    token = ephemeral.nhi_kubernetes_service_account_token.external_ci.token
  })
  # Bump with every rotation so Vault receives the new token.
  data_json_wo_version = parseint(formatdate("YYYYMMDDhhmmss", nhi_kubernetes_service_account_token.external_ci.created_at), 10)
}
