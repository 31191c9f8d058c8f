# Disable a service account now (suspected compromise, departed owner):
#   terraform apply -invoke=action.nhi_disable.ci_deployer
# Its grants are removed, token automount is turned off and it is marked
# disabled; the identity itself is kept. The next plan shows the update that
# enables it again: to keep it disabled, set expires_at to now.
action "nhi_disable" "ci_deployer" {
  config {
    system = "kubernetes"
    id     = nhi_kubernetes_service_account.ci_deployer.id # "ci/deployer"
  }
}

# An IAM user: its access keys are deactivated and its policies detached.
action "nhi_disable" "image_pusher" {
  config {
    system = "aws"
    id     = "user/image-pusher"
  }
}

# Disable as part of an apply: when the incident record is created, the
# action runs after it.
resource "terraform_data" "incident_1234" {
  input = "INC-1234: ci/deployer token seen in a public log"

  lifecycle {
    action_trigger {
      events  = [after_create]
      actions = [action.nhi_disable.ci_deployer]
    }
  }
}
