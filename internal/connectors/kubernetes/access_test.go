package kubernetes

import (
	"context"
	"fmt"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// world builds the resolver's indexes from RBAC objects, as a scan does
// from its lists.
func world(objs ...any) *access {
	c := &Client{}
	bx, rx := newBindingIndex(), newRoleIndex()
	for _, o := range objs {
		switch o := o.(type) {
		case *rbacv1.ClusterRole:
			rx.cluster[o.Name] = o
		case *rbacv1.Role:
			rx.ns[o.Namespace+"/"+o.Name] = o
		case *rbacv1.ClusterRoleBinding:
			bx.add(c.toBinding(kindCRB, "", o.ObjectMeta, o.RoleRef, o.Subjects))
		case *rbacv1.RoleBinding:
			bx.add(c.toBinding(kindRB, o.Namespace, o.ObjectMeta, o.RoleRef, o.Subjects))
		default:
			panic("unknown object")
		}
	}
	return newAccess(bx, rx)
}

func rule(groups, resources, verbs []string, names ...string) rbacv1.PolicyRule {
	return rbacv1.PolicyRule{APIGroups: groups, Resources: resources, Verbs: verbs, ResourceNames: names}
}

func l(s ...string) []string { return s }

var core = l("")

func clusterRole(name string, rules ...rbacv1.PolicyRule) *rbacv1.ClusterRole {
	return &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rules}
}

func role(ns, name string, rules ...rbacv1.PolicyRule) *rbacv1.Role {
	return &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Rules: rules}
}

func sa(ns, name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: name}
}

func group(name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: name}
}

func crb(name, clusterRole string, subjects ...rbacv1.Subject) *rbacv1.ClusterRoleBinding {
	return &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: clusterRole}, Subjects: subjects}
}

func rb(ns, name, kind, roleName string, subjects ...rbacv1.Subject) *rbacv1.RoleBinding {
	return &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: kind, Name: roleName}, Subjects: subjects}
}

// summary renders capabilities as "id severity reach | path | scope".
func summary(cs []nhi.Capability) string {
	var out []string
	for _, c := range cs {
		out = append(out, c.ID+" "+c.Severity+" "+c.Reach+" | "+c.Path+" | "+c.Scope)
	}
	return strings.Join(out, "\n")
}

func wantCaps(t *testing.T, got []nhi.Capability, want ...string) {
	t.Helper()
	if g, w := summary(got), strings.Join(want, "\n"); g != w {
		t.Errorf("capabilities differ.\ngot:\n%s\nwant:\n%s", g, w)
	}
}

var (
	app   = nhi.Ref{Location: "app", Name: "worker"}
	other = nhi.Ref{Location: "other", Name: "worker"}
)

func TestCapabilitiesDirectAndReach(t *testing.T) {
	a := world(
		clusterRole("secret-reader", rule(core, l("secrets"), l("get", "list"))),
		crb("everywhere", "secret-reader", sa("app", "worker")),
		rb("app", "here", "ClusterRole", "secret-reader", sa("app", "worker")),
		role("app", "exec", rule(core, l("pods/exec"), l("create"))),
		rb("app", "exec", "Role", "exec", sa("app", "worker")),
		// A RoleBinding subject without a namespace is in the binding's.
		rb("app", "implicit", "Role", "exec", rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Name: "worker"}),
	)
	got := a.capabilities(app)
	wantCaps(t, got,
		"pods-exec high namespace app | RoleBinding app/exec -> Role app/exec -> rule create on pods/exec | role:exec",
		"pods-exec high namespace app | RoleBinding app/implicit -> Role app/exec -> rule create on pods/exec | role:exec",
		"secrets-read critical cluster | ClusterRoleBinding everywhere -> ClusterRole secret-reader -> rule get, list on secrets | clusterrole:secret-reader",
		"secrets-read high namespace app | RoleBinding app/here -> ClusterRole secret-reader -> rule get, list on secrets | clusterrole:secret-reader@app",
	)
	if got[2].Why == "" || !strings.Contains(got[2].Fix, `Take scope "clusterrole:secret-reader" away from app/worker`) ||
		!strings.Contains(got[2].Fix, `remove the rule "get, list on secrets" from ClusterRole secret-reader`) {
		t.Errorf("why/fix: %+v", got[2])
	}
	wantCaps(t, a.capabilities(other))
}

func TestCapabilitiesThroughGroupsAndUser(t *testing.T) {
	a := world(
		clusterRole("tokens", rule(core, l("serviceaccounts/token"), l("create"))),
		clusterRole("impersonator", rule(core, l("serviceaccounts"), l("impersonate"))),
		clusterRole("pv", rule(core, l("persistentvolumes"), l("create"))),
		clusterRole("hooks", rule(l("admissionregistration.k8s.io"), l("mutatingwebhookconfigurations"), l("patch"))),
		crb("all-sas", "tokens", group("system:serviceaccounts")),
		crb("app-sas", "impersonator", group("system:serviceaccounts:app")),
		crb("everyone", "pv", group("system:authenticated")),
		crb("as-user", "hooks", rbacv1.Subject{Kind: rbacv1.UserKind, Name: "system:serviceaccount:app:worker"}),
		// Groups that do not include service accounts.
		crb("people", "tokens", group("system:unauthenticated"), group("developers"), group("system:serviceaccounts:app:worker")),
	)
	wantCaps(t, a.capabilities(app),
		"impersonate critical cluster | ClusterRoleBinding app-sas (subject group system:serviceaccounts:app) -> ClusterRole impersonator -> rule impersonate on serviceaccounts | ",
		"persistentvolumes-create high cluster | ClusterRoleBinding everyone (subject group system:authenticated) -> ClusterRole pv -> rule create on persistentvolumes | ",
		"serviceaccount-token-create critical cluster | ClusterRoleBinding all-sas (subject group system:serviceaccounts) -> ClusterRole tokens -> rule create on serviceaccounts/token | ",
		"webhook-configurations-write critical cluster | ClusterRoleBinding as-user (subject user system:serviceaccount:app:worker) -> ClusterRole hooks -> rule patch on mutatingwebhookconfigurations.admissionregistration.k8s.io | ",
	)
	// Another namespace's account is in system:serviceaccounts and
	// system:authenticated, not in system:serviceaccounts:app.
	wantCaps(t, a.capabilities(other),
		"persistentvolumes-create high cluster | ClusterRoleBinding everyone (subject group system:authenticated) -> ClusterRole pv -> rule create on persistentvolumes | ",
		"serviceaccount-token-create critical cluster | ClusterRoleBinding all-sas (subject group system:serviceaccounts) -> ClusterRole tokens -> rule create on serviceaccounts/token | ",
	)
	c := a.capabilities(app)[0]
	if !strings.Contains(c.Fix, "Remove group system:serviceaccounts:app from the subjects of ClusterRoleBinding app-sas (it grants this to every member, not only app/worker)") {
		t.Errorf("fix: %s", c.Fix)
	}
}

func TestCapabilitiesAggregatedClusterRoles(t *testing.T) {
	agg := func(name string, rules ...rbacv1.PolicyRule) *rbacv1.ClusterRole {
		r := clusterRole(name, rules...)
		r.AggregationRule = &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{"example.com/aggregate-to-ops": "true"}}}}
		return r
	}
	part := func(name string, rules ...rbacv1.PolicyRule) *rbacv1.ClusterRole {
		r := clusterRole(name, rules...)
		r.Labels = map[string]string{"example.com/aggregate-to-ops": "true"}
		return r
	}
	exec := rule(core, l("pods/exec"), l("create"))
	cms := rule(core, l("configmaps"), l("get"))
	// Before the controller filled the aggregate in, and after (its rules
	// are copies of the parts'): the same, attributed to the part.
	for name, ops := range map[string]*rbacv1.ClusterRole{"unfilled": agg("ops"), "filled": agg("ops", exec, cms)} {
		t.Run(name, func(t *testing.T) {
			a := world(ops, part("ops-exec", exec), part("ops-config", cms), clusterRole("unlabelled", rule(core, l("secrets"), l("get"))),
				rb("app", "ops", "ClusterRole", "ops", sa("app", "worker")))
			got := a.capabilities(app)
			wantCaps(t, got, "pods-exec high namespace app | RoleBinding app/ops -> ClusterRole ops -> aggregated ClusterRole ops-exec -> rule create on pods/exec | clusterrole:ops@app")
			if len(got) == 1 && !strings.Contains(got[0].Fix, `from ClusterRole ops-exec`) {
				t.Errorf("the fix must name the part, which holds the rule: %s", got[0].Fix)
			}
		})
	}
	// An aggregate of an aggregate; a rule only in the aggregate itself
	// (stale, or added by hand) is its own; cycles end.
	mid := agg("mid")
	mid.Labels = map[string]string{"example.com/aggregate-to-top": "true"}
	top := clusterRole("top", rule(core, l("nodes/proxy"), l("get")))
	top.AggregationRule = &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{"example.com/aggregate-to-top": "true"}}}}
	loop := agg("loop") // in mid, and mid in it: a cycle
	loop.Labels = map[string]string{"example.com/aggregate-to-ops": "true"}
	mid.Labels["example.com/aggregate-to-ops"] = "true"
	a := world(top, mid, loop, part("leaf", rule(l("rbac.authorization.k8s.io"), l("clusterroles"), l("bind"))), crb("top", "top", sa("app", "worker")))
	wantCaps(t, a.capabilities(app),
		"nodes-proxy critical cluster | ClusterRoleBinding top -> ClusterRole top -> rule get on nodes/proxy | clusterrole:top",
		"roles-bind critical cluster | ClusterRoleBinding top -> ClusterRole top -> aggregated ClusterRole mid -> aggregated ClusterRole leaf -> rule bind on clusterroles.rbac.authorization.k8s.io | clusterrole:top",
	)
}

func TestCapabilitiesResourceNamesNarrow(t *testing.T) {
	a := world(
		clusterRole("named",
			rule(core, l("secrets"), l("get", "list", "watch"), "app-config"),
			rule(core, l("pods"), l("create"), "one-pod"),
			rule(core, l("pods/exec"), l("create"), "debug-pod"),
			rule(core, l("serviceaccounts/token"), l("create"), "self"),
		),
		clusterRole("named-but-risky",
			rule(core, l("groups"), l("impersonate"), "system:masters"),
			rule(l("rbac.authorization.k8s.io"), l("clusterroles"), l("bind"), "cluster-admin"),
		),
		crb("named", "named", sa("app", "worker")),
		crb("risky", "named-but-risky", sa("other", "worker")),
	)
	wantCaps(t, a.capabilities(app))
	wantCaps(t, a.capabilities(other),
		"impersonate critical cluster | ClusterRoleBinding risky -> ClusterRole named-but-risky -> rule impersonate on groups named system:masters | clusterrole:named-but-risky",
		"roles-bind critical cluster | ClusterRoleBinding risky -> ClusterRole named-but-risky -> rule bind on clusterroles.rbac.authorization.k8s.io named cluster-admin | clusterrole:named-but-risky",
	)
}

func TestCapabilitiesWildcards(t *testing.T) {
	a := world(
		role("app", "everything", rule(l("*"), l("*"), l("*"))),
		role("app", "read-core", rule(core, l("*"), l("get"))),
		role("app", "all-verbs-configmaps", rule(core, l("configmaps"), l("*"))),
		role("app", "sub-wild", rule(core, l("*/exec"), l("create"))),
		role("app", "not-sub-wild", rule(core, l("pods/*"), l("create"))),
		rb("app", "a", "Role", "everything", sa("app", "worker")),
		rb("app", "b", "Role", "read-core", sa("app", "worker")),
		rb("app", "c", "Role", "all-verbs-configmaps", sa("app", "worker")),
		rb("app", "d", "Role", "sub-wild", sa("app", "worker")),
		rb("app", "e", "Role", "not-sub-wild", sa("app", "worker")),
	)
	// "*" in resources includes subresources: get on pods/exec, attach and
	// portforward (websocket upgrades) too.
	wantCaps(t, a.capabilities(app),
		"pods-attach high namespace app | RoleBinding app/b -> Role app/read-core -> rule get on * | role:read-core",
		"pods-exec high namespace app | RoleBinding app/b -> Role app/read-core -> rule get on * | role:read-core",
		"pods-exec high namespace app | RoleBinding app/d -> Role app/sub-wild -> rule create on */exec | role:sub-wild",
		"pods-portforward medium namespace app | RoleBinding app/b -> Role app/read-core -> rule get on * | role:read-core",
		"secrets-read high namespace app | RoleBinding app/b -> Role app/read-core -> rule get on * | role:read-core",
		"wildcard medium namespace app | RoleBinding app/a -> Role app/everything -> rule * on *.* | role:everything",
		"wildcard medium namespace app | RoleBinding app/b -> Role app/read-core -> rule get on * | role:read-core",
		"wildcard medium namespace app | RoleBinding app/c -> Role app/all-verbs-configmaps -> rule * on configmaps | role:all-verbs-configmaps",
	)
}

func TestCapabilitiesClusterScopedNeedClusterRoleBinding(t *testing.T) {
	a := world(
		clusterRole("node-admin",
			rule(core, l("nodes/proxy"), l("get")),
			rule(core, l("persistentvolumes"), l("create")),
			rule(core, l("users"), l("impersonate")),
			rule(l("rbac.authorization.k8s.io"), l("clusterrolebindings"), l("create")),
			rule(l("rbac.authorization.k8s.io"), l("clusterroles"), l("escalate")),
			rule(l("admissionregistration.k8s.io"), l("validatingwebhookconfigurations"), l("create")),
		),
		rb("app", "ns-only", "ClusterRole", "node-admin", sa("app", "worker")),
		crb("cluster", "node-admin", sa("other", "worker")),
	)
	wantCaps(t, a.capabilities(app))
	var ids []string
	for _, c := range a.capabilities(other) {
		ids = append(ids, c.ID+" "+c.Severity)
	}
	if got := strings.Join(ids, ","); got != "impersonate critical,nodes-proxy critical,persistentvolumes-create high,rolebindings-write high,roles-escalate critical,webhook-configurations-write critical" {
		t.Errorf("through a ClusterRoleBinding: %s", got)
	}
}

func TestCapabilitiesCSRApprovalNeedsBoth(t *testing.T) {
	approval := clusterRole("csr-approval", rule(l("certificates.k8s.io"), l("certificatesigningrequests/approval"), l("update")))
	signer := clusterRole("signer", rule(l("certificates.k8s.io"), l("signers"), l("approve"), "kubernetes.io/kube-apiserver-client"))
	only := world(approval, signer, crb("approval", "csr-approval", sa("app", "worker")), rb("app", "signer", "ClusterRole", "signer", sa("app", "worker")))
	wantCaps(t, only.capabilities(app))
	both := world(approval, signer, crb("approval", "csr-approval", sa("app", "worker")), crb("signer", "signer", sa("app", "worker")))
	got := both.capabilities(app)
	wantCaps(t, got, "csr-approve critical cluster | ClusterRoleBinding approval -> ClusterRole csr-approval -> rule update on certificatesigningrequests.certificates.k8s.io/approval; and ClusterRoleBinding signer -> ClusterRole signer -> rule approve on signers.certificates.k8s.io named kubernetes.io/kube-apiserver-client | ")
	if len(got) == 1 && !strings.HasPrefix(got[0].Fix, "It takes all of these grants; take one away.") {
		t.Errorf("fix: %s", got[0].Fix)
	}
}

func TestCapabilitiesHarmlessLookAlikes(t *testing.T) {
	// The built-in view role (its aggregated rules, abridged), reading
	// ConfigMaps, listing Pods, reading logs, the bootstrap roles every
	// authenticated identity holds: nothing.
	view := clusterRole("view",
		rule(core, l("configmaps", "endpoints", "persistentvolumeclaims", "pods", "replicationcontrollers", "services", "serviceaccounts", "pods/log", "pods/status"), l("get", "list", "watch")),
		rule(l("apps"), l("deployments", "daemonsets", "statefulsets", "replicasets"), l("get", "list", "watch")),
		rule(l("batch"), l("jobs", "cronjobs"), l("get", "list", "watch")),
	)
	view.Labels = map[string]string{bootstrapLabel: "rbac-defaults"}
	a := world(view,
		clusterRole("system:basic-user", rule(l("authorization.k8s.io"), l("selfsubjectaccessreviews", "selfsubjectrulesreviews"), l("create"))),
		clusterRole("system:discovery", rbacv1.PolicyRule{NonResourceURLs: l("/api", "/api/*", "/version"), Verbs: l("get")}),
		role("app", "config-reader", rule(core, l("configmaps"), l("get", "list", "watch"))),
		role("app", "pod-lister", rule(core, l("pods"), l("list")), rule(core, l("pods/log"), l("get")), rule(core, l("events"), l("create", "patch"))),
		role("app", "scaler", rule(l("apps"), l("deployments/scale"), l("update", "patch"))),
		rb("app", "view", "ClusterRole", "view", sa("app", "worker")),
		rb("app", "config", "Role", "config-reader", sa("app", "worker")),
		rb("app", "pods", "Role", "pod-lister", sa("app", "worker")),
		rb("app", "scale", "Role", "scaler", sa("app", "worker")),
		crb("system:basic-user", "system:basic-user", group("system:authenticated")),
		crb("system:discovery", "system:discovery", group("system:authenticated")),
		crb("missing-role", "does-not-exist", sa("app", "worker")),
	)
	wantCaps(t, a.capabilities(app))
}

func TestCapabilitiesKubeSystemCountsAsCluster(t *testing.T) {
	a := world(clusterRole("secret-reader", rule(core, l("secrets"), l("list"))),
		rb("kube-system", "leak", "ClusterRole", "secret-reader", sa("app", "worker")))
	wantCaps(t, a.capabilities(app), "secrets-read critical namespace kube-system | RoleBinding kube-system/leak -> ClusterRole secret-reader -> rule list on secrets | clusterrole:secret-reader@kube-system")
}

func TestCapabilitiesBuiltinRoleFix(t *testing.T) {
	edit := clusterRole("edit", rule(core, l("secrets"), l("get")))
	edit.Labels = map[string]string{bootstrapLabel: "rbac-defaults"}
	got := world(edit, rb("app", "edit", "ClusterRole", "edit", sa("app", "worker"))).capabilities(app)
	if len(got) != 1 || !strings.Contains(got[0].Fix, "bind a narrower role instead (ClusterRole edit is a Kubernetes default role)") {
		t.Errorf("a default role is not to be edited: %+v", got)
	}
}

// Every entry of the catalog is reached by a minimal rule and nothing
// else is reported for it.
func TestCapabilityCatalogEntries(t *testing.T) {
	rbac := l("rbac.authorization.k8s.io")
	cases := map[string][]rbacv1.PolicyRule{
		CapSecretsRead:          {rule(core, l("secrets"), l("watch"))},
		CapWorkloadsCreate:      {rule(l("batch"), l("cronjobs"), l("create"))},
		CapPodsExec:             {rule(core, l("pods/exec"), l("get"))},
		CapPodsAttach:           {rule(core, l("pods/attach"), l("create"))},
		CapPodsPortForward:      {rule(core, l("pods/portforward"), l("create"))},
		CapEphemeralContainers:  {rule(core, l("pods/ephemeralcontainers"), l("patch"))},
		CapImpersonate:          {rule(core, l("users"), l("impersonate"))},
		CapRolesBind:            {rule(rbac, l("roles"), l("bind"))},
		CapRolesEscalate:        {rule(rbac, l("roles"), l("escalate"))},
		CapBindingsWrite:        {rule(rbac, l("rolebindings"), l("patch"))},
		CapServiceAccountTokens: {rule(core, l("serviceaccounts/token"), l("create"))},
		CapNodesProxy:           {rule(core, l("nodes/proxy"), l("create"))},
		CapCSRApprove:           {rule(l("certificates.k8s.io"), l("certificatesigningrequests/approval"), l("patch")), rule(l("certificates.k8s.io"), l("signers"), l("approve"))},
		CapWebhooksWrite:        {rule(l("admissionregistration.k8s.io"), l("validatingwebhookconfigurations"), l("update"))},
		CapPersistentVolumes:    {rule(core, l("persistentvolumes"), l("create"))},
		CapWildcard:             {rule(l("apps"), l("deployments"), l("*"))},
	}
	for _, d := range Capabilities {
		rules, ok := cases[d.ID]
		if !ok {
			t.Errorf("no case for %s", d.ID)
			continue
		}
		if d.Title == "" || d.Why == "" || nhi.SeverityRank(d.Cluster) < nhi.SeverityRank(d.Namespace) || nhi.SeverityRank(d.Namespace) == 0 {
			t.Errorf("%s: title, why, or severities (cluster %s, namespace %s)", d.ID, d.Cluster, d.Namespace)
		}
		got := nhi.CapabilityIDs(world(clusterRole("r", rules...), crb("b", "r", sa("app", "worker"))).capabilities(app))
		want := d.ID
		if d.ID == CapWildcard {
			want = CapWildcard + "," + CapWorkloadsCreate // "*" verbs on deployments include create
		}
		if strings.Join(got, ",") != want {
			t.Errorf("%s: got %v", d.ID, got)
		}
	}
}

// BenchmarkCapabilities10000 resolves 10,000 service accounts as the drift
// benchmark seeds them (100 namespaces, a RoleBinding to view each, every
// tenth also to edit), with the default roles' shape (view, edit and admin
// aggregated from parts) and the bootstrap group bindings: the in-memory
// cost the scan adds (the roles are listed once, as before).
func BenchmarkCapabilities10000(b *testing.B) {
	aggregate := func(name, label string, rules ...rbacv1.PolicyRule) *rbacv1.ClusterRole {
		r := clusterRole(name, rules...)
		r.AggregationRule = &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{label: "true"}}}}
		return r
	}
	part := func(name, label string, rules ...rbacv1.PolicyRule) *rbacv1.ClusterRole {
		r := clusterRole(name, rules...)
		r.Labels = map[string]string{label: "true", bootstrapLabel: "rbac-defaults"}
		return r
	}
	objs := []any{
		aggregate("view", "aggregate-to-view"), aggregate("edit", "aggregate-to-edit"), aggregate("admin", "aggregate-to-admin"),
		part("system:aggregate-to-view", "aggregate-to-view", rule(core, l("configmaps", "endpoints", "pods", "pods/log", "services"), l("get", "list", "watch")), rule(l("apps"), l("deployments", "statefulsets"), l("get", "list", "watch"))),
		part("system:aggregate-to-edit", "aggregate-to-edit", rule(core, l("pods/exec", "pods/attach"), l("create", "get")), rule(core, l("secrets"), l("get", "list", "watch")), rule(l("apps"), l("deployments"), l("create", "update", "patch"))),
		part("system:aggregate-to-admin", "aggregate-to-admin", rule(l(rbacv1.GroupName), l("roles", "rolebindings"), l("create", "update", "patch"))),
		clusterRole("system:basic-user", rule(l("authorization.k8s.io"), l("selfsubjectaccessreviews"), l("create"))),
		crb("system:basic-user", "system:basic-user", group("system:authenticated")),
		crb("system:discovery", "system:basic-user", group("system:authenticated")),
	}
	for _, r := range objs[:3] {
		r.(*rbacv1.ClusterRole).Labels = map[string]string{"aggregate-to-admin": "true"}
	}
	var refs []nhi.Ref
	for i := 0; i < 10000; i++ {
		ns, name := fmt.Sprintf("drift-%d", i/100), fmt.Sprintf("sa-%d", i)
		refs = append(refs, nhi.Ref{Location: ns, Name: name})
		objs = append(objs, rb(ns, name+"-view", "ClusterRole", "view", sa(ns, name)))
		if i%10 == 0 {
			objs = append(objs, rb(ns, name+"-edit", "ClusterRole", "edit", sa(ns, name)))
		}
	}
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		a := world(objs...)
		found := 0
		for _, r := range refs {
			found += len(a.capabilities(r))
		}
		if found == 0 {
			b.Fatal("nothing found")
		}
	}
}

// ScopeCapabilities (plan-time warnings) resolves declared scopes before
// their bindings exist: a ClusterRole scope cluster-wide, "@namespace" and
// Role scopes in their namespace, harmless and missing roles nothing; the
// path starts at the scope.
func TestScopeCapabilities(t *testing.T) {
	edit := clusterRole("deployer", rule(l("apps"), l("deployments"), l("create")), rule(core, l("nodes/proxy"), l("get")))
	c := NewFromClientset(fake.NewSimpleClientset(edit, clusterRole("reader", rule(core, l("configmaps"), l("get"))),
		role("app", "secrets", rule(core, l("secrets"), l("list")))), DefaultPrefix)
	c.EnableSnapshots()
	got, err := c.ScopeCapabilities(context.Background(), app, []string{"clusterrole:deployer", "clusterrole:deployer@other", "role:secrets", "clusterrole:reader", "role:missing"})
	if err != nil {
		t.Fatal(err)
	}
	wantCaps(t, got,
		`nodes-proxy critical cluster | scope "clusterrole:deployer" -> ClusterRole deployer -> rule get on nodes/proxy | clusterrole:deployer`,
		`secrets-read high namespace app | scope "role:secrets" -> Role app/secrets -> rule list on secrets | role:secrets`,
		`workloads-create critical cluster | scope "clusterrole:deployer" -> ClusterRole deployer -> rule create on deployments.apps | clusterrole:deployer`,
		`workloads-create high namespace other | scope "clusterrole:deployer@other" -> ClusterRole deployer -> rule create on deployments.apps | clusterrole:deployer@other`,
	)
	if _, err := c.ScopeCapabilities(context.Background(), app, []string{"group:x"}); err == nil {
		t.Error("a scope that does not parse is an error")
	}
}
