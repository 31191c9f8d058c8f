# Import a token Secret by namespace/name. Only Secrets of type
# kubernetes.io/service-account-token can be imported.
terraform import nhi_kubernetes_service_account_token.external_ci payments/ci-deployer-token-x7k2p
