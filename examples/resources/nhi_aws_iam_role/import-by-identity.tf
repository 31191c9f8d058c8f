# Adopt an existing IAM role by its identity (Terraform 1.12 and later).
import {
  to = nhi_aws_iam_role.deploy
  identity = {
    name = "github-deploy-web"
  }
}
