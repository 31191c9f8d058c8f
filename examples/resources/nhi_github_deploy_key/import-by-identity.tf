# Adopt an existing deploy key by its identity (Terraform 1.12 and later). The
# private key cannot be recovered: the key is kept only when its delivery
# Secret already holds it.
import {
  to = nhi_github_deploy_key.argocd_payments
  identity = {
    repository = "acme-corp/payments-config"
    key_id     = "81234567"
  }
}
