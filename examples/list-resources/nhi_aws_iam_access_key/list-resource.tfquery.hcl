# Access keys of IAM users nobody declared (never their secrets). A key has
# no markers of its own: it counts as declared when its user is. Generated
# blocks name the Secret to deliver to as FILL-IN placeholders.
list "nhi_aws_iam_access_key" "undeclared" {
  provider = nhi

  config {
    declared = false
  }
}
