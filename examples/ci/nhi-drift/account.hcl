# One matrix job's drift configuration for an AWS account: the job fills in
# ${SHARD}, ${ENVIRONMENT} and ${AWS_ROLE} with envsubst, in place.
source "aws" "${SHARD}" {
  assume_role = "${AWS_ROLE}" # a read-only audit role (SecurityAudit)
  environment = "${ENVIRONMENT}"
}

policy {
  stale_after   = "45d"
  owner_pattern = "team:[a-z-]+"
}

owners {
  file = "owners.txt"
}

exception "shared-ci-reader" {
  identity = "ci/reader"
  rules    = ["NHI015"]
  reason   = "read-only metrics account shared by staging and prod until the split"
  ticket   = "SEC-210"
  expires  = "2027-06-30"
}
