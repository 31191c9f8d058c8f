# Import an IAM user by name (or by its ID in nhi_identities, "user/<name>").
terraform import nhi_aws_iam_user.ci_uploader ci-artifact-uploader
