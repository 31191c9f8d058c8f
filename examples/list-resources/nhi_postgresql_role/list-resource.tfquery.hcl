# Login roles nobody declared (predefined pg_* roles and the bootstrap
# superuser are left out unless include_system = true). With
# -generate-config-out each becomes an import block and a resource block with
# its current grants as scopes and FILL-IN owner, purpose and expires_at.
list "nhi_postgresql_role" "undeclared" {
  provider = nhi

  config {
    declared = false
  }
}
