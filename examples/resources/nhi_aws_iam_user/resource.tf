# A service user for an on-premises CI system that cannot use roles.
resource "nhi_aws_iam_user" "ci_uploader" {
  name    = "ci-artifact-uploader"
  path    = "/ci/"
  owner   = "team:build"
  purpose = "Uploads build artifacts from the on-prem Jenkins"

  # Exactly these grants: a managed policy and one inline policy. Anything
  # attached out of band shows in the next plan and is removed by apply.
  scopes = [
    "policy:arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
    "inline:artifacts-write",
  ]
  inline_policies = {
    artifacts-write = jsonencode({
      Version = "2012-10-17"
      Statement = [{
        Effect   = "Allow"
        Action   = ["s3:PutObject"]
        Resource = "arn:aws:s3:::acme-artifacts/*"
      }]
    })
  }

  expires_at = "2027-06-30"
  # Past expires_at the plan deactivates its keys and removes its policies.
  on_expiry = "disable"

  tags = {
    cost-center = "4711"
  }
}
