# Import a key as <user>/<access key ID>. Its secret cannot be read back: the
# first plan keeps the key (an in-place update that records kubernetes_secret)
# when the Secret named in the configuration already holds it, and replaces
# the key otherwise.
terraform import nhi_aws_iam_access_key.ci_uploader ci-artifact-uploader/AKIAIOSFODNN7EXAMPLE

# Or name the Secret too, as <user>/<access key ID>/<namespace>/<Secret name>,
# so the import records kubernetes_secret at once; the first plan still checks
# that the Secret holds the key, keeps the key when it does, and replaces it
# (with a warning saying why) when it does not.
terraform import nhi_aws_iam_access_key.ci_uploader ci-artifact-uploader/AKIAIOSFODNN7EXAMPLE/ci/ci-aws-credentials
