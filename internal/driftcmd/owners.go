package driftcmd

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/nhi-ops/terraform-provider-nhi/internal/drift"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/owners"
	"github.com/nhi-ops/terraform-provider-nhi/internal/owners/file"
	"github.com/nhi-ops/terraform-provider-nhi/internal/owners/ldap"
	"github.com/nhi-ops/terraform-provider-nhi/internal/system"
)

// FileOwners is an owners file (internal/owners/file).
type FileOwners = file.Directory

// LoadOwners reads an owners file.
func LoadOwners(path string) (*FileOwners, error) { return file.Load(path) }

// The owners block: `file = "owners.txt"`, or an `ldap { ... }` block with
// the provider's attributes. bind_password is refused here (the file is
// often committed): it comes from NHI_OWNERS_LDAP_BIND_PASSWORD.
var ownersSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "file"}},
	Blocks:     []hcl.BlockHeaderSchema{{Type: "ldap"}},
}

var ldapStrings = []string{"url", "ca_certificate", "bind_dn", "base_dn", "user_filter", "disabled_filter",
	"group_base_dn", "group_filter", "group_name_attribute", "manager_attribute"}

var ldapSchema = func() *hcl.BodySchema {
	s := &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "start_tls"}, {Name: "user_attributes"}, {Name: "bind_password"}}}
	for _, n := range ldapStrings {
		s.Attributes = append(s.Attributes, hcl.AttributeSchema{Name: n})
	}
	return s
}()

// owners reads the owners block into cfg.Owners (and cfg.OwnersFile).
func (p *parser) owners(b *hcl.Block, dir string, cfg *Config) {
	c, d := b.Body.Content(ownersSchema)
	p.diags = append(p.diags, d...)
	if a, ok := c.Attributes["file"]; ok {
		if v, ok := p.str(a); ok {
			v = system.ExpandPath(v, dir)
			cfg.OwnersFile, cfg.Owners.File = v, v
		}
	}
	for i, lb := range c.Blocks {
		if i > 0 {
			p.errorf(lb.DefRange, "Duplicate ldap block", "An owners block takes one ldap block.")
			continue
		}
		cfg.Owners.LDAP = p.ldap(lb)
	}
	switch a, hasFile := c.Attributes["file"]; {
	case hasFile && len(c.Blocks) > 0:
		p.errorf(a.Range, "Two owner directories", "The owners block takes one directory: remove file, or the ldap block.")
	case !hasFile && len(c.Blocks) == 0 && !d.HasErrors():
		p.errorf(b.DefRange, "No owner directory", "The owners block needs a directory: file = \"owners.txt\", or an ldap block (docs/guides/when-someone-leaves.md).")
	}
}

func (p *parser) ldap(b *hcl.Block) *ldap.Config {
	attrs := p.attrs(b, ldapSchema)
	c := &ldap.Config{}
	dst := map[string]*string{"url": &c.URL, "ca_certificate": &c.CACertificate, "bind_dn": &c.BindDN, "base_dn": &c.BaseDN,
		"user_filter": &c.UserFilter, "disabled_filter": &c.DisabledFilter, "group_base_dn": &c.GroupBaseDN, "group_filter": &c.GroupFilter,
		"group_name_attribute": &c.GroupNameAttribute, "manager_attribute": &c.ManagerAttribute}
	for _, n := range ldapStrings {
		if a, ok := attrs[n]; ok {
			*dst[n], _ = p.str(a)
		}
	}
	if a, ok := attrs["user_attributes"]; ok {
		c.UserAttributes, _ = p.list(a)
	}
	if a, ok := attrs["start_tls"]; ok {
		v, d := a.Expr.Value(nil)
		p.diags = append(p.diags, d...)
		if !d.HasErrors() {
			if v.IsNull() || !v.Type().Equals(cty.Bool) {
				p.errorf(a.Expr.Range(), "Incorrect attribute value type", "start_tls must be true or false.")
			} else {
				c.StartTLS = v.True()
			}
		}
	}
	if a, ok := attrs["bind_password"]; ok {
		p.errorf(a.Range, "Password in the drift configuration", "bind_password is not read from the drift configuration, which is often committed: remove it and set the %s environment variable.", ldap.EnvBindPassword)
	}
	// The password comes from the environment when the command runs; check
	// the rest now, with file:line:col.
	check := *c
	if check.BindDN != "" {
		check.BindPassword = "(from the environment)"
	}
	for _, pr := range check.Validate() {
		r := b.DefRange
		if a, ok := attrs[pr.Attribute]; ok {
			r = a.Expr.Range()
		}
		p.errorf(r, "Invalid ldap."+pr.Attribute, "%s %s.", pr.Attribute, pr.Detail)
	}
	return c
}

// openOwners opens the owners block's directory; nil without one. An LDAP
// directory is contacted later, by lookupOwners.
func openOwners(cfg owners.Config) (nhi.OwnerDirectory, error) {
	if cfg.File == "" && cfg.LDAP == nil {
		return nil, nil
	}
	if l := cfg.LDAP; l != nil && l.BindDN != "" && l.BindPassword == "" {
		c := *l
		if c.BindPassword = os.Getenv(ldap.EnvBindPassword); c.BindPassword == "" {
			return nil, fmt.Errorf("owners.ldap binds as %s: set the %s environment variable to its password", c.BindDN, ldap.EnvBindPassword)
		}
		cfg.LDAP = &c
	}
	return cfg.Open()
}

// lookupOwners asks the directory, in bulk and once, about every owner the
// sources and the states declare, the owners recorded on credentials
// included. A failure is the directory's error in
// the result (the run is then incomplete), never "everyone left".
func lookupOwners(ctx context.Context, dir nhi.OwnerDirectory, in drift.Input, limit time.Duration) *drift.Owners {
	seen := map[string]bool{}
	add := func(o string) {
		if o = strings.TrimSpace(o); o != "" {
			seen[o] = true
		}
	}
	for _, s := range in.Sources {
		for _, id := range s.Identities {
			if id.Declared {
				add(id.Governance.Owner)
			}
			for _, c := range id.Credentials {
				add(c.Owner) // recorded only where the system records one
			}
		}
	}
	for _, d := range in.Declarations {
		if d.Governance != nil {
			add(d.Governance.Owner)
		}
	}
	list := make([]string, 0, len(seen))
	for o := range seen {
		list = append(list, o)
	}
	sort.Strings(list)
	out := &drift.Owners{Directory: dir.Name()}
	if len(list) == 0 {
		out.Status = map[string]nhi.OwnerStatus{}
		return out
	}
	lctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	out.Status, out.Err = dir.Lookup(lctx, list)
	if out.Err != nil && lctx.Err() != nil {
		out.Err = fmt.Errorf("timed out after %s: %w", limit, out.Err)
	}
	return out
}
