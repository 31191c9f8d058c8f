# Adopt an existing token Secret by its identity (Terraform 1.12 and later).
import {
  to = nhi_kubernetes_service_account_token.external_ci
  identity = {
    namespace = "payments"
    name      = "ci-deployer-token-x7k2p"
  }
}
