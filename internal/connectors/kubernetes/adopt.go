package kubernetes

import "github.com/nhi-ops/terraform-provider-nhi/internal/system"

// adoption writes an adopted service account's resource block.
// TODO(#11 reporter package): Head and Tail move here from
// internal/report/imports.go.
func adoption() system.Adoption { return system.Adoption{LabelsAttr: "labels"} }
