package aws

import "github.com/nhi-ops/terraform-provider-nhi/internal/system"

// adoption writes an adopted IAM user's or role's resource block.
// TODO(#11 reporter package): Head and Tail move here from
// internal/report/imports.go.
func adoption() system.Adoption { return system.Adoption{LabelsAttr: "tags"} }
