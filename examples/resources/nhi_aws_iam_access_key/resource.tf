# A key for a declared user, delivered to the Kubernetes Secret its consumer
# mounts (envFrom: secretRef: ci-aws-credentials). The secret access key is
# never in Terraform state.
resource "nhi_aws_iam_access_key" "ci_uploader" {
  user = nhi_aws_iam_user.ci_uploader.name

  kubernetes_secret = {
    namespace = "ci"
    name      = "ci-aws-credentials"
  }

  # Replaced by the first plan 30 days after creation (warned before).
  rotate_after = "30d"

  # Create the new key and rewrite the Secret before the old key is deleted.
  lifecycle {
    create_before_destroy = true
  }
}
