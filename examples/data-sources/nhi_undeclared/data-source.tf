# Report identities nobody declared on every plan. A failing check is a
# warning in `terraform plan`, so it never blocks unrelated changes.
check "no_undeclared_identities" {
  data "nhi_undeclared" "cluster" {
    # System accounts (kube-system, kube-public, kube-node-lease) and idle
    # "default" accounts are left out unless include_system = true.
    ignore = ["monitoring/*", "*/gitlab-runner-*"]
  }

  assert {
    condition     = length(data.nhi_undeclared.cluster.ids) == 0
    error_message = "Undeclared non-human identities: ${join(", ", data.nhi_undeclared.cluster.ids)}. Declare each with nhi_kubernetes_service_account (terraform import adopts it) or delete it."
  }
}
