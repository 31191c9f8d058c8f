# Adopt an existing access key by its identity (Terraform 1.12 and later). Its
# secret cannot be recovered: the key is kept only when its delivery Secret
# already holds it (see the import by ID above).
import {
  to = nhi_aws_iam_access_key.ci_uploader
  identity = {
    user          = "ci-artifact-uploader"
    access_key_id = "AKIAIOSFODNN7EXAMPLE"
  }
}
