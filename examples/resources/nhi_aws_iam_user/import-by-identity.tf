# Adopt an existing IAM user by its identity (Terraform 1.12 and later).
import {
  to = nhi_aws_iam_user.ci_uploader
  identity = {
    name = "ci-artifact-uploader"
  }
}
