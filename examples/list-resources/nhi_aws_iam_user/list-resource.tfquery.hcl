# IAM users under /ci/ that nobody declared. With
# `terraform query -generate-config-out=adopt.tf` each becomes an import
# block (by identity) and a resource block with its path, policies and tags
# as they are, and FILL-IN owner, purpose and expires_at to fill in.
list "nhi_aws_iam_user" "undeclared" {
  provider = nhi

  config {
    path     = "/ci/"
    declared = false
  }
}
