# Import an IAM role by name (or "role/<name>").
terraform import nhi_aws_iam_role.deploy github-deploy-web
