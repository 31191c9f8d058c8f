# The Salesforce integration user that syncs closed-won opportunities to
# billing. No connector reaches Salesforce: this declaration is its
# governance, checked by every plan, and the drift reporter checks it
# against Salesforce's user export (an `inventory` block).
resource "nhi_identity" "billing_sync" {
  system     = "salesforce"
  kind       = "integration_user"
  name       = "billing-sync@acme.example" # the Username, as the export lists it
  owner      = "team:billing"
  purpose    = "Syncs closed-won opportunities from Salesforce to the billing system every 15 minutes."
  scopes     = ["API Enabled", "Billing Integration"] # its permission sets, as Salesforce names them
  expires_at = "2027-09-30"

  # Once expired, plans fail until expires_at is renewed in a reviewed
  # change, or the user is deactivated in Salesforce and this removed.
  # ("disable" needs a connector, which Salesforce does not have.)
  on_expiry = "block"
}

# A Slack bot: the kind and the scopes are the system's own words.
resource "nhi_identity" "deploy_bot" {
  system     = "slack"
  kind       = "bot"
  name       = "deploy-bot"
  owner      = "team:platform"
  purpose    = "Posts deploy notices to #releases and runs /deploy."
  scopes     = ["chat:write", "commands"]
  expires_at = "2027-06-30"
}
