# Report identities nobody declared on every plan. A failing check is a
# warning in `terraform plan`, so it never blocks unrelated changes.
check "no_undeclared_identities" {
  data "nhi_undeclared" "cluster" {
    # System accounts (kube-system, kube-public, kube-node-lease) and idle
    # "default" accounts are left out unless include_system = true.
    ignore = ["monitoring/*", "*/gitlab-runner-*"]
  }

  assert {
    condition     = length(data.nhi_undeclared.cluster.ids) == 0
    error_message = "Undeclared non-human identities: ${join(", ", data.nhi_undeclared.cluster.ids)}. Declare each with nhi_kubernetes_service_account (terraform import adopts it) or delete it."
  }
}

# The same for AWS: IAM users and roles without the provider's tags. AWS's own
# service-linked and IAM Identity Center roles are left out.
check "no_undeclared_aws_identities" {
  data "nhi_undeclared" "aws" {
    system = "aws"
    ignore = ["role/OrganizationAccountAccessRole"]
  }

  assert {
    condition     = length(data.nhi_undeclared.aws.ids) == 0
    error_message = "Undeclared IAM identities: ${join(", ", data.nhi_undeclared.aws.ids)}. Declare each with nhi_aws_iam_user or nhi_aws_iam_role (terraform import adopts it) or delete it."
  }
}
