# Adopt an existing service account by namespace/name. The next apply writes
# its governance annotations and brings its grants in line with scopes.
terraform import nhi_kubernetes_service_account.deployer payments/ci-deployer
# An identity this provider already declared imports with no change when
# expires_at is written as an RFC 3339 timestamp; written as a date, the
# first apply rewrites the same instant once.
