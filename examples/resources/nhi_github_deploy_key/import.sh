# Import a deploy key as <owner>/<repo>/<key ID> (the number at the end of the
# key's URL in the repository's Settings > Deploy keys, or the id nhi_identities
# gives). GitHub keeps only the public half, so an import cannot recover the
# private key: the first plan keeps the key (an in-place update that records
# kubernetes_secret) only when the Secret named in the configuration already
# holds it, as this provider delivered it, and otherwise replaces the key with
# a new one delivered to that Secret (the plan says which, and why).
terraform import nhi_github_deploy_key.argocd_payments acme-corp/payments-config/81234567
