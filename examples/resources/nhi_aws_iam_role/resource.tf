# A role GitHub Actions assumes to deploy, from one repository's main branch.
resource "nhi_aws_iam_role" "deploy" {
  name    = "github-deploy-web"
  owner   = "team:web"
  purpose = "Deploys the web app from GitHub Actions"
  scopes  = ["policy:arn:aws:iam::123456789012:policy/deploy-web"]

  trust_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Federated = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals = {
          "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com"
          # Without a subject condition (or with "repo:*") any repository on
          # GitHub could assume this role: the plan warns, and the provider's
          # policy.require_oidc_subject = true makes it an error.
          "token.actions.githubusercontent.com:sub" = "repo:acme/web:ref:refs/heads/main"
        }
      }
    }]
  })

  expires_at = "2027-03-31"
}
