package aws

import "github.com/nhi-ops/terraform-provider-nhi/internal/system"

// source is the drift `source "aws"` block.
// TODO(#11 reporter package): schema, Decode and SourceConfig move here
// from internal/driftcmd.
func source() system.Source { return system.Source{} }
