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

// The owners block: `file = "owners.txt"`, an `ldap { ... }` block with
// the provider's attributes, or `source = "<source name>"`, a source whose
// system serves as a directory of people (SourceOwnerDirectory).
// bind_password is refused here (the file is often committed): it comes
// from NHI_OWNERS_LDAP_BIND_PASSWORD.
var ownersSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "file"}, {Name: "source"}},
	Blocks:     []hcl.BlockHeaderSchema{{Type: "ldap"}},
}

// OwnersConfig is the owners block: a directory owners.Config opens (a
// file or LDAP), or a source that serves as one.
type OwnersConfig struct {
	owners.Config
	// Source names the source (`owners { source = "<name>" }`) whose
	// decoded configuration serves the directory; empty for none.
	Source string
	dir    SourceOwnerDirectory
}

// SourceOwnerDirectory is implemented by a decoded source configuration
// (system.SourceConfig) whose system holds a directory of people, such as
// the members of the organisation it scans; `owners { source = "<name>" }`
// judges owners (NHI006) by it. The directory is built when the command
// starts and asked, in bulk, after the scans.
type SourceOwnerDirectory interface {
	OwnerDirectory(ctx context.Context) (nhi.OwnerDirectory, error)
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
	src, hasSource := c.Attributes["source"]
	if hasSource {
		if v, ok := p.str(src); ok {
			cfg.Owners.Source, p.ownersSource = v, src
		}
	}
	a, hasFile := c.Attributes["file"]
	switch n := len(c.Blocks) + btoi(hasFile) + btoi(hasSource); {
	case n > 1:
		r := b.DefRange
		if hasSource {
			r = src.Range
		} else if hasFile {
			r = a.Range
		}
		p.errorf(r, "Two owner directories", "The owners block takes one directory: keep one of file, source and the ldap block.")
	case n == 0 && !d.HasErrors():
		p.errorf(b.DefRange, "No owner directory", "The owners block needs a directory: file = \"owners.txt\", an ldap block, or source = \"<source name>\" for a source whose system lists people, such as an organisation's members (docs/guides/when-someone-leaves.md).")
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// resolveOwnersSource finds the source the owners block names, once every
// source block is read, and checks that it can serve as a directory.
func (p *parser) resolveOwnersSource(cfg *Config) {
	a := p.ownersSource
	if a == nil || cfg.Owners.Source == "" {
		return
	}
	name := cfg.Owners.Source
	var found []SourceConfig
	var names, able []string
	for _, s := range cfg.Sources {
		names = append(names, fmt.Sprintf("%q (%s)", s.Name, s.Type))
		if _, ok := s.Config.(SourceOwnerDirectory); ok {
			able = append(able, fmt.Sprintf("%q", s.Name))
		}
		if s.Name == name {
			found = append(found, s)
		}
	}
	serving := "No source of this configuration can: use file or an ldap block."
	if len(able) > 0 {
		serving = "Set it to a source that can (" + strings.Join(able, ", ") + "), or use file or an ldap block."
	}
	switch {
	case len(found) == 0:
		known := "The configuration has no source."
		if len(names) > 0 {
			known = "Its sources: " + strings.Join(names, ", ") + "."
		}
		p.errorf(a.Expr.Range(), "Unknown owners source", "owners.source %q names no source of this configuration. %s Set it to the name of a source block (the second label of source \"<type>\" \"<name>\").", name, known)
	case len(found) > 1:
		p.errorf(a.Expr.Range(), "Ambiguous owners source", "owners.source %q names %d sources of different types; give the one to serve as the owners directory a name of its own.", name, len(found))
	default:
		dir, ok := found[0].Config.(SourceOwnerDirectory)
		if !ok {
			p.errorf(a.Expr.Range(), "Source cannot serve as owners directory", "owners.source %q is a %s source, which keeps no directory of people to judge owners by. %s", name, found[0].Type, serving)
			return
		}
		cfg.Owners.dir = dir
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
// directory, or a source's, is contacted later, by lookupOwners.
func openOwners(cfg OwnersConfig) (nhi.OwnerDirectory, error) {
	if cfg.dir != nil {
		// Building the directory reads the source's credential; it asks
		// its system nothing until lookupOwners.
		d, err := cfg.dir.OwnerDirectory(context.Background())
		if err != nil {
			return nil, fmt.Errorf("owners.source %q: %w", cfg.Source, err)
		}
		return owners.NewCache(d), nil
	}
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
	return cfg.Config.Open()
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
