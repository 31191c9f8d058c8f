# Every identity in a namespace, declared or not.
data "nhi_identities" "payments" {
  namespace = "payments"
}

# Only the identities one team owns.
data "nhi_identities" "platform" {
  owner    = "team:platform"
  declared = true
}

output "payments_inventory" {
  value = [for i in data.nhi_identities.payments.identities : "${i.id} owner=${i.owner} scopes=${join(",", i.effective_scopes)}"]
}
