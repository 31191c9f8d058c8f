provider "nhi" {
  # How to reach the cluster. Without this block the provider uses
  # KUBE_CONFIG_PATH, KUBECONFIG or ~/.kube/config.
  kubernetes {
    config_path    = "~/.kube/config"
    config_context = "prod"
  }

  # Organisation policy, enforced at plan time.
  policy {
    max_lifetime     = "180d"
    warn_before      = "30d"
    forbidden_scopes = ["clusterrole:cluster-admin", "clusterrole:*@kube-system"]
    owner_pattern    = "team:[a-z-]+|[a-z.]+@example\\.com"
  }
}
