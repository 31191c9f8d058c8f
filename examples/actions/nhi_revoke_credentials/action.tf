# Delete every token Secret of a service account after a leak (legacy ones
# and nhi_kubernetes_service_account_token), keeping the account and its
# grants:
#   terraform apply -invoke=action.nhi_revoke_credentials.ci_deployer
# The next plan creates the governed tokens again, with new values. Tokens from
# the TokenRequest API (projected Pod tokens) are stored nowhere and stay valid
# until they expire: the run warns about what it could not end.
action "nhi_revoke_credentials" "ci_deployer" {
  config {
    system = "kubernetes"
    id     = nhi_kubernetes_service_account.ci_deployer.id # "ci/deployer"
  }
}

# Delete every access key of an IAM user; the next plan creates the
# nhi_aws_iam_access_key resources again and delivers the new secrets.
# Sessions already issued with a deleted key (GetSessionToken) stay valid until
# they expire, with the user's policies: nhi_disable takes those away.
action "nhi_revoke_credentials" "image_pusher" {
  config {
    system = "aws"
    id     = nhi_aws_iam_user.image_pusher.id # "user/image-pusher"
  }
}

# Remove a PostgreSQL role's password; the next plan sets and delivers a new
# one. Open sessions stay open (pg_terminate_backend ends them).
action "nhi_revoke_credentials" "orders_reader" {
  config {
    system = "postgresql"
    id     = "role/orders_reader"
  }
}
