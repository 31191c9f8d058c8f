# Undeclared service account 9ns/x.y found in source "prod". Fill in every FILL-IN value before applying.
import {
  to = nhi_kubernetes_service_account.id_9ns__x_y
  id = "9ns/x.y"
}

resource "nhi_kubernetes_service_account" "id_9ns__x_y" {
  namespace       = "9ns"
  name            = "x.y"
  owner           = "FILL-IN: the person or team responsible"
  purpose         = "FILL-IN: why this identity exists"
  expires_at      = "FILL-IN: YYYY-MM-DD"
  scopes          = []
  automount_token = true
  # Kept true so that adopting deletes nothing: no legacy token Secret referenced it when this was
  # generated, and one created since is kept too. Setting it to false makes the apply delete every
  # token Secret of this account that no nhi_kubernetes_service_account_token declares (one with
  # the provider's owner and purpose but no rotation-due marker is kept).
  allow_legacy_tokens = true
}

# Undeclared IAM role role/deploy found in source "aws". Fill in every FILL-IN value before applying.
import {
  to = nhi_aws_iam_role.role__deploy
  id = "role/deploy"
}

resource "nhi_aws_iam_role" "role__deploy" {
  name         = "deploy"
  owner        = "FILL-IN: the person or team responsible"
  purpose      = "FILL-IN: why this identity exists"
  expires_at   = "FILL-IN: YYYY-MM-DD"
  scopes       = []
  trust_policy = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::123456789012:root\"},\"Action\":\"sts:AssumeRole\"}]}"
}

# Undeclared service account team-a/runner found in source "prod". Fill in every FILL-IN value before applying.
import {
  to = nhi_kubernetes_service_account.team-a__runner
  id = "team-a/runner"
}

resource "nhi_kubernetes_service_account" "team-a__runner" {
  namespace  = "team-a"
  name       = "runner"
  owner      = "FILL-IN: the person or team responsible"
  purpose    = "FILL-IN: why this identity exists"
  expires_at = "FILL-IN: YYYY-MM-DD"
  # Its current grants. Remove what it does not need: the apply revokes it.
  scopes          = ["clusterrole:edit@team-a", "clusterrole:view"]
  automount_token = true
  # Kept true so that adopting deletes nothing. Setting it to false makes the apply delete these
  # legacy token Secrets, and breaks whatever still reads them:
  #   team-a/runner-token-x7k2p
  allow_legacy_tokens = true
  labels = {
    app = "runner"
  }
}

# Undeclared IAM user user/legacy-ci found in source "aws". Fill in every FILL-IN value before applying.
import {
  to = nhi_aws_iam_user.user__legacy-ci
  id = "user/legacy-ci"
}

resource "nhi_aws_iam_user" "user__legacy-ci" {
  name       = "legacy-ci"
  path       = "/ci/"
  owner      = "FILL-IN: the person or team responsible"
  purpose    = "FILL-IN: why this identity exists"
  expires_at = "FILL-IN: YYYY-MM-DD"
  # Its current grants. Remove what it does not need: the apply revokes it.
  scopes = ["group:deployers", "inline:artifacts", "policy:arn:aws:iam::aws:policy/ReadOnlyAccess"]
  inline_policies = {
    artifacts = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:PutObject\",\"Resource\":\"arn:aws:s3:::a/*\"}]}"
  }
  tags = {
    cost-center = "42"
  }
}
