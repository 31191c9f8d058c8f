# nhi-drift-saas.hcl: identities of systems without a connector, read from
# their own inventory exports and compared with the nhi_identity
# declarations in the state given with --state.

# A Salesforce user report (Reports > Users, filtered to integration
# users), exported as "Details Only" CSV, read as it is: columns maps the
# report's column names to the fields the reporter needs.
inventory "salesforce" {
  system      = "salesforce"                   # the nhi_identity's system: IDs are "salesforce/<Username>"
  file        = "exports/salesforce-users.csv" # relative to this file; CSV by its extension
  kind        = "integration_user"             # the report has no kind column: every row is one
  time_format = "1/2/2006 3:04 PM"             # the report's dates, written as Go writes 2006-01-02 15:04
  columns {
    id           = "User ID"
    name         = "Username"
    created_at   = "Created Date"
    last_used_at = "Last Login"      # blank: never logged in
    scopes       = "Permission Sets" # "API Enabled; Billing Integration"
    active       = "Active"          # 1 or 0
  }
}

# The JSON a listing script writes of a Slack workspace's bots: the one
# list in the document ("bots") is read; keys reach into nested objects.
inventory "slack" {
  system = "slack"
  file   = "exports/slack-bots.json"
  kind   = "bot"
  columns {
    created_at   = "created"            # Unix seconds
    last_used_at = "activity.last_post" # null: never used
    active       = "!deleted"           # "!" reads the negation
  }
}

policy {
  stale_after   = "45d"          # NHI009, from last_used_at
  owner_pattern = "team:[a-z-]+" # NHI006, for the declared owners
}
