package driftcmd

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/nhi-ops/terraform-provider-nhi/internal/drift"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/system"
)

// declaration turns one managed resource instance into a declaration;
// false for resources that declare nothing. The registered systems say
// which resource types declare an identity or a credential, and which
// attribute holds the system's stable identifier, which tells identities
// of the same name in two clusters or accounts apart (see
// drift.Declaration). Only those instances' attributes are decoded.
func declaration(systems *system.Registry, typ, mode, addr string, raw json.RawMessage) (drift.Declaration, bool, error) {
	if mode != "managed" {
		return drift.Declaration{}, false, nil
	}
	d := drift.Declaration{Address: addr}
	var uidAttr string
	var kind system.Kind
	if sys, k, ok := systems.ByResourceType(typ); ok {
		d.System, d.Kind, uidAttr, kind = sys, k.Kind, k.UIDAttr, k
	} else if sys, c, ok := systems.CredentialByResourceType(typ); ok {
		d.System, d.Kind, d.Credential, uidAttr = sys, c.Kind, true, c.UIDAttr
	} else {
		return drift.Declaration{}, false, nil
	}
	var attrs map[string]json.RawMessage
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &attrs); err != nil {
			return drift.Declaration{}, false, fmt.Errorf("%s: attributes: %v", addr, err)
		}
	}
	str := func(name string, dst *string) error {
		v, ok := attrs[name]
		if !ok || name == "" {
			return nil
		}
		if err := json.Unmarshal(v, dst); err != nil {
			return fmt.Errorf("%s: attribute %s: %v", addr, name, err)
		}
		return nil
	}
	if err := str("id", &d.ID); err != nil {
		return drift.Declaration{}, false, err
	}
	if err := str(uidAttr, &d.UID); err != nil {
		return drift.Declaration{}, false, err
	}
	if kind.KindAttr != "" {
		var own string
		if err := str(kind.KindAttr, &own); err != nil {
			return drift.Declaration{}, false, err
		}
		if own != "" {
			d.Kind = own
		}
	}
	if kind.GovernedInState {
		g, err := stateGovernance(addr, attrs)
		if err != nil {
			return drift.Declaration{}, false, err
		}
		d.Governance = &g
	}
	return d, d.ID != "", nil
}

// stateGovernance reads the governance attributes every governed resource
// has (owner, purpose, scopes, expires_at, on_expiry) from a resource
// instance in state, for kinds whose governance is the declaration
// (system.Kind.GovernedInState). Missing or null attributes stay empty.
func stateGovernance(addr string, attrs map[string]json.RawMessage) (nhi.Governance, error) {
	var g nhi.Governance
	var expires, onExpiry *string
	for name, dst := range map[string]any{"owner": &g.Owner, "purpose": &g.Purpose, "scopes": &g.Scopes, "expires_at": &expires, "on_expiry": &onExpiry} {
		v, ok := attrs[name]
		if !ok || string(v) == "null" {
			continue
		}
		if err := json.Unmarshal(v, dst); err != nil {
			return g, fmt.Errorf("%s: attribute %s: %v", addr, name, err)
		}
	}
	if expires != nil && *expires != "" {
		t, err := nhi.ParseExpiry(*expires)
		if err != nil {
			return g, fmt.Errorf("%s: attribute expires_at %v", addr, err)
		}
		g.ExpiresAt = t
	}
	if onExpiry != nil {
		g.OnExpiry = nhi.OnExpiry(*onExpiry)
	}
	g.Scopes = nhi.SortedUnique(g.Scopes)
	return g, nil
}

// ParseState extracts the identities declared in a Terraform state file
// (format version 4) or in `terraform show -json` output.
func ParseState(b []byte, systems *system.Registry) ([]drift.Declaration, error) {
	var probe struct {
		Version       *int            `json:"version"`
		FormatVersion string          `json:"format_version"`
		Values        json.RawMessage `json:"values"`
		Resources     json.RawMessage `json:"resources"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return nil, fmt.Errorf("not a Terraform state: %v (expected a state file or the output of `terraform show -json`)", err)
	}
	switch {
	case probe.FormatVersion != "":
		return parseShowJSON(probe.Values, systems)
	case probe.Version != nil && *probe.Version == 4:
		return parseStateV4(probe.Resources, systems)
	case probe.Version != nil:
		return nil, fmt.Errorf("state format version %d is not supported; use a state written by Terraform 0.12 or later, or `terraform show -json`", *probe.Version)
	default:
		return nil, fmt.Errorf("not a Terraform state: it has neither \"version\" nor \"format_version\" (expected a state file or the output of `terraform show -json`)")
	}
}

func parseStateV4(raw json.RawMessage, systems *system.Registry) ([]drift.Declaration, error) {
	var rs []struct {
		Module    string `json:"module"`
		Mode      string `json:"mode"`
		Type      string `json:"type"`
		Name      string `json:"name"`
		Instances []struct {
			IndexKey   json.RawMessage `json:"index_key"`
			Attributes json.RawMessage `json:"attributes"`
		} `json:"instances"`
	}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &rs); err != nil {
			return nil, fmt.Errorf("state resources: %v", err)
		}
	}
	var out []drift.Declaration
	for _, r := range rs {
		base := r.Type + "." + r.Name
		if r.Module != "" {
			base = r.Module + "." + base
		}
		for _, in := range r.Instances {
			addr := base
			if len(in.IndexKey) > 0 && string(in.IndexKey) != "null" {
				addr += "[" + string(in.IndexKey) + "]"
			}
			d, ok, err := declaration(systems, r.Type, r.Mode, addr, in.Attributes)
			if err != nil {
				return nil, fmt.Errorf("state resources: %v", err)
			}
			if ok {
				out = append(out, d)
			}
		}
	}
	return out, nil
}

type showModule struct {
	Resources []struct {
		Address string          `json:"address"`
		Mode    string          `json:"mode"`
		Type    string          `json:"type"`
		Values  json.RawMessage `json:"values"`
	} `json:"resources"`
	ChildModules []showModule `json:"child_modules"`
}

func parseShowJSON(raw json.RawMessage, systems *system.Registry) ([]drift.Declaration, error) {
	var v struct {
		RootModule showModule `json:"root_module"`
	}
	if len(raw) > 0 && string(raw) != "null" {
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, fmt.Errorf("terraform show -json values: %v", err)
		}
	}
	var out []drift.Declaration
	var walk func(m showModule, depth int) error
	walk = func(m showModule, depth int) error {
		if depth > 100 {
			return fmt.Errorf("terraform show -json: modules nested more than 100 deep")
		}
		for _, r := range m.Resources {
			d, ok, err := declaration(systems, r.Type, r.Mode, r.Address, r.Values)
			if err != nil {
				return fmt.Errorf("terraform show -json values: %v", err)
			}
			if ok {
				out = append(out, d)
			}
		}
		for _, c := range m.ChildModules {
			if err := walk(c, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	return out, walk(v.RootModule, 0)
}

// ConfigResource is a resource block of this provider found in Terraform
// configuration.
type ConfigResource struct {
	Address string
	System  string
	// ID is "namespace/name" when both are literals in the block.
	ID       string
	Location drift.Location
}

// ScanConfigDir finds the provider's resource blocks that declare an
// identity (of a registered system's kinds) in the .tf files of dir (not
// its subdirectories).
func ScanConfigDir(dir string, systems *system.Registry) ([]ConfigResource, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.tf"))
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("--config-dir %s: %w", dir, err)
	}
	sort.Strings(files)
	var out []ConfigResource
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		file, diags := hclsyntax.ParseConfig(src, f, hcl.InitialPos)
		if diags.HasErrors() {
			return nil, fmt.Errorf("%s", diags.Error())
		}
		body, ok := file.Body.(*hclsyntax.Body)
		if !ok {
			continue
		}
		for _, b := range body.Blocks {
			if b.Type != "resource" || len(b.Labels) != 2 {
				continue
			}
			sys, k, ok := systems.ByResourceType(b.Labels[0])
			if !ok {
				continue
			}
			r := ConfigResource{Address: b.Labels[0] + "." + b.Labels[1], System: sys, Location: loc(b.DefRange())}
			ns, name := k.Location, literal(b.Body, k.NameAttr)
			if ns == "" {
				ns = literal(b.Body, k.LocationAttr)
			}
			if ns != "" && name != "" {
				r.ID = ns + "/" + name
			}
			out = append(out, r)
		}
	}
	return out, nil
}

// literal returns a string attribute's value when it needs no variables.
func literal(body *hclsyntax.Body, name string) string {
	if name == "" {
		return ""
	}
	a, ok := body.Attributes[name]
	if !ok {
		return ""
	}
	v, diags := a.Expr.Value(nil)
	if diags.HasErrors() || v.IsNull() || !v.IsKnown() || !v.Type().Equals(cty.String) {
		return ""
	}
	return v.AsString()
}

// resourceLocations maps "system:id" to resource blocks, through literal
// IDs in configuration and, when given, the addresses in state.
func resourceLocations(res []ConfigResource, decls []drift.Declaration) map[string]drift.Location {
	out := map[string]drift.Location{}
	byAddr := map[string]drift.Location{}
	for _, r := range res {
		byAddr[r.Address] = r.Location
		if r.ID != "" {
			out[r.System+":"+r.ID] = r.Location
		}
	}
	for _, d := range decls {
		if d.IsCredential() {
			continue // findings are about identities; a token's is its service account's
		}
		// Instances of counted or for_each resources, and resources in
		// modules, point at the block of their base address when it is in
		// the given directory.
		addr := d.Address
		if i := strings.Index(addr, "["); i >= 0 {
			addr = addr[:i]
		}
		if l, ok := byAddr[addr]; ok {
			out[d.System+":"+d.ID] = l
		}
	}
	return out
}
