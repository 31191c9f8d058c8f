# The quickstart that `make demo` applies to the local test cluster.
terraform {
  required_providers {
    nhi = {
      source = "nhi-ops/nhi"
    }
  }
}

variable "kubeconfig" {
  type        = string
  description = "Path of the kubeconfig (make demo passes the local cluster's)."
}

variable "deployer_expires_at" {
  type        = string
  description = "Expiry of the deployer identity, YYYY-MM-DD (make demo passes 90 days from today)."
}

variable "report_expires_at" {
  type        = string
  description = "Expiry of the report identity, YYYY-MM-DD (make demo passes 20 days from today)."
}

provider "nhi" {
  kubernetes {
    config_path = var.kubeconfig
  }
  policy {
    forbidden_scopes = ["clusterrole:cluster-admin"]
    owner_pattern    = "team:[a-z-]+"
  }
}

resource "nhi_kubernetes_service_account" "deployer" {
  namespace  = "default"
  name       = "payments-deployer"
  owner      = "team:payments"
  purpose    = "Deploys the payments service from CI"
  scopes     = ["clusterrole:edit@default", "clusterrole:view"]
  expires_at = var.deployer_expires_at
}

resource "nhi_kubernetes_service_account" "report" {
  namespace  = "default"
  name       = "nightly-report"
  owner      = "team:finance"
  purpose    = "Reads cluster state for the nightly cost report"
  scopes     = ["clusterrole:view"]
  expires_at = var.report_expires_at
  on_expiry  = "warn"
}

check "no_undeclared_identities" {
  data "nhi_undeclared" "cluster" {}

  assert {
    condition     = length(data.nhi_undeclared.cluster.ids) == 0
    error_message = "Undeclared non-human identities: ${join(", ", data.nhi_undeclared.cluster.ids)}. Declare them (terraform import adopts them) or delete them."
  }
}
