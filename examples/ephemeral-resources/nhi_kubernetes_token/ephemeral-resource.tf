# A short-lived token for a declared service account, minted when Terraform
# needs it and never stored. Here it configures the official kubernetes and
# helm providers, so they act as the deployer and nothing else.
#
# Pass the account's uid: it is known only once the account exists, so
# Terraform mints the token after the apply has created the account, and
# the whole configuration works in one apply, also on an empty cluster.
ephemeral "nhi_kubernetes_token" "deployer" {
  namespace           = nhi_kubernetes_service_account.deployer.namespace
  service_account     = nhi_kubernetes_service_account.deployer.name
  service_account_uid = nhi_kubernetes_service_account.deployer.uid
  expiration          = "30m"
}

provider "kubernetes" {
  host                   = var.cluster_endpoint
  cluster_ca_certificate = var.cluster_ca_certificate
  token                  = ephemeral.nhi_kubernetes_token.deployer.token
}

provider "helm" {
  kubernetes = {
    host                   = var.cluster_endpoint
    cluster_ca_certificate = var.cluster_ca_certificate
    token                  = ephemeral.nhi_kubernetes_token.deployer.token
  }
}
