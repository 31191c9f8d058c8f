# Undeclared service account 9ns/x.y found in source "prod". Fill in every FILL-IN value before applying.
import {
  to = nhi_kubernetes_service_account.id_9ns__x_y
  id = "9ns/x.y"
}

resource "nhi_kubernetes_service_account" "id_9ns__x_y" {
  namespace       = "9ns"
  name            = "x.y"
  owner           = "FILL-IN: the person or team responsible"
  purpose         = "FILL-IN: why this identity exists"
  expires_at      = "FILL-IN: YYYY-MM-DD"
  scopes          = []
  automount_token = true
}

# Undeclared service account team-a/runner found in source "prod". Fill in every FILL-IN value before applying.
import {
  to = nhi_kubernetes_service_account.team-a__runner
  id = "team-a/runner"
}

resource "nhi_kubernetes_service_account" "team-a__runner" {
  namespace  = "team-a"
  name       = "runner"
  owner      = "FILL-IN: the person or team responsible"
  purpose    = "FILL-IN: why this identity exists"
  expires_at = "FILL-IN: YYYY-MM-DD"
  # Its current grants. Remove what it does not need: the apply revokes it.
  scopes          = ["clusterrole:edit@team-a", "clusterrole:view"]
  automount_token = true
  labels = {
    app = "runner"
  }
}
