# One matrix job's drift configuration for a cluster. The job fills in
# ${SHARD} (the source's name, which names the shard for drift merge
# --expect-shards), ${ENVIRONMENT} and ${KUBE_CONTEXT} with envsubst, in place,
# so that findings still point at this file's lines.
source "kubernetes" "${SHARD}" {
  context     = "${KUBE_CONTEXT}" # of the kubeconfig in KUBECONFIG
  environment = "${ENVIRONMENT}"  # NHI015: one identity used from two environments
}

policy {
  stale_after   = "45d"
  owner_pattern = "team:[a-z-]+"
}

owners {
  file = "owners.txt"
}

# Exceptions live in every shard's configuration; drift merge applies them to
# the findings only the merged report has (NHI015) too.
exception "shared-ci-reader" {
  identity = "ci/reader"
  rules    = ["NHI015"]
  reason   = "read-only metrics account shared by staging and prod until the split"
  ticket   = "SEC-210"
  expires  = "2027-06-30"
}
