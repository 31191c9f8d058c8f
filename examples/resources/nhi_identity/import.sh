# Import a declaration by system/name (the id). The identity itself is not
# read from anywhere: the next plan records the configuration's owner,
# purpose, scopes and expiry as an in-place update.
terraform import nhi_identity.billing_sync salesforce/billing-sync@acme.example
