# Adopt an existing service account by its identity (Terraform 1.12 and later).
import {
  to = nhi_kubernetes_service_account.deployer
  identity = {
    namespace = "payments"
    name      = "ci-deployer"
  }
}
