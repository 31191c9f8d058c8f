# Every service account of a namespace that nobody declared (Terraform 1.14+):
#
#   terraform query -generate-config-out=adopt.tf
#
# writes an import block (by identity) and a resource block for each, with
# its current grants, labels and token automount, allow_legacy_tokens = true
# (adopting deletes nothing), and FILL-IN placeholders for owner, purpose and
# expires_at that every plan refuses until a person fills them in. Move the
# blocks into your configuration and apply: the import updates the account
# in place, writing its governance.
list "nhi_kubernetes_service_account" "undeclared" {
  provider = nhi

  config {
    namespace = "team-a"
    declared  = false
  }
}

# The service accounts one team owns, with their full state.
list "nhi_kubernetes_service_account" "payments" {
  provider         = nhi
  include_resource = true

  config {
    owner = "team:payments"
  }
}
