// Package drift compares what is declared with what exists and turns the
// differences into findings. It has no Terraform types: the nhi_undeclared
// data source and the drift reporter both call it, so they cannot disagree.
package drift

import (
	"fmt"
	"path"
	"strings"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// Exclusion reasons, stable strings shown to users.
const (
	ReasonSystemNamespace = "system_namespace"
	ReasonDefaultAccount  = "default_service_account"
	ReasonIgnored         = "ignore_pattern"
	ReasonServiceLinked   = "aws_service_linked_role"
	ReasonReservedSSO     = "aws_reserved_sso_role"
)

// KubernetesSystemNamespaces hold the cluster's own identities, left out of
// undeclared results by default.
var KubernetesSystemNamespaces = []string{"kube-system", "kube-public", "kube-node-lease"}

// UndeclaredOptions tune which undeclared identities are reported.
type UndeclaredOptions struct {
	// Ignore are glob patterns over "namespace/name" (Kubernetes) or the
	// identity's reference; "*" does not cross "/".
	Ignore []string
	// IncludeSystem turns the default exclusions off.
	IncludeSystem bool
}

// Excluded is an undeclared identity left out, and why.
type Excluded struct {
	Identity nhi.Identity
	Reason   string
	// Pattern is the ignore pattern that matched, for ReasonIgnored.
	Pattern string
}

// ValidateIgnorePattern checks one ignore pattern.
func ValidateIgnorePattern(p string) error {
	if strings.TrimSpace(p) == "" {
		return fmt.Errorf("is empty; expected a glob over \"namespace/name\" such as \"ci/*\" or \"*/runner-*\"")
	}
	if _, err := path.Match(p, ""); err != nil {
		return fmt.Errorf("%q is not a valid glob pattern: %v", p, err)
	}
	return nil
}

// Undeclared splits the identities that carry no managed marker into those
// to report and those excluded by the defaults or the ignore patterns.
// Declared identities are dropped. Order is kept.
func Undeclared(ids []nhi.Identity, o UndeclaredOptions) (report []nhi.Identity, excluded []Excluded) {
	for _, id := range ids {
		if id.Declared {
			continue
		}
		if !o.IncludeSystem {
			if r := defaultExclusion(id); r != "" {
				excluded = append(excluded, Excluded{Identity: id, Reason: r})
				continue
			}
		}
		if p := matchIgnore(o.Ignore, id.Ref.String()); p != "" {
			excluded = append(excluded, Excluded{Identity: id, Reason: ReasonIgnored, Pattern: p})
			continue
		}
		report = append(report, id)
	}
	return report, excluded
}

// defaultExclusion returns why an identity is system noise, or "".
func defaultExclusion(id nhi.Identity) string {
	if id.System == nhi.SystemAWS {
		// AWS creates and manages these roles itself; nobody can
		// declare, change or delete them through IAM.
		switch {
		case id.Kind == nhi.KindIAMRole && strings.HasPrefix(id.Path, "/aws-service-role/"):
			return ReasonServiceLinked
		case id.Kind == nhi.KindIAMRole && (strings.HasPrefix(id.Path, "/aws-reserved/") || strings.HasPrefix(id.Ref.Name, "AWSReservedSSO_")):
			return ReasonReservedSSO
		}
		return ""
	}
	if id.System != nhi.SystemKubernetes {
		return ""
	}
	for _, ns := range KubernetesSystemNamespaces {
		if id.Ref.Location == ns {
			return ReasonSystemNamespace
		}
	}
	// Every namespace gets a "default" service account from the controller
	// manager. It is noise until someone grants it something.
	if id.Ref.Name == "default" && len(id.EffectiveScopes) == 0 {
		return ReasonDefaultAccount
	}
	return ""
}

func matchIgnore(patterns []string, ref string) string {
	for _, p := range patterns {
		if ok, err := path.Match(p, ref); err == nil && ok {
			return p
		}
	}
	return ""
}
