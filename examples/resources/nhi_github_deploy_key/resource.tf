# A read-only deploy key that Argo CD uses to clone acme-corp/payments-config.
# The provider generates the ed25519 key pair, registers the public key on the
# repository and writes the private key (OpenSSH format, key ssh-privatekey)
# into the Secret; the private key is never in Terraform state.
resource "nhi_github_deploy_key" "argocd_payments" {
  repository = "acme-corp/payments-config" # or "payments-config" in the provider's github.organization
  title      = "argocd"
  owner      = "team:platform"
  purpose    = "Argo CD clones the payments configuration repository"
  expires_at = "2027-06-30"

  kubernetes_secret = {
    namespace = "argocd"
    name      = "repo-payments-config"
  }

  # Replaced by the first plan 60 days after creation (warned before).
  rotate_after = "60d"

  # Register the new key and rewrite the Secret before the old key is deleted.
  lifecycle {
    create_before_destroy = true
  }
}

# A key that may push (read_only = false) is a privileged scope,
# deploy_key:write@<owner>/<repo>, which the provider's policy can forbid:
#   policy { forbidden_scopes = ["deploy_key:write@*"] }
resource "nhi_github_deploy_key" "release_bot" {
  repository = "acme-corp/payments"
  title      = "release-bot"
  read_only  = false
  owner      = "team:release"
  purpose    = "Pushes release tags from the release job"
  expires_at = "2027-03-31"
  on_expiry  = "disable" # deletes the key from GitHub once expired; "block" or "warn" instead

  kubernetes_secret = {
    namespace = "release"
    name      = "payments-push-key"
  }
}
