# Adopt an existing login role by its identity (Terraform 1.12 and later).
import {
  to = nhi_postgresql_role.orders_app
  identity = {
    name = "orders_app"
  }
}
