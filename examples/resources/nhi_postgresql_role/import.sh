# Import a role by its name (or as role/<name>, the ID nhi_identities and
# drift reports give it). Importing replaces the role's comment with the
# provider's governance document on the first apply. The password cannot be
# read back: with kubernetes_secret in the configuration, the first plan
# generates a new password and delivers it there (an in-place update), unless
# that Secret already holds the role's current one.
terraform import nhi_postgresql_role.orders_app orders_app
terraform import nhi_postgresql_role.orders_app role/orders_app
