# Adopt an existing service account by namespace/name. The next apply writes
# its governance annotations and brings its grants in line with scopes.
terraform import nhi_kubernetes_service_account.deployer payments/ci-deployer
