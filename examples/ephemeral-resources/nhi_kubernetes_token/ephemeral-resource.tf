# A short-lived token for a declared service account, minted at plan/apply
# time and never stored. Here it configures the official kubernetes and helm
# providers, so they act as the deployer and nothing else.
ephemeral "nhi_kubernetes_token" "deployer" {
  namespace       = nhi_kubernetes_service_account.deployer.namespace
  service_account = nhi_kubernetes_service_account.deployer.name
  expiration      = "30m"
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
