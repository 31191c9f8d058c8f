package kubernetes

// Effective access: what a service account can actually do.
//
// A service account's permissions are the rules of every Role and
// ClusterRole bound to it, directly (a ServiceAccount subject, or the User
// subject "system:serviceaccount:<ns>:<name>") or through the groups every
// service account belongs to: system:serviceaccounts,
// system:serviceaccounts:<namespace> and system:authenticated. A
// ClusterRoleBinding grants its role cluster-wide; a RoleBinding, even to a
// ClusterRole, only in its namespace. An aggregated ClusterRole holds the
// rules of the ClusterRoles its selectors match (the controller manager
// copies them in; the resolver reads both, so a rule is attributed to the
// ClusterRole a person must edit).
//
// The resolver matches those rules against a catalog of risky capabilities
// (below), learnt from CIS Kubernetes Benchmark 5.1, the Kubernetes "RBAC
// good practices" page and the public rule lists of KubiScan, rbac-police,
// rbac-tool and Kubescape, and written for this project. Matching follows
// the RBAC authorizer: "*" in verbs, apiGroups or resources matches all,
// "*/<sub>" matches that subresource of every resource, and resourceNames
// narrow a rule to the named objects, which takes most capabilities away
// (reading one named Secret is not reading every Secret; a create is never
// allowed by a named rule) but not those where naming the target is the
// attack (impersonating a named user or group, binding a named role).
// Cluster-scoped resources (nodes, PersistentVolumes, webhook
// configurations, users, groups, ClusterRoleBindings) are reachable only
// through a ClusterRoleBinding: a RoleBinding granting them grants nothing.
//
// Cost: the roles are listed once per scan (listRoles), like the bindings;
// every identity is resolved in memory from the two indexes, and a role's
// risky rules are computed once per scan.

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// Capability IDs of the Kubernetes catalog.
const (
	CapSecretsRead          = "secrets-read"
	CapWorkloadsCreate      = "workloads-create"
	CapPodsExec             = "pods-exec"
	CapPodsAttach           = "pods-attach"
	CapPodsPortForward      = "pods-portforward"
	CapEphemeralContainers  = "pods-ephemeral-containers"
	CapImpersonate          = "impersonate"
	CapRolesBind            = "roles-bind"
	CapRolesEscalate        = "roles-escalate"
	CapBindingsWrite        = "rolebindings-write"
	CapServiceAccountTokens = "serviceaccount-token-create"
	CapNodesProxy           = "nodes-proxy"
	CapCSRApprove           = "csr-approve"
	CapWebhooksWrite        = "webhook-configurations-write"
	CapPersistentVolumes    = "persistentvolumes-create"
	CapWildcard             = "wildcard"
)

const groupRBAC = rbacv1.GroupName

// grant is one way to hold a capability: any of verbs on any of resources
// of one API group.
type grant struct {
	group     string
	resources []string
	verbs     []string
	// clusterScoped: the resources are not namespaced, so only a
	// ClusterRoleBinding grants them.
	clusterScoped bool
	// named: a rule limited by resourceNames still grants the capability
	// (the name is the target: a user to impersonate, a role to bind).
	named bool
}

// CapabilityDef is one entry of the catalog.
type CapabilityDef struct {
	ID    string
	Title string
	Why   string
	// Cluster and Namespace are the severities of a cluster-wide grant and
	// of a grant in one namespace (a grant in kube-system counts as
	// cluster-wide: its Secrets and controllers hold the cluster).
	Cluster, Namespace string
	// any: one of these grants is enough. all: each of these must be held
	// (by some rule, at cluster reach).
	any []grant
	all []grant
	// wildcard matches rules with "*" in verbs or resources instead.
	wildcard bool
}

var (
	read       = []string{"get", "list", "watch"}
	write      = []string{"create", "update", "patch"}
	connect    = []string{"create", "get"} // websocket upgrades authorize as get
	crit, high = nhi.CapabilityCritical, nhi.CapabilityHigh
	med        = nhi.CapabilityMedium
)

// Capabilities is the Kubernetes catalog of risky capabilities, in ID order
// of the findings' keys.
var Capabilities = []CapabilityDef{
	{ID: CapSecretsRead, Title: "read Secrets", Cluster: crit, Namespace: high,
		Why: "it reads every Secret in reach (get, list or watch): other identities' tokens, keys and passwords, so it can act as them",
		any: []grant{{resources: []string{"secrets"}, verbs: read}}},
	{ID: CapWorkloadsCreate, Title: "create or change Pods and workloads", Cluster: crit, Namespace: high,
		Why: "it runs code of its choosing as any service account of a namespace in reach, with that account's permissions and the namespace's Secrets",
		any: []grant{
			{resources: []string{"pods", "replicationcontrollers"}, verbs: write},
			{group: "apps", resources: []string{"deployments", "daemonsets", "statefulsets", "replicasets"}, verbs: write},
			{group: "batch", resources: []string{"jobs", "cronjobs"}, verbs: write},
		}},
	{ID: CapPodsExec, Title: "run commands in containers (pods/exec)", Cluster: crit, Namespace: high,
		Why: "it runs commands inside any Pod in reach, with that Pod's service account token and mounted Secrets",
		any: []grant{{resources: []string{"pods/exec"}, verbs: connect}}},
	{ID: CapPodsAttach, Title: "attach to containers (pods/attach)", Cluster: crit, Namespace: high,
		Why: "it attaches to the main process of any Pod in reach, reading its output and writing to its input",
		any: []grant{{resources: []string{"pods/attach"}, verbs: connect}}},
	{ID: CapPodsPortForward, Title: "forward ports to Pods (pods/portforward)", Cluster: high, Namespace: med,
		Why: "it reaches any port of any Pod in reach directly, past Services and NetworkPolicies",
		any: []grant{{resources: []string{"pods/portforward"}, verbs: connect}}},
	{ID: CapEphemeralContainers, Title: "add ephemeral containers to Pods", Cluster: crit, Namespace: high,
		Why: "it starts a container of its choosing inside any running Pod in reach, with that Pod's service account and volumes",
		any: []grant{{resources: []string{"pods/ephemeralcontainers"}, verbs: []string{"update", "patch"}}}},
	{ID: CapImpersonate, Title: "impersonate users, groups or service accounts", Cluster: crit, Namespace: high,
		Why: "it acts as any identity it may impersonate (a user, a group such as system:masters, a service account) with all of its permissions",
		any: []grant{
			{resources: []string{"users", "groups"}, verbs: []string{"impersonate"}, clusterScoped: true, named: true},
			{resources: []string{"serviceaccounts"}, verbs: []string{"impersonate"}, named: true},
		}},
	{ID: CapRolesBind, Title: "bind roles (bind on Roles or ClusterRoles)", Cluster: crit, Namespace: high,
		Why: "it grants any role it may bind to itself or anyone without holding that role's permissions, up to cluster-admin",
		any: []grant{{group: groupRBAC, resources: []string{"roles", "clusterroles"}, verbs: []string{"bind"}, named: true}}},
	{ID: CapRolesEscalate, Title: "escalate roles (escalate on Roles or ClusterRoles)", Cluster: crit, Namespace: high,
		Why: "it writes roles granting permissions it does not hold, so a role bound to it can grant it anything",
		any: []grant{
			{group: groupRBAC, resources: []string{"roles"}, verbs: []string{"escalate"}, named: true},
			{group: groupRBAC, resources: []string{"clusterroles"}, verbs: []string{"escalate"}, clusterScoped: true, named: true},
		}},
	{ID: CapBindingsWrite, Title: "create or change RoleBindings and ClusterRoleBindings", Cluster: high, Namespace: med,
		Why: "it grants the permissions it holds, and any role it may bind, to any subject, including identities nobody governs",
		any: []grant{
			{group: groupRBAC, resources: []string{"rolebindings"}, verbs: write},
			{group: groupRBAC, resources: []string{"clusterrolebindings"}, verbs: write, clusterScoped: true},
		}},
	{ID: CapServiceAccountTokens, Title: "create service account tokens (serviceaccounts/token)", Cluster: crit, Namespace: high,
		Why: "it mints a token for any service account in reach and acts as it, with all of its permissions",
		any: []grant{{resources: []string{"serviceaccounts/token"}, verbs: []string{"create"}}}},
	{ID: CapNodesProxy, Title: "reach the kubelet API (nodes/proxy)", Cluster: crit, Namespace: crit,
		Why: "it runs commands in any container on every node through the kubelet, unseen by admission control and the API server's audit of pods/exec",
		any: []grant{{resources: []string{"nodes/proxy"}, verbs: connect, clusterScoped: true}}},
	{ID: CapCSRApprove, Title: "approve certificate signing requests", Cluster: crit, Namespace: crit,
		Why: "it approves certificates that a signer it may approve issues, such as a client certificate for a member of system:masters",
		all: []grant{
			{group: "certificates.k8s.io", resources: []string{"certificatesigningrequests/approval"}, verbs: []string{"update", "patch"}, clusterScoped: true},
			{group: "certificates.k8s.io", resources: []string{"signers"}, verbs: []string{"approve"}, clusterScoped: true, named: true},
		}},
	{ID: CapWebhooksWrite, Title: "create or change admission webhook configurations", Cluster: crit, Namespace: crit,
		Why: "it registers a webhook that receives, changes or blocks the objects written to the cluster, Secrets included",
		any: []grant{{group: "admissionregistration.k8s.io", resources: []string{"validatingwebhookconfigurations", "mutatingwebhookconfigurations"}, verbs: write, clusterScoped: true}}},
	{ID: CapPersistentVolumes, Title: "create PersistentVolumes", Cluster: high, Namespace: high,
		Why: "it creates a hostPath volume onto a node's file system for a Pod to mount, reading other workloads' data and credentials",
		any: []grant{{resources: []string{"persistentvolumes"}, verbs: []string{"create"}, clusterScoped: true}}},
	{ID: CapWildcard, Title: `use a wildcard grant ("*" in verbs or resources)`, Cluster: high, Namespace: med, wildcard: true,
		Why: "a rule with \"*\" grants every verb or resource it covers, including those added later by new API versions and custom resources"},
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

// severity is the entry's severity for a grant of the given reach.
func (d CapabilityDef) severity(cluster bool, ns string) string {
	if cluster || ns == "kube-system" {
		return d.Cluster
	}
	return d.Namespace
}

// --- rule matching, as the RBAC authorizer does it ---

func hasOrStar(in []string, s string) bool {
	for _, v := range in {
		if v == s || v == "*" {
			return true
		}
	}
	return false
}

// resourceMatches follows the authorizer: "*", the exact resource or
// resource/subresource, or "*/<subresource>".
func resourceMatches(rule []string, want string) bool {
	_, sub, hasSub := strings.Cut(want, "/")
	for _, r := range rule {
		if r == "*" || r == want || (hasSub && r == "*/"+sub) {
			return true
		}
	}
	return false
}

// grants reports whether r grants g (resourceNames considered).
func (g grant) grantedBy(r rbacv1.PolicyRule) bool {
	if len(r.ResourceNames) > 0 && !g.named {
		return false
	}
	if !hasOrStar(r.APIGroups, g.group) {
		return false
	}
	verb := false
	for _, v := range g.verbs {
		if hasOrStar(r.Verbs, v) {
			verb = true
			break
		}
	}
	if !verb {
		return false
	}
	for _, res := range g.resources {
		if resourceMatches(r.Resources, res) {
			return true
		}
	}
	return false
}

func isWildcardRule(r rbacv1.PolicyRule) bool {
	return len(r.Resources) > 0 && len(r.APIGroups) > 0 && len(r.ResourceNames) == 0 &&
		(contains(r.Verbs, "*") || contains(r.Resources, "*"))
}

// isEverything: "*" verbs on "*" resources of "*" groups. Such a rule is
// reported once, as a wildcard, rather than as every entry of the catalog.
func isEverything(r rbacv1.PolicyRule) bool {
	return contains(r.Verbs, "*") && contains(r.Resources, "*") && contains(r.APIGroups, "*") && len(r.ResourceNames) == 0
}

// describeRule renders a rule as people name it: "get, list on secrets",
// "create on deployments.apps", "impersonate on users named alice".
func describeRule(r rbacv1.PolicyRule) string {
	var res []string
	for _, g := range r.APIGroups {
		for _, x := range r.Resources {
			switch g {
			case "":
				res = append(res, x)
			default:
				base, sub, ok := strings.Cut(x, "/")
				if ok {
					res = append(res, base+"."+g+"/"+sub)
				} else {
					res = append(res, x+"."+g)
				}
			}
		}
	}
	s := "rule " + strings.Join(r.Verbs, ", ") + " on " + strings.Join(res, ", ")
	if len(r.ResourceNames) > 0 {
		s += " named " + strings.Join(r.ResourceNames, ", ")
	}
	return s
}

// --- roles ---

// sourcedRule is a rule and the chain of roles it comes from: the bound
// role first, then the ClusterRoles it aggregates down to the one that
// holds the rule.
type sourcedRule struct {
	rule rbacv1.PolicyRule
	via  []string
	// builtin: the rule's own role is one of Kubernetes' default roles.
	builtin bool
}

// roleMatch is a risky rule of a role, for one capability entry.
type roleMatch struct {
	def           *CapabilityDef
	grant         int // index in def.all (combined entries), else -1
	clusterScoped bool
	rule          sourcedRule
}

// roleIndex is every ClusterRole and Role of the cluster, read once per scan.
type roleIndex struct {
	cluster map[string]*rbacv1.ClusterRole
	ns      map[string]*rbacv1.Role // "namespace/name"
	mu      *sync.Mutex
	rules   map[string][]sourcedRule // ClusterRole name: effective rules
	matches map[string][]roleMatch   // role key: risky rules
}

func newRoleIndex() roleIndex {
	return roleIndex{cluster: map[string]*rbacv1.ClusterRole{}, ns: map[string]*rbacv1.Role{}, mu: &sync.Mutex{},
		rules: map[string][]sourcedRule{}, matches: map[string][]roleMatch{}}
}

// listRoles lists every ClusterRole and Role once.
func (c *Client) listRoles(ctx context.Context) (roleIndex, error) {
	ix := newRoleIndex()
	lo := metav1.ListOptions{Limit: listPageSize}
	for {
		l, err := c.cs.RbacV1().ClusterRoles().List(ctx, lo)
		if err != nil {
			return ix, wrap(err, "listing ClusterRoles")
		}
		for i := range l.Items {
			ix.cluster[l.Items[i].Name] = &l.Items[i]
		}
		if lo.Continue = l.Continue; lo.Continue == "" {
			break
		}
	}
	lo = metav1.ListOptions{Limit: listPageSize}
	for {
		l, err := c.cs.RbacV1().Roles("").List(ctx, lo)
		if err != nil {
			return ix, wrap(err, "listing Roles")
		}
		for i := range l.Items {
			ix.ns[l.Items[i].Namespace+"/"+l.Items[i].Name] = &l.Items[i]
		}
		if lo.Continue = l.Continue; lo.Continue == "" {
			return ix, nil
		}
	}
}

// wildcards is the set of roles with a rule granting every verb on every
// resource (NHI008's wildcard scopes).
func (ix roleIndex) wildcards() wildcards {
	w := wildcards{cluster: map[string]bool{}, ns: map[string]bool{}}
	for name, r := range ix.cluster {
		if isWildcard(r.Rules) {
			w.cluster[name] = true
		}
	}
	for key, r := range ix.ns {
		if isWildcard(r.Rules) {
			w.ns[key] = true
		}
	}
	return w
}

const bootstrapLabel = "kubernetes.io/bootstrapping"

func builtin(m metav1.ObjectMeta) bool { return m.Labels[bootstrapLabel] == "rbac-defaults" }

// clusterRules returns the effective rules of ClusterRole name: for an
// aggregated one, the rules of the ClusterRoles it aggregates (recursively)
// and then those of its own rules that none of them holds. mu is held.
func (ix roleIndex) clusterRules(name string, visiting map[string]bool) []sourcedRule {
	if r, ok := ix.rules[name]; ok {
		return r
	}
	cr, ok := ix.cluster[name]
	if !ok || visiting[name] {
		return nil
	}
	visiting[name] = true
	defer delete(visiting, name)
	var out []sourcedRule
	if ar := cr.AggregationRule; ar != nil {
		var parts []string
		for _, sel := range ar.ClusterRoleSelectors {
			s, err := metav1.LabelSelectorAsSelector(&sel)
			if err != nil || s.Empty() {
				continue
			}
			for n, other := range ix.cluster {
				if n != name && s.Matches(labels.Set(other.Labels)) {
					parts = append(parts, n)
				}
			}
		}
		parts = sortedUnique(parts)
		for _, p := range parts {
			for _, sr := range ix.clusterRules(p, visiting) {
				if !hasRule(out, sr.rule) {
					out = append(out, sourcedRule{rule: sr.rule, via: append([]string{name}, sr.via...), builtin: sr.builtin})
				}
			}
		}
	}
	for _, r := range cr.Rules {
		if !hasRule(out, r) {
			out = append(out, sourcedRule{rule: r, via: []string{name}, builtin: builtin(cr.ObjectMeta)})
		}
	}
	ix.rules[name] = out
	return out
}

func hasRule(in []sourcedRule, r rbacv1.PolicyRule) bool {
	for _, o := range in {
		if equalRule(o.rule, r) {
			return true
		}
	}
	return false
}

func equalRule(a, b rbacv1.PolicyRule) bool {
	eq := func(x, y []string) bool {
		if len(x) != len(y) {
			return false
		}
		for i := range x {
			if x[i] != y[i] {
				return false
			}
		}
		return true
	}
	return eq(a.Verbs, b.Verbs) && eq(a.APIGroups, b.APIGroups) && eq(a.Resources, b.Resources) &&
		eq(a.ResourceNames, b.ResourceNames) && eq(a.NonResourceURLs, b.NonResourceURLs)
}

// riskyRules returns the risky rules of the role a binding refers to,
// computed once per role.
func (ix roleIndex) riskyRules(b *binding) []roleMatch {
	key := b.roleKind + "/" + b.roleName
	if b.roleKind != "ClusterRole" {
		key = b.roleKind + "/" + b.namespace + "/" + b.roleName
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if m, ok := ix.matches[key]; ok {
		return m
	}
	var rules []sourcedRule
	if b.roleKind == "ClusterRole" {
		rules = ix.clusterRules(b.roleName, map[string]bool{})
	} else if r, ok := ix.ns[b.namespace+"/"+b.roleName]; ok {
		for _, x := range r.Rules {
			rules = append(rules, sourcedRule{rule: x, via: []string{b.roleName}})
		}
	}
	var out []roleMatch
	for _, sr := range rules {
		out = append(out, matchRule(sr)...)
	}
	ix.matches[key] = out
	return out
}

// matchRule returns the catalog entries one rule grants.
func matchRule(sr sourcedRule) []roleMatch {
	var out []roleMatch
	everything := isEverything(sr.rule)
	for i := range Capabilities {
		d := &Capabilities[i]
		switch {
		case d.wildcard:
			if isWildcardRule(sr.rule) {
				out = append(out, roleMatch{def: d, grant: -1, rule: sr})
			}
		case everything:
			// Reported once, as the wildcard.
		case len(d.all) > 0:
			for gi, g := range d.all {
				if g.grantedBy(sr.rule) {
					out = append(out, roleMatch{def: d, grant: gi, clusterScoped: g.clusterScoped, rule: sr})
				}
			}
		default:
			// The first grant that matches decides cluster-scopedness;
			// prefer a namespaced one, which a RoleBinding also grants.
			found, cs := false, true
			for _, g := range d.any {
				if g.grantedBy(sr.rule) {
					found = true
					cs = cs && g.clusterScoped
				}
			}
			if found {
				out = append(out, roleMatch{def: d, grant: -1, clusterScoped: cs, rule: sr})
			}
		}
	}
	return out
}

// --- subjects ---

// subjectIndex finds the bindings that apply to a service account: by its
// own subject, its User name and the groups it belongs to.
type subjectIndex map[string][]*binding

func saKey(ns, name string) string { return "sa\x00" + ns + "\x00" + name }
func userKey(name string) string   { return "user\x00" + name }
func groupKey(name string) string  { return "group\x00" + name }

// ServiceAccountUser is the user name a service account authenticates as.
func ServiceAccountUser(ref nhi.Ref) string {
	return "system:serviceaccount:" + ref.Location + ":" + ref.Name
}

// serviceAccountGroups are the groups every service account of ns is in.
func serviceAccountGroups(ns string) []string {
	return []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"}
}

// subjects indexes every binding by the subjects it names.
func (ix bindingIndex) subjects() subjectIndex {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	out := subjectIndex{}
	for _, b := range ix.byKey {
		for _, s := range b.subjects {
			var k string
			switch s.Kind {
			case rbacv1.ServiceAccountKind:
				ns := s.Namespace
				if ns == "" {
					ns = b.namespace // a RoleBinding's subject defaults to its namespace
				}
				k = saKey(ns, s.Name)
			case rbacv1.UserKind:
				k = userKey(s.Name)
			case rbacv1.GroupKind:
				k = groupKey(s.Name)
			default:
				continue
			}
			out[k] = append(out[k], b)
		}
	}
	for k, bs := range out {
		sort.Slice(bs, func(i, j int) bool { return bs[i].key() < bs[j].key() })
		out[k] = bs
	}
	return out
}

// appliedBinding is a binding that applies to a service account and how.
type appliedBinding struct {
	b *binding
	// via is "" for the account itself, else the subject that includes it
	// ("group system:serviceaccounts", "user system:serviceaccount:ns:n").
	via string
	// label names the grant in paths instead of the binding (a planned
	// scope, whose binding does not exist yet).
	label string
}

func (sx subjectIndex) bindingsOf(ref nhi.Ref) []appliedBinding {
	var out []appliedBinding
	seen := map[*binding]bool{}
	add := func(key, via string) {
		for _, b := range sx[key] {
			if !seen[b] {
				seen[b] = true
				out = append(out, appliedBinding{b: b, via: via})
			}
		}
	}
	add(saKey(ref.Location, ref.Name), "")
	user := ServiceAccountUser(ref)
	add(userKey(user), "user "+user)
	for _, g := range serviceAccountGroups(ref.Location) {
		add(groupKey(g), "group "+g)
	}
	return out
}

// --- the resolver ---

// access resolves effective access for the identities of one scan.
type access struct {
	roles roleIndex
	subj  subjectIndex
}

func newAccess(bindings bindingIndex, roles roleIndex) *access {
	return &access{roles: roles, subj: bindings.subjects()}
}

// resolver returns the resolver over the bindings ix and the cluster's
// roles, listed once per command with snapshots (the provider writes no
// roles, so the snapshot never goes stale under its own writes).
func (c *Client) resolver(ctx context.Context, ix bindingIndex) (*access, error) {
	roles, err := cached(ctx, c, "roles", func() (roleIndex, error) { return c.listRoles(ctx) })
	if err != nil {
		return nil, err
	}
	return newAccess(ix, roles), nil
}

// capabilities returns ref's risky capabilities, each with its path.
func (a *access) capabilities(ref nhi.Ref) []nhi.Capability {
	return a.resolve(ref, a.bindingsOf(ref))
}

// resolve returns the risky capabilities the given bindings grant ref.
func (a *access) resolve(ref nhi.Ref, bindings []appliedBinding) []nhi.Capability {
	type partial struct {
		m                roleMatch
		path, scope, fix string
	}
	var out []nhi.Capability
	combined := map[string][][]partial{} // entry ID: per required grant
	for _, ab := range bindings {
		b := ab.b
		cluster := b.kind == kindCRB
		reach := nhi.ReachCluster
		if !cluster {
			reach = nhi.ReachNamespace(b.namespace)
		}
		scope := ""
		if ab.via == "" {
			scope = b.scope(ref.Location)
		}
		for _, m := range a.roles.riskyRules(b) {
			if m.clusterScoped && !cluster {
				continue // a RoleBinding does not grant cluster-scoped resources
			}
			p, f := grantPath(ab, m.rule), fix(ref, b, ab.via, scope, m.rule)
			if m.grant >= 0 {
				if combined[m.def.ID] == nil {
					combined[m.def.ID] = make([][]partial, len(m.def.all))
				}
				combined[m.def.ID][m.grant] = append(combined[m.def.ID][m.grant], partial{m, p, scope, f})
				continue
			}
			out = append(out, nhi.Capability{
				ID: m.def.ID, Title: m.def.Title, Severity: m.def.severity(cluster, b.namespace), Reach: reach,
				Path: p, Scope: scope, Why: m.def.Why, Fix: f,
			})
		}
	}
	for _, id := range nhi.SortedKeys(combined) {
		parts := combined[id]
		var paths, fixes []string
		scope := ""
		for i, p := range parts {
			if len(p) == 0 {
				paths = nil
				break
			}
			paths = append(paths, p[0].path)
			fixes = append(fixes, p[0].fix)
			if i == 0 || p[0].scope == scope {
				scope = p[0].scope
			} else {
				scope = ""
			}
		}
		if paths == nil {
			continue
		}
		def := parts[0][0].m.def
		out = append(out, nhi.Capability{
			ID: def.ID, Title: def.Title, Severity: def.Cluster, Reach: nhi.ReachCluster,
			Path: strings.Join(paths, "; and "), Scope: scope, Why: def.Why,
			Fix: "It takes all of these grants; take one away. " + strings.Join(fixes, "; or: "),
		})
	}
	return nhi.SortCapabilities(out)
}

func (a *access) bindingsOf(ref nhi.Ref) []appliedBinding { return a.subj.bindingsOf(ref) }

// ScopeCapabilities returns the risky capabilities that the scopes, granted
// to service account ref, would give it by themselves, each path starting at
// its scope ("scope \"clusterrole:edit@ns\" -> ClusterRole edit -> ..."),
// for plan-time warnings. The roles are listed once per command; a scope
// whose role does not exist grants nothing.
func (c *Client) ScopeCapabilities(ctx context.Context, ref nhi.Ref, scopes []string) ([]nhi.Capability, error) {
	if len(scopes) == 0 {
		return nil, nil
	}
	roles, err := cached(ctx, c, "roles", func() (roleIndex, error) { return c.listRoles(ctx) })
	if err != nil {
		return nil, err
	}
	var planned []appliedBinding
	for _, s := range scopes {
		sc, err := ParseScope(s, ref.Location)
		if err != nil {
			return nil, err
		}
		b := &binding{kind: kindRB, namespace: sc.Namespace, name: BindingName(ref, sc), roleKind: "Role", roleName: sc.Name}
		if sc.Kind == ScopeClusterRole {
			b.roleKind = "ClusterRole"
			if sc.Namespace == "" {
				b.kind = kindCRB
			}
		}
		planned = append(planned, appliedBinding{b: b, label: fmt.Sprintf("scope %q", sc.Canonical(ref.Location))})
	}
	return (&access{roles: roles}).resolve(ref, planned), nil
}

// grantPath renders binding -> role chain -> rule.
func grantPath(ab appliedBinding, sr sourcedRule) string {
	b := ab.b
	var p strings.Builder
	if ab.label != "" {
		p.WriteString(ab.label)
	} else {
		p.WriteString(b.String())
	}
	if ab.via != "" {
		p.WriteString(" (subject " + ab.via + ")")
	}
	for i, r := range sr.via {
		p.WriteString(" -> ")
		switch {
		case i > 0:
			p.WriteString("aggregated ClusterRole " + r)
		case b.roleKind == "ClusterRole":
			p.WriteString("ClusterRole " + r)
		default:
			p.WriteString("Role " + b.namespace + "/" + r)
		}
	}
	p.WriteString(" -> ")
	p.WriteString(describeRule(sr.rule))
	return p.String()
}

// fix says how to take a capability away along one path.
func fix(ref nhi.Ref, b *binding, via, scope string, sr sourcedRule) string {
	holder := "the role"
	if n := len(sr.via); n > 0 {
		if n > 1 || b.roleKind == "ClusterRole" {
			holder = "ClusterRole " + sr.via[n-1]
		} else {
			holder = "Role " + b.namespace + "/" + sr.via[0]
		}
	}
	edit := fmt.Sprintf("remove the rule %q from %s", strings.TrimPrefix(describeRule(sr.rule), "rule "), holder)
	if sr.builtin {
		edit = fmt.Sprintf("bind a narrower role instead (%s is a Kubernetes default role)", holder)
	}
	switch {
	case via != "":
		return fmt.Sprintf("Remove %s from the subjects of %s (it grants this to every member, not only %s), or %s", via, b, ref, edit)
	case scope != "":
		return fmt.Sprintf("Take scope %q away from %s (drop it from the declaration's scopes, or delete %s if nothing declares it), or %s", scope, ref, b, edit)
	}
	return fmt.Sprintf("Remove %s from the subjects of %s, or %s", ref, b, edit)
}
