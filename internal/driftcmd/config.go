// Package driftcmd is the `terraform-provider-nhi drift` command: it reads
// nhi-drift.hcl, Terraform state and configuration, scans the sources
// through the connectors, evaluates them with internal/drift and renders
// the report with internal/report.
package driftcmd

import (
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/nhi-ops/terraform-provider-nhi/internal/drift"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/system"
)

// SourceConfig is one `source "<type>" "<name>"` block, or one block of a
// type a system declares for its sources (system.Source.Block, such as
// `inventory "<name>"`). Type is a registered system's name; the system
// decodes the block into Config.
type SourceConfig struct {
	Type     string
	Name     string
	Location drift.Location
	Config   system.SourceConfig
	// Environment is the block's `environment` label ("prod"), which every
	// source block takes whatever its system; empty when absent. NHI015
	// reports one identity used from two environments.
	Environment string
}

// Config is a parsed nhi-drift.hcl.
type Config struct {
	File       string
	Sources    []SourceConfig
	Policy     drift.Policy
	OwnersFile string
	// Owners is the owners block: a file (also in OwnersFile), an LDAP
	// directory, or a source serving as one (owners.go).
	Owners     OwnersConfig
	Exceptions []drift.Exception
}

var fileSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
	{Type: "source", LabelNames: []string{"type", "name"}},
	{Type: "policy"},
	{Type: "owners"},
	{Type: "exception", LabelNames: []string{"id"}},
}}

var policySchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "warn_before"}, {Name: "max_lifetime"}, {Name: "max_credential_age"}, {Name: "stale_after"},
	{Name: "privileged_scopes"}, {Name: "forbidden_scopes"}, {Name: "owner_pattern"},
}}

var exceptionSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "identity", Required: true}, {Name: "rules", Required: true}, {Name: "reason", Required: true},
	{Name: "ticket"}, {Name: "expires", Required: true}, {Name: "source"}, {Name: "system"},
}}

// exceptionScope is where an exception's source and system attributes
// are, checked once every source block is known.
type exceptionScope struct {
	index                 int
	sourceRange, sysRange *hcl.Range
}

// ParseConfig parses a drift configuration. Relative paths in it are
// resolved against the file's directory. The source types are the systems
// that have a drift source block (system.Descriptor.Source).
func ParseConfig(filename string, src []byte, systems *system.Registry) (*Config, hcl.Diagnostics) {
	f, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, diags
	}
	p := parser{sources: sourceSystems(systems)}
	content, d := f.Body.Content(p.fileSchema())
	diags = append(diags, d...)
	cfg := &Config{File: filename, Policy: drift.DefaultPolicy(systems)}
	dir := filepath.Dir(filename)
	seenSource := map[string]hcl.Range{}
	seenException := map[string]hcl.Range{}
	var scopes []exceptionScope
	policySeen, ownersSeen := false, false
	for _, b := range content.Blocks {
		switch b.Type {
		case "source":
			key := b.Labels[0] + "." + b.Labels[1]
			if prev, dup := seenSource[key]; dup {
				p.errorf(b.DefRange, "Duplicate source", "source %q %q is already defined at %s; give each source a unique name.", b.Labels[0], b.Labels[1], prev)
				continue
			}
			seenSource[key] = b.DefRange
			if s, ok := p.source(b, dir); ok {
				cfg.Sources = append(cfg.Sources, s)
			}
		default: // a block type a system declares for its sources
			sys, _ := p.blockSystem(b.Type)
			key := sys.Name + "." + b.Labels[0]
			if prev, dup := seenSource[key]; dup {
				p.errorf(b.DefRange, "Duplicate source", "%s %q is already defined at %s; give each source a unique name.", b.Type, b.Labels[0], prev)
				continue
			}
			seenSource[key] = b.DefRange
			if s, ok := p.systemBlock(sys, b, dir); ok {
				cfg.Sources = append(cfg.Sources, s)
			}
		case "policy":
			if policySeen {
				p.errorf(b.DefRange, "Duplicate policy block", "Only one policy block is allowed; merge them.")
				continue
			}
			policySeen = true
			p.policy(b, &cfg.Policy)
		case "owners":
			if ownersSeen {
				p.errorf(b.DefRange, "Duplicate owners block", "Only one owners block is allowed.")
				continue
			}
			ownersSeen = true
			p.owners(b, dir, cfg)
		case "exception":
			if prev, dup := seenException[b.Labels[0]]; dup {
				p.errorf(b.DefRange, "Duplicate exception", "exception %q is already defined at %s; give each a unique id.", b.Labels[0], prev)
				continue
			}
			seenException[b.Labels[0]] = b.DefRange
			if ex, sc, ok := p.exception(b); ok {
				sc.index = len(cfg.Exceptions)
				cfg.Exceptions = append(cfg.Exceptions, ex)
				scopes = append(scopes, sc)
			}
		}
	}
	p.exceptionScopes(cfg, scopes)
	p.resolveOwnersSource(cfg)
	diags = append(diags, p.diags...)
	if len(cfg.Sources) == 0 && !diags.HasErrors() {
		detail := "The configuration declares no source to scan."
		if len(p.sources) > 0 {
			detail += " Add one, for example: " + p.sources[0].Source.Example
		}
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "No sources", Detail: detail,
			Subject: &hcl.Range{Filename: filename, Start: hcl.InitialPos, End: hcl.InitialPos}})
	}
	return cfg, diags
}

// sourceSystems are the systems a drift configuration may scan, in
// registration order.
func sourceSystems(systems *system.Registry) []system.Descriptor {
	var out []system.Descriptor
	for _, d := range systems.All() {
		if d.Source.Decodes() {
			out = append(out, d)
		}
	}
	return out
}

// fileSchema is the file's blocks: the built-in ones and those the
// systems declare for their sources (system.Source.Block).
func (p *parser) fileSchema() *hcl.BodySchema {
	s := &hcl.BodySchema{Blocks: append([]hcl.BlockHeaderSchema(nil), fileSchema.Blocks...)}
	for _, d := range p.sources {
		if t := d.Source.Block; t != "" && !slices.ContainsFunc(s.Blocks, func(b hcl.BlockHeaderSchema) bool { return b.Type == t }) {
			s.Blocks = append(s.Blocks, hcl.BlockHeaderSchema{Type: t, LabelNames: []string{"name"}})
		}
	}
	return s
}

// blockSystem returns the system whose sources are blocks of type typ.
func (p *parser) blockSystem(typ string) (system.Descriptor, bool) {
	for _, d := range p.sources {
		if d.Source.Block == typ {
			return d, true
		}
	}
	return system.Descriptor{}, false
}

type parser struct {
	diags   hcl.Diagnostics
	sources []system.Descriptor
	// ownersSource is the owners block's source attribute, resolved once
	// every source block is read (resolveOwnersSource).
	ownersSource *hcl.Attribute
}

func (p *parser) errorf(r hcl.Range, summary, format string, args ...any) {
	p.diags = append(p.diags, system.Errorf(r, summary, format, args...))
}

// sourceSystem returns the system of a source type.
func (p *parser) sourceSystem(typ string) (system.Descriptor, bool) {
	for _, d := range p.sources {
		if d.Name == typ {
			return d, true
		}
	}
	return system.Descriptor{}, false
}

// sourceTypes lists the source types, quoted: "a", "b". Unless all is
// set, the systems whose sources are blocks of their own are left out.
func (p *parser) sourceTypes(sep, last string, all bool) string {
	var q []string
	for _, d := range p.sources {
		if all || d.Source.Block == "" {
			q = append(q, fmt.Sprintf("%q", d.Name))
		}
	}
	if len(q) < 2 {
		return strings.Join(q, "")
	}
	return strings.Join(q[:len(q)-1], sep) + last + q[len(q)-1]
}

func (p *parser) attrs(b *hcl.Block, schema *hcl.BodySchema) hcl.Attributes {
	c, d := b.Body.Content(schema)
	p.diags = append(p.diags, d...)
	if len(c.Blocks) > 0 {
		p.errorf(c.Blocks[0].DefRange, "Unexpected block", "A %s block takes no nested blocks.", b.Type)
	}
	return c.Attributes
}

// decode has a system decode one of its source blocks.
func (p *parser) decode(sys system.Descriptor, b *hcl.Block, dir string) system.SourceConfig {
	if sys.Source.DecodeContent == nil {
		cfg, d := sys.Source.Decode(p.attrs(b, sys.Source.Schema), dir)
		p.diags = append(p.diags, d...)
		return cfg
	}
	c, d := b.Body.Content(sys.Source.Schema)
	p.diags = append(p.diags, d...)
	cfg, d := sys.Source.DecodeContent(c, dir)
	p.diags = append(p.diags, d...)
	return cfg
}

func (p *parser) str(a *hcl.Attribute) (string, bool) {
	v, d := system.String(a)
	p.diags = append(p.diags, d...)
	return v, !d.HasErrors()
}

func (p *parser) list(a *hcl.Attribute) ([]string, bool) {
	v, d := system.Strings(a)
	p.diags = append(p.diags, d...)
	return v, !d.HasErrors()
}

func (p *parser) duration(a *hcl.Attribute, dst *time.Duration) {
	s, ok := p.str(a)
	if !ok {
		return
	}
	d, err := nhi.ParseDuration(s)
	if err != nil {
		p.errorf(a.Expr.Range(), "Invalid duration", "%s %v.", a.Name, err)
		return
	}
	*dst = d
}

func (p *parser) source(b *hcl.Block, dir string) (SourceConfig, bool) {
	s := SourceConfig{Type: b.Labels[0], Name: b.Labels[1], Location: loc(b.DefRange)}
	sys, ok := p.sourceSystem(s.Type)
	if !ok {
		p.errorf(b.LabelRanges[0], "Unsupported source type", "source type %q is not supported; supported types: %s.", s.Type, p.sourceTypes(", ", ", ", false))
		return s, false
	}
	if sys.Source.Block != "" {
		p.errorf(b.LabelRanges[0], "Unsupported source type", "%q sources are %s blocks, such as %s.", s.Type, sys.Source.Block, sys.Source.Example)
		return s, false
	}
	if !validName(s.Name) {
		p.errorf(b.LabelRanges[1], "Invalid source name", "source name %q must be letters, digits, '-' or '_'.", s.Name)
	}
	s.Environment, b = p.environment(b)
	s.Config = p.decode(sys, b, dir)
	return s, true
}

// systemBlock reads a source written as a block of the system's own type
// (system.Source.Block), labelled with the source's name.
func (p *parser) systemBlock(sys system.Descriptor, b *hcl.Block, dir string) (SourceConfig, bool) {
	s := SourceConfig{Type: sys.Name, Name: b.Labels[0], Location: loc(b.DefRange)}
	if !validName(s.Name) {
		p.errorf(b.LabelRanges[0], "Invalid source name", "%s name %q must be letters, digits, '-' or '_'.", b.Type, s.Name)
	}
	s.Environment, b = p.environment(b)
	s.Config = p.decode(sys, b, dir)
	return s, true
}

// environment reads the `environment` attribute that every source block
// takes, and returns the block without it for its system to decode (so a
// system's schema never sees it, and must not declare it).
func (p *parser) environment(b *hcl.Block) (string, *hcl.Block) {
	c, rest, d := b.Body.PartialContent(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "environment"}}})
	p.diags = append(p.diags, d...)
	nb := *b
	nb.Body = rest
	a, ok := c.Attributes["environment"]
	if !ok {
		return "", &nb
	}
	v, ok := p.str(a)
	if !ok {
		return "", &nb
	}
	if !validName(v) {
		p.errorf(a.Expr.Range(), "Invalid environment", "environment %q must be letters, digits, '-' or '_', such as \"prod\" or \"staging\": sources with the same environment belong to one environment, and one identity used from two is NHI015. Leave it out for a source that belongs to none.", v)
		return "", &nb
	}
	return v, &nb
}

func (p *parser) policy(b *hcl.Block, pol *drift.Policy) {
	attrs := p.attrs(b, policySchema)
	for name, dst := range map[string]*time.Duration{
		"warn_before": &pol.WarnBefore, "max_lifetime": &pol.MaxLifetime,
		"max_credential_age": &pol.MaxCredentialAge, "stale_after": &pol.StaleAfter,
	} {
		if a, ok := attrs[name]; ok {
			p.duration(a, dst)
		}
	}
	for name, dst := range map[string]*[]string{"privileged_scopes": &pol.PrivilegedScopes, "forbidden_scopes": &pol.ForbiddenScopes} {
		a, ok := attrs[name]
		if !ok {
			continue
		}
		v, ok := p.list(a)
		if !ok {
			continue
		}
		for _, pat := range v {
			if err := nhi.ValidateScopePattern(pat); err != nil {
				p.errorf(a.Expr.Range(), "Invalid scope pattern", "%s: %v.", name, err)
			}
		}
		*dst = v
	}
	if a, ok := attrs["owner_pattern"]; ok {
		if v, ok := p.str(a); ok {
			if re, err := nhi.CompileOwnerPattern(v); err != nil {
				p.errorf(a.Expr.Range(), "Invalid regular expression", "owner_pattern %v.", err)
			} else {
				pol.OwnerPattern = re
			}
		}
	}
}

func (p *parser) exception(b *hcl.Block) (drift.Exception, exceptionScope, bool) {
	ex := drift.Exception{ID: b.Labels[0]}
	var sc exceptionScope
	l := loc(b.DefRange)
	ex.Location = &l
	attrs := p.attrs(b, exceptionSchema)
	before := len(p.diags.Errs())
	if a, ok := attrs["identity"]; ok {
		if v, ok := p.str(a); ok {
			if _, err := path.Match(v, ""); err != nil || strings.TrimSpace(v) == "" {
				p.errorf(a.Expr.Range(), "Invalid identity pattern", "identity %q must be a glob over \"namespace/name\", such as \"ci/runner-*\".", v)
			}
			ex.Identity = v
		}
	}
	if a, ok := attrs["rules"]; ok {
		if v, ok := p.list(a); ok {
			if len(v) == 0 {
				p.errorf(a.Expr.Range(), "No rules", "rules must name the rule IDs the exception accepts, such as [\"NHI009\"]; an exception never covers everything.")
			}
			for _, r := range v {
				if _, known := drift.RuleByID(r); !known {
					p.errorf(a.Expr.Range(), "Unknown rule", "rules: %q is not a rule ID; rules are %s to %s (docs/guides/drift-rules.md).",
						r, drift.Catalog[0].ID, drift.Catalog[len(drift.Catalog)-1].ID)
				}
			}
			ex.Rules = v
		}
	}
	if a, ok := attrs["reason"]; ok {
		if v, ok := p.str(a); ok {
			if strings.TrimSpace(v) == "" {
				p.errorf(a.Expr.Range(), "Missing reason", "reason must say why the finding is accepted.")
			}
			ex.Reason = v
		}
	}
	if a, ok := attrs["ticket"]; ok {
		ex.Ticket, _ = p.str(a)
	}
	if a, ok := attrs["source"]; ok {
		if v, ok := p.str(a); ok {
			ex.Source, sc.sourceRange = v, a.Expr.Range().Ptr()
		}
	}
	if a, ok := attrs["system"]; ok {
		if v, ok := p.str(a); ok {
			if _, ok := p.sourceSystem(v); !ok {
				p.errorf(a.Expr.Range(), "Unknown system", "system %q is not a system the reporter scans; use %s, or leave system out to match every system.", v, p.sourceTypes(", ", " or ", true))
			}
			ex.System, sc.sysRange = v, a.Expr.Range().Ptr()
		}
	}
	if a, ok := attrs["expires"]; ok {
		if v, ok := p.str(a); ok {
			t, err := nhi.ParseExpiry(v)
			if err != nil {
				p.errorf(a.Expr.Range(), "Invalid expiry", "expires %v.", err)
			}
			ex.Expires = t
		}
	}
	return ex, sc, len(p.diags.Errs()) == before
}

// exceptionScopes checks that an exception's source names a source block
// of the file, and that its system, when both are given, is that source's.
func (p *parser) exceptionScopes(cfg *Config, scopes []exceptionScope) {
	types := map[string][]string{} // source name: its types (one, unless two types share a name)
	var names []string
	for _, s := range cfg.Sources {
		if len(types[s.Name]) == 0 {
			names = append(names, fmt.Sprintf("%q", s.Name))
		}
		types[s.Name] = append(types[s.Name], s.Type)
	}
	for _, sc := range scopes {
		ex := cfg.Exceptions[sc.index]
		if sc.sourceRange == nil {
			continue
		}
		typs, ok := types[ex.Source]
		switch {
		case !ok:
			p.errorf(*sc.sourceRange, "Unknown source", "source %q names no source block of this file; use the second label of one (%s), or leave source out to match every source.",
				ex.Source, strings.Join(names, ", "))
		case ex.System != "" && !slices.Contains(typs, ex.System):
			p.errorf(*sc.sysRange, "Source and system disagree", "source %q is a %q source, so system %q would match nothing; remove system, or set it to %q.", ex.Source, typs[0], ex.System, typs[0])
		}
	}
}

func loc(r hcl.Range) drift.Location {
	return drift.Location{File: r.Filename, Line: r.Start.Line, Column: r.Start.Column}
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}
