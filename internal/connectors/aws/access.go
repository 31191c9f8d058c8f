package aws

// Effective access: what an IAM user or role can actually do.
//
// An identity's permissions are the statements of every policy it holds:
// its attached managed policies (the default version), its inline policies
// and, for a user, the managed and inline policies of every group it is in.
// The resolver matches those statements against a catalog of risky
// capabilities (below), learnt from Rhino Security Labs' list of IAM
// privilege-escalation methods, Cloudsplaining's privilege-escalation and
// data-exfiltration checks and PMapper's escalation edges, and written for
// this project.
//
// Matching follows IAM's evaluation where it is simple to decide:
//   - Action and NotAction, with "*" and "?" wildcards, case-insensitive
//     ("iam:Put*", "iam:*", "*"); Resource and NotResource, with wildcards
//     matching across "/" and ":" as IAM's do, and the ${aws:username}
//     policy variable (other variables are taken to name some resources,
//     not all).
//   - A grant's reach is the account when its resources cover every
//     resource of the action's type ("*", "arn:aws:iam::*:user/*"; for the
//     regional data stores, every resource of a region counts), else the
//     named resources. Credential, trust and pass-role actions narrowed to
//     the identity itself grant nothing: creating one's own access key is not
//     escalation. Writing one's own policies is.
//   - A Deny statement without a Condition removes an Allow for the same
//     action when its resources cover the allowed ones ("*", every resource
//     of the type, or a pattern matching the allowed one).
//   - iam:PassRole counts only together with an action that starts compute
//     running as the passed role (lambda:CreateFunction, ec2:RunInstances,
//     ecs:RunTask or ecs:RegisterTaskDefinition, glue:CreateDevEndpoint,
//     cloudformation:CreateStack), held through any statement.
//   - A statement allowing "*" on "*" is reported once, as full-admin,
//     rather than as every entry of the catalog, unless a Deny names an
//     action of the catalog: then it is resolved entry by entry.
//
// Not evaluated: Conditions (an Allow with a Condition counts as granted, a
// Deny with one as not denying: a condition narrows when a grant applies,
// and guessing that it never does would hide the grant), permission
// boundaries, service control and resource control policies, session
// policies, and resource-based policies (bucket, key and trust policies).
// The findings are what the identity's own policies allow; any of those may
// still deny it.
//
// Cost: a managed policy's default version and a group's policies are read
// once per scan (policyCache) or, for inventories and plans, once per
// command (commandCache); statements are parsed once per document and every
// identity is resolved in memory.

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"weak"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// Capability IDs of the AWS catalog.
const (
	CapAccessKeyCreate     = "iam-access-key-create"
	CapLoginProfileWrite   = "iam-login-profile-write"
	CapPolicyVersionCreate = "iam-policy-version-create"
	CapPolicyDefaultSet    = "iam-policy-default-version-set"
	CapPolicyAttach        = "iam-policy-attach"
	CapInlinePolicyPut     = "iam-inline-policy-put"
	CapTrustPolicyUpdate   = "iam-trust-policy-update"
	CapGroupMembershipAdd  = "iam-group-membership-add"
	CapPassRoleCompute     = "iam-pass-role-compute"
	CapAssumeAnyRole       = "sts-assume-any-role"
	CapS3Full              = "s3-full-access"
	CapDynamoDBFull        = "dynamodb-full-access"
	CapSecretsReadAll      = "secretsmanager-read-all"
	CapKMSDecryptAll       = "kms-decrypt-all"
	CapFullAdmin           = "full-admin"
)

// Reaches of an IAM grant (nhi.Capability.Reach).
const (
	// ReachAccount: every resource of the action's type in the account.
	ReachAccount = "the account"
	// ReachNamed: the resources the statement names.
	ReachNamed = "the named resources"
)

// resType is what an action acts on: the ARN's service and the start of
// its resource part ("user/", "policy/"; "" for S3 buckets and objects).
// The zero value is any resource.
type resType struct {
	service string
	prefix  string
}

var (
	resUser   = resType{"iam", "user/"}
	resGroup  = resType{"iam", "group/"}
	resRole   = resType{"iam", "role/"}
	resPolicy = resType{"iam", "policy/"}
	resS3     = resType{"s3", ""}
	resTable  = resType{"dynamodb", "table/"}
	resSecret = resType{"secretsmanager", "secret:"}
	resKey    = resType{"kms", "key/"}
	resAny    = resType{}
)

// probe is a name no real resource or action has: a pattern that matches it
// matches every name.
const probe = "zz9-nhi-probe"

// serviceWide is the action name that only a pattern covering every action
// of the service matches ("s3:*", "*").
func serviceWide(service string) string { return service + ":Zz9NhiProbe" }

type act struct {
	name string
	res  resType
}

// CapabilityDef is one entry of the catalog.
type CapabilityDef struct {
	ID, Title, Why string
	// Account and Named are the severities of a grant on every resource of
	// the account and on named resources; Named "" means a grant on named
	// resources does not count.
	Account, Named string
	// actions: any one of them is enough.
	actions []act
	// selfExempt: a grant narrowed to the identity itself does not count.
	selfExempt bool
	// with: the capability also needs one of these, through any statement.
	with []act
	// everything: "*" on "*".
	everything bool
}

var (
	awsCrit, awsHigh, awsMed = nhi.CapabilityCritical, nhi.CapabilityHigh, nhi.CapabilityMedium
	computeCreates           = []act{{"lambda:CreateFunction", resAny}, {"ec2:RunInstances", resAny}, {"ecs:RunTask", resAny},
		{"ecs:RegisterTaskDefinition", resAny}, {"glue:CreateDevEndpoint", resAny}, {"cloudformation:CreateStack", resAny}}
)

// Capabilities is the AWS catalog of risky capabilities.
var Capabilities = []CapabilityDef{
	{ID: CapFullAdmin, Title: `do everything ("*" on "*")`, Account: awsCrit, everything: true,
		Why: "it may call every action on every resource of the account, including granting itself and others any permission"},
	{ID: CapAccessKeyCreate, Title: "create access keys for other IAM users", Account: awsCrit, Named: awsHigh, selfExempt: true,
		Why:     "it creates an access key for another user and acts as that user, with all of its permissions",
		actions: []act{{"iam:CreateAccessKey", resUser}}},
	{ID: CapLoginProfileWrite, Title: "set console passwords of other IAM users", Account: awsCrit, Named: awsHigh, selfExempt: true,
		Why:     "it sets another user's console password and signs in as that user, with all of its permissions",
		actions: []act{{"iam:CreateLoginProfile", resUser}, {"iam:UpdateLoginProfile", resUser}}},
	{ID: CapPolicyVersionCreate, Title: "create managed policy versions", Account: awsCrit, Named: awsHigh,
		Why:     "it writes a new default version of a managed policy, so a policy attached to itself or anyone else can grant everything",
		actions: []act{{"iam:CreatePolicyVersion", resPolicy}}},
	{ID: CapPolicyDefaultSet, Title: "set the default version of managed policies", Account: awsHigh, Named: awsMed,
		Why:     "it makes another version of a managed policy the default, which may grant more than the current one",
		actions: []act{{"iam:SetDefaultPolicyVersion", resPolicy}}},
	{ID: CapPolicyAttach, Title: "attach managed policies to users, groups or roles", Account: awsCrit, Named: awsHigh,
		Why:     "it attaches any managed policy, AdministratorAccess included, to itself or to the users, groups and roles in reach",
		actions: []act{{"iam:AttachUserPolicy", resUser}, {"iam:AttachGroupPolicy", resGroup}, {"iam:AttachRolePolicy", resRole}}},
	{ID: CapInlinePolicyPut, Title: "write inline policies of users, groups or roles", Account: awsCrit, Named: awsHigh,
		Why:     "it writes an inline policy granting any permission to itself or to the users, groups and roles in reach",
		actions: []act{{"iam:PutUserPolicy", resUser}, {"iam:PutGroupPolicy", resGroup}, {"iam:PutRolePolicy", resRole}}},
	{ID: CapTrustPolicyUpdate, Title: "rewrite the trust policies of roles", Account: awsCrit, Named: awsHigh, selfExempt: true,
		Why:     "it rewrites a role's trust policy so that it, or any principal of any account, may assume the role and act with its permissions",
		actions: []act{{"iam:UpdateAssumeRolePolicy", resRole}}},
	{ID: CapGroupMembershipAdd, Title: "add users to IAM groups", Account: awsCrit, Named: awsHigh,
		Why:     "it adds itself or another user to a group in reach and so gains the group's permissions",
		actions: []act{{"iam:AddUserToGroup", resGroup}}},
	{ID: CapPassRoleCompute, Title: "run compute as a role it passes (iam:PassRole with a compute create)", Account: awsCrit, Named: awsHigh, selfExempt: true,
		Why:     "it starts code of its choosing (a Lambda function, an EC2 instance, an ECS task, a Glue endpoint, a CloudFormation stack) that runs as a role it may pass, with that role's permissions",
		actions: []act{{"iam:PassRole", resRole}}, with: computeCreates},
	{ID: CapAssumeAnyRole, Title: "assume any role (sts:AssumeRole on every role)", Account: awsHigh,
		Why:     "it assumes every role whose trust policy trusts its account, and acts with that role's permissions",
		actions: []act{{"sts:AssumeRole", resRole}}},
	{ID: CapS3Full, Title: "use every S3 action on every bucket (s3:*)", Account: awsHigh,
		Why:     "it reads, changes and deletes every object and bucket in reach, bucket policies included",
		actions: []act{{serviceWide("s3"), resS3}}},
	{ID: CapDynamoDBFull, Title: "use every DynamoDB action on every table (dynamodb:*)", Account: awsHigh,
		Why:     "it reads, changes and deletes every DynamoDB table in reach",
		actions: []act{{serviceWide("dynamodb"), resTable}}},
	{ID: CapSecretsReadAll, Title: "read every Secrets Manager secret", Account: awsCrit,
		Why:     "it reads the value of every secret in reach: other identities' passwords, keys and tokens, so it can act as them",
		actions: []act{{"secretsmanager:GetSecretValue", resSecret}}},
	{ID: CapKMSDecryptAll, Title: "decrypt with every KMS key", Account: awsHigh,
		Why:     "it decrypts data encrypted under any KMS key whose key policy lets the account's IAM policies grant its use",
		actions: []act{{"kms:Decrypt", resKey}}},
}

// CapabilityByID looks an entry of the catalog up.
func CapabilityByID(id string) (CapabilityDef, bool) {
	for _, d := range Capabilities {
		if d.ID == id {
			return d, true
		}
	}
	return CapabilityDef{}, false
}

// capabilityIDs are the IDs of the catalog, in its order.
func capabilityIDs() []string {
	out := make([]string, len(Capabilities))
	for i, d := range Capabilities {
		out[i] = d.ID
	}
	return out
}

// --- matching ---

// glob matches IAM's "*" (any run, "/" and ":" included) and "?" (one
// character).
func glob(pattern, s string) bool {
	p, n := 0, 0
	star, mark := -1, 0
	for n < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[n]):
			p++
			n++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, n
			p++
		case star >= 0:
			p = star + 1
			mark++
			n = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

func globFold(pattern, s string) bool { return glob(strings.ToLower(pattern), strings.ToLower(s)) }

// couldStartWith reports whether pattern could match a string that starts
// with prefix.
func couldStartWith(pattern, prefix string) bool {
	for i := 0; i < len(prefix); i++ {
		if i >= len(pattern) {
			return false
		}
		switch pattern[i] {
		case '*':
			return true
		case '?':
		default:
			if pattern[i] != prefix[i] {
				return false
			}
		}
	}
	return true
}

func hasWildcard(s string) bool { return strings.ContainsAny(s, "*?") }

// allows returns how statement s names action a: the Action pattern, or
// its NotAction list; false when it does not.
func (s *statement) allows(a string) (string, bool) {
	if s.named != nil {
		if by, ok := s.named[a]; ok {
			return by, true
		}
		if catalogAction[a] {
			return "", false
		}
	}
	return s.match(a)
}

func (s *statement) match(a string) (string, bool) {
	if len(s.Action) > 0 {
		for _, p := range s.Action {
			if globFold(p, a) {
				return p, true
			}
		}
		return "", false
	}
	for _, p := range s.NotAction {
		if globFold(p, a) {
			return "", false
		}
	}
	return "NotAction " + quoteList(s.NotAction), true
}

func quoteList(l []string) string {
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

type reach int

const (
	reachNone reach = iota
	reachSelf
	reachNamed
	reachAll
)

// Principal is the identity whose access is resolved.
type Principal struct {
	// Location is LocationUser or LocationRole.
	Location string
	Name     string
	// Path is its IAM path ("/" when empty).
	Path string
	// ARN is its ARN; empty when not known yet (a plan for a new
	// identity): then any partition and account count as its own.
	ARN string
}

// PrincipalOf is the principal of an identity as found.
func PrincipalOf(d Details) Principal {
	return Principal{Location: d.Ref.Location, Name: d.Ref.Name, Path: d.Path, ARN: d.ARN}
}

func (p Principal) ref() string { return p.Location + "/" + p.Name }

func (p Principal) arnField(i int) string {
	parts := strings.SplitN(p.ARN, ":", 6)
	if len(parts) != 6 {
		return ""
	}
	return parts[i]
}

// selfResource is the resource part of its own ARN ("user/ci/deployer").
func (p Principal) selfResource() string {
	return p.Location + pathOrRoot(p.Path) + p.Name
}

// substitute resolves the policy variables of a resource pattern:
// ${aws:username} is a user's name (a role has none, so the pattern names
// nothing: ok is false); ${*}, ${?} and ${$} are the literal characters;
// any other variable becomes a character no probe holds, so the pattern
// names some resources, not all.
func (p Principal) substitute(pattern string) (string, bool) {
	if !strings.Contains(pattern, "${") {
		return pattern, true
	}
	var b strings.Builder
	for {
		i := strings.Index(pattern, "${")
		if i < 0 {
			b.WriteString(pattern)
			return b.String(), true
		}
		j := strings.Index(pattern[i:], "}")
		if j < 0 {
			b.WriteString(pattern)
			return b.String(), true
		}
		b.WriteString(pattern[:i])
		v := pattern[i+2 : i+j]
		switch strings.ToLower(v) {
		case "*", "?", "$":
			b.WriteString(v)
		case "aws:username":
			if p.Location != LocationUser {
				return "", false
			}
			b.WriteString(p.Name)
		default:
			b.WriteString("\x00")
		}
		pattern = pattern[i+j+1:]
	}
}

// classify says what a Resource pattern covers of resources of type rt.
func (p Principal) classify(pattern string, rt resType) reach {
	if pattern == "*" {
		return reachAll
	}
	pat, ok := p.substitute(pattern)
	if !ok {
		return reachNone
	}
	f := strings.SplitN(pat, ":", 6)
	if len(f) != 6 || !glob(f[0], "arn") {
		return reachNone
	}
	if rt == resAny {
		return reachNamed
	}
	if part := p.arnField(1); part != "" && !glob(f[1], part) {
		return reachNone
	}
	if !globFold(f[2], rt.service) {
		return reachNone
	}
	if acct := p.arnField(4); rt.service != "s3" && acct != "" && !glob(f[4], acct) {
		return reachNone
	}
	res := f[5]
	if !couldStartWith(res, rt.prefix) {
		return reachNone
	}
	if glob(res, rt.prefix+probe+"/"+probe) || (rt == resS3 && glob(res, probe)) {
		return reachAll
	}
	if !hasWildcard(res) && (rt == resUser || rt == resRole) && rt.prefix == p.Location+"/" && res == p.selfResource() {
		return reachSelf
	}
	return reachNamed
}

// denials are the unconditioned Deny statements of an identity's policies.
type denials []*statement

// denies reports whether a Deny removes action a on resource pattern r
// (of type rt). NotResource denials are not evaluated.
func (d denials) denies(p Principal, a string, r string, rt resType) bool {
	for _, s := range d {
		if _, ok := s.allows(a); !ok {
			continue
		}
		for _, dr := range s.Resource {
			if dr == "*" || dr == r || (!hasWildcard(r) && glob(dr, r)) || (rt != resAny && p.classify(dr, rt) == reachAll) {
				return true
			}
		}
	}
	return false
}

// touchCatalog reports whether any Deny names an action of the catalog:
// then a "*" on "*" is resolved entry by entry instead of as full-admin.
func (d denials) touchCatalog() bool {
	for _, s := range d {
		for a := range catalogAction {
			if _, ok := s.allows(a); ok {
				return true
			}
		}
	}
	return false
}

// grantOf is what one statement grants of one catalog action.
type grantOf struct {
	action string // the concrete action ("iam:CreateAccessKey")
	by     string // the pattern or NotAction list that names it
	reach  reach
	on     []string // the resources that grant it at that reach
}

// grant evaluates one Allow statement for action a.
func (p Principal) grant(s *statement, a act, deny denials) (grantOf, bool) {
	by, ok := s.allows(a.name)
	if !ok {
		return grantOf{}, false
	}
	g := grantOf{action: a.name, by: by}
	if len(s.Resource) == 0 {
		// NotResource: every resource but those listed.
		for _, nr := range s.NotResource {
			if p.classify(nr, a.res) == reachAll {
				return grantOf{}, false
			}
		}
		if deny.denies(p, a.name, "*", a.res) {
			return grantOf{}, false
		}
		g.reach, g.on = reachAll, []string{"every resource except " + quoteList(s.NotResource)}
		return g, true
	}
	for _, r := range s.Resource {
		rc := p.classify(r, a.res)
		if rc == reachNone || deny.denies(p, a.name, r, a.res) {
			continue
		}
		switch {
		case rc > g.reach:
			g.reach, g.on = rc, []string{r}
		case rc == g.reach:
			g.on = append(g.on, r)
		}
	}
	return g, g.reach > reachNone
}

// everything reports whether s allows "*" on "*".
func everything(s *statement) bool {
	return (contains(s.Action, "*") || contains(s.Action, "*:*")) && contains(s.Resource, "*")
}

// --- sources ---

// policySource is one policy an identity holds, directly or through a
// group, with its parsed statements.
type policySource struct {
	// scope is the effective scope it comes through ("policy:<arn>",
	// "inline:<name>", "group:<name>").
	scope string
	// label starts its paths: "policy <arn>", "group ops -> inline policy x".
	label string
	group string // the group it comes through, if any
	arn   string // a managed policy's ARN
	name  string // an inline policy's name
	stmts []statement
}

func (s policySource) what() string {
	if s.arn != "" {
		return "policy " + s.arn
	}
	return "inline policy " + s.name
}

func stmtLabel(s *statement, i int) string {
	if s.Sid != "" {
		return fmt.Sprintf("statement %q", s.Sid)
	}
	return fmt.Sprintf("statement #%d", i+1)
}

// --- the resolver ---

type capGrant struct {
	src  policySource
	stmt string
	g    []grantOf // the actions granted at the best reach
}

func (f capGrant) reach() reach { return f.g[0].reach }

// tail renders the actions and resources of a grant.
func (f capGrant) tail() string {
	var acts []string
	for i, g := range f.g {
		a := g.action
		last := i == len(f.g)-1 || f.g[i+1].by != g.by
		switch {
		case isServiceWide(a):
			a = fmt.Sprintf("%q", g.by)
		case !last || strings.EqualFold(g.by, a):
		case strings.HasPrefix(g.by, "NotAction "):
			a += " (by " + g.by + ")"
		default:
			a += fmt.Sprintf(" (by %q)", g.by)
		}
		acts = append(acts, a)
	}
	return strings.Join(acts, ", ") + " on " + strings.Join(f.g[0].on, ", ")
}

func (f capGrant) path() string { return f.src.label + " -> " + f.stmt + " -> " + f.tail() }

// pathWith renders a combination: this grant, and w's (its tail only when
// the same statement grants both).
func (f capGrant) pathWith(w capGrant) string {
	if w.src.label == f.src.label && w.stmt == f.stmt {
		return f.path() + "; and " + w.tail()
	}
	return f.path() + "; and " + w.path()
}

func isServiceWide(action string) bool { return strings.HasSuffix(action, ":Zz9NhiProbe") }

// fix says how to take the grant away along this path.
func (f capGrant) fix(p Principal) string {
	g := f.g[0]
	var acts []string
	for _, x := range f.g {
		if x.by == g.by {
			acts = append(acts, x.action)
		}
	}
	where := f.stmt + " of " + f.src.what()
	var edit string
	switch {
	case isServiceWide(g.action) || g.action == "*":
		edit = fmt.Sprintf("narrow %q in %s to the actions and resources needed", g.by, where)
	case strings.HasPrefix(g.by, "NotAction "):
		edit = fmt.Sprintf("add %s to the NotAction of %s", strings.Join(acts, ", "), where)
	case !strings.EqualFold(g.by, g.action):
		edit = fmt.Sprintf("narrow %q in %s so that it no longer covers %s", g.by, where, strings.Join(acts, ", "))
	default:
		edit = fmt.Sprintf("remove %s from %s", g.action, where)
	}
	if strings.Contains(f.src.arn, ":iam::aws:policy/") {
		edit = "attach a narrower policy instead (" + f.src.arn + " is an AWS managed policy, which nobody can edit)"
	} else if f.src.arn != "" {
		edit += " (as a new default version)"
	}
	switch {
	case f.src.group != "":
		return fmt.Sprintf("Remove %s from group %s (it grants this to every member; drop scope %q from its declaration), or %s", p.ref(), f.src.group, f.src.scope, edit)
	case f.src.arn != "":
		return fmt.Sprintf("Detach %s from %s (drop scope %q from its declaration), or %s", f.src.arn, p.ref(), f.src.scope, edit)
	}
	return fmt.Sprintf("Delete inline policy %s of %s (drop scope %q and inline_policies[%q] from its declaration), or %s", f.src.name, p.ref(), f.src.scope, f.src.name, edit)
}

func (d *CapabilityDef) severity(r reach) string {
	if r == reachAll {
		return d.Account
	}
	return d.Named
}

func reachName(r reach) string {
	if r == reachAll {
		return ReachAccount
	}
	return ReachNamed
}

// resolve returns the risky capabilities the sources grant p.
func (p Principal) resolve(sources []policySource) []nhi.Capability {
	var deny denials
	for si := range sources {
		for i := range sources[si].stmts {
			if s := &sources[si].stmts[i]; s.Effect == "Deny" && len(s.Condition) == 0 && len(s.Resource) > 0 {
				deny = append(deny, s)
			}
		}
	}
	var out []nhi.Capability
	add := func(d *CapabilityDef, r reach, path, scope, fix string) {
		out = append(out, nhi.Capability{ID: d.ID, Title: d.Title, Severity: d.severity(r), Reach: reachName(r),
			Path: path, Scope: scope, Why: d.Why, Fix: fix})
	}
	with := map[string][]capGrant{} // entry ID: grants of its "with" part
	var pending []struct {
		d *CapabilityDef
		f capGrant
	}
	for si := range sources {
		src := sources[si]
		for i := range src.stmts {
			s := &src.stmts[i]
			if s.Effect != "Allow" {
				continue
			}
			label := stmtLabel(s, i)
			if everything(s) && !deny.touchCatalog() {
				f := capGrant{src: src, stmt: label, g: []grantOf{{action: "*", by: "*", reach: reachAll, on: []string{"*"}}}}
				add(&Capabilities[0], reachAll, f.path(), src.scope, f.fix(p))
				continue
			}
			for di := range Capabilities {
				d := &Capabilities[di]
				if d.everything {
					continue
				}
				var best []grantOf
				for _, a := range d.actions {
					g, ok := p.grant(s, a, deny)
					if !ok || (g.reach == reachSelf && d.selfExempt) || (g.reach < reachAll && d.Named == "") {
						continue
					}
					switch {
					case len(best) == 0 || g.reach > best[0].reach:
						best = []grantOf{g}
					case g.reach == best[0].reach:
						best = append(best, g)
					}
				}
				if len(best) > 0 {
					f := capGrant{src: src, stmt: label, g: best}
					if len(d.with) > 0 {
						pending = append(pending, struct {
							d *CapabilityDef
							f capGrant
						}{d, f})
					} else {
						add(d, f.reach(), f.path(), src.scope, f.fix(p))
					}
				}
				for _, a := range d.with {
					if g, ok := p.grant(s, a, deny); ok {
						with[d.ID] = append(with[d.ID], capGrant{src: src, stmt: label, g: []grantOf{g}})
						break
					}
				}
			}
		}
	}
	for _, pd := range pending {
		w := with[pd.d.ID]
		if len(w) == 0 {
			continue
		}
		scope := pd.f.src.scope
		if w[0].src.scope != scope {
			scope = ""
		}
		add(pd.d, pd.f.reach(), pd.f.pathWith(w[0]), scope,
			"It takes both grants; take one away. "+pd.f.fix(p)+"; or: "+lowerFirst(w[0].fix(p)))
	}
	return nhi.SortCapabilities(out)
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// --- reading the sources ---

// errUnparsable marks a policy document the resolver cannot parse: the
// identity's capabilities are unknown.
var errUnparsable = errors.New("policy document cannot be parsed")

// parsed parses a document and matches each statement against the
// catalog's actions once, so that resolving the many identities that hold
// one managed policy (an AWS-managed one lists hundreds of patterns) costs
// map lookups.
func parsed(doc string) ([]statement, error) {
	stmts, err := parsePolicy(doc)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errUnparsable, err)
	}
	for i := range stmts {
		s := &stmts[i]
		s.named = map[string]string{}
		for a := range catalogAction {
			if by, ok := s.match(a); ok {
				s.named[a] = by
			}
		}
	}
	return stmts, nil
}

// catalogAction is the set of the catalog's action names.
var catalogAction = func() map[string]bool {
	out := map[string]bool{}
	for _, d := range Capabilities {
		for _, a := range append(append([]act{}, d.actions...), d.with...) {
			out[a.name] = true
		}
	}
	return out
}()

// sources reads the policies behind scopes: managed policy documents and
// groups through cache, inline documents from inline. prefixed makes each
// path start at its scope (plans), instead of at the policy (scans).
func (c *Client) sources(ctx context.Context, scopes []string, inline map[string]string, cache *policyCache, prefixed bool) ([]policySource, error) {
	sp, err := SplitScopes(scopes)
	if err != nil {
		return nil, err
	}
	var out []policySource
	label := func(scope, plain string) string {
		if prefixed {
			return fmt.Sprintf("scope %q", scope)
		}
		return plain
	}
	// A plan's scope whose policy or group does not exist grants nothing
	// (the plan reports it missing); a scan's is an error.
	missing := func(err error) bool { return prefixed && errors.Is(err, nhi.ErrNotFound) }
	for _, a := range sp.ARNs {
		stmts, err := cache.statements(ctx, c, a)
		if missing(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, policySource{scope: "policy:" + a, label: label("policy:"+a, "policy "+a), arn: a, stmts: stmts})
	}
	for _, n := range sp.Inline {
		doc, ok := inline[n]
		if !ok {
			continue
		}
		stmts, err := parsed(doc)
		if err != nil {
			return nil, fmt.Errorf("inline policy %s: %w", n, err)
		}
		out = append(out, policySource{scope: "inline:" + n, label: label("inline:"+n, "inline policy "+n), name: n, stmts: stmts})
	}
	for _, g := range sp.Groups {
		scope := "group:" + g
		start := label(scope, "group "+g)
		arns, err := cache.groupAttached(ctx, c, g)
		if missing(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, a := range arns {
			stmts, err := cache.statements(ctx, c, a)
			if err != nil {
				return nil, err
			}
			out = append(out, policySource{scope: scope, label: start + " -> policy " + a, group: g, arn: a, stmts: stmts})
		}
		docs, err := cache.groupInline(ctx, c, g)
		if err != nil {
			return nil, err
		}
		for _, n := range nhi.SortedKeys(docs) {
			stmts, err := parsed(docs[n])
			if err != nil {
				return nil, fmt.Errorf("inline policy %s of IAM group %s: %w", n, g, err)
			}
			out = append(out, policySource{scope: scope, label: start + " -> inline policy " + n, group: g, name: n, stmts: stmts})
		}
	}
	return out, nil
}

// identityCapabilities resolves the risky capabilities of an identity as
// found (its effective scopes and inline documents). An unparsable document
// makes them unknown, not an error.
func (c *Client) identityCapabilities(ctx context.Context, d *Details, cache *policyCache) error {
	src, err := c.sources(ctx, d.EffectiveScopes, d.InlinePolicies, cache, false)
	if errors.Is(err, errUnparsable) {
		d.Capabilities, d.CapabilitiesUnknown = nil, true
		return nil
	}
	if err != nil {
		return err
	}
	d.Capabilities, d.CapabilitiesUnknown = PrincipalOf(*d).resolve(src), false
	return nil
}

// ScopeCapabilities returns the risky capabilities that the scopes, granted
// to principal p with the given inline documents, would give it, each path
// starting at its scope ("scope \"inline:deploy\" -> statement #1 -> ..."),
// for plan-time warnings. Denies in any of the scopes count; a combination
// granted through two scopes has an empty Scope. Managed policies and
// groups are read once per command; a scope whose policy or group does not
// exist grants nothing.
func (c *Client) ScopeCapabilities(ctx context.Context, p Principal, scopes []string, inline map[string]string) ([]nhi.Capability, error) {
	if len(scopes) == 0 {
		return nil, nil
	}
	cache := c.commandCache()
	src, err := c.sources(ctx, scopes, inline, cache, true)
	if err != nil {
		return nil, err
	}
	return p.resolve(src), nil
}

// --- per-command cache ---

// commandCaches holds each client's policy cache for inventories and plans:
// one Terraform command, or one drift run, is one client. The provider never
// writes managed policies or group policies (only attachments and
// memberships, read per identity), so the cache never goes stale under its
// own writes; a change made by someone else during the command may or may
// not be seen, and the next command sees it. Keyed weakly, so a client's
// cache goes with it.
var commandCaches sync.Map // weak.Pointer[Client] -> *policyCache

func (c *Client) commandCache() *policyCache {
	k := weak.Make(c)
	if v, ok := commandCaches.Load(k); ok {
		return v.(*policyCache)
	}
	v, loaded := commandCaches.LoadOrStore(k, newPolicyCache())
	if !loaded {
		runtime.AddCleanup(c, func(k weak.Pointer[Client]) { commandCaches.Delete(k) }, k)
	}
	return v.(*policyCache)
}
