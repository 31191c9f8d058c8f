# Every IAM role the provider governs for one owner. Service-linked and
# IAM Identity Center roles are left out unless include_system = true.
list "nhi_aws_iam_role" "platform" {
  provider = nhi

  config {
    declared = true
    owner    = "team:platform"
  }
}
