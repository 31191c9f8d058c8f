# Adopt a declared connector-less identity by its identity (Terraform 1.12 and later).
import {
  to = nhi_identity.billing_sync
  identity = {
    system = "salesforce"
    name   = "billing-sync@acme.example"
  }
}
