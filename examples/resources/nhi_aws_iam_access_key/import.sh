# Import a key as <user>/<access key ID>. Its secret cannot be read back, so
# unless kubernetes_secret already holds it, the next plan replaces the key.
terraform import nhi_aws_iam_access_key.ci_uploader ci-artifact-uploader/AKIAIOSFODNN7EXAMPLE
