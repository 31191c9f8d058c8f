package kubernetes_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
	k8s "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/kubernetes"
	"github.com/nhi-ops/terraform-provider-nhi/internal/driftcmd"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/provider"
)

// TestIntegrationCapabilityScenario seeds, in two fresh namespaces of the
// shared cluster, one declared service account per risky capability, the
// resolver's special paths (an aggregated ClusterRole, a group subject, a
// User subject) and harmless look-alikes, runs the drift command over the
// two namespaces and asserts its findings exactly: one NHI008 per account
// and capability, with the path, and nothing for the look-alikes.
//
// Every grant names only this test's accounts or the group of this test's
// namespace, so no other identity of the cluster gains a capability (other
// scenarios on the cluster assert their findings exactly too).
func TestIntegrationCapabilityScenario(t *testing.T) {
	c := acctest.Client(t)
	cs := c.Clientset()
	ctx := context.Background()
	ns, nsG := acctest.Namespace(t), acctest.Namespace(t)
	p := acctest.RandName("h14") // prefix of this test's ClusterRoles
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	rule := func(groups, resources, verbs []string, names ...string) rbacv1.PolicyRule {
		return rbacv1.PolicyRule{APIGroups: groups, Resources: resources, Verbs: verbs, ResourceNames: names}
	}
	l := func(s ...string) []string { return s }
	core := l("")
	var crbs []string
	t.Cleanup(func() {
		for _, n := range crbs {
			_ = cs.RbacV1().ClusterRoleBindings().Delete(context.Background(), n, metav1.DeleteOptions{})
		}
	})
	clusterRole := func(name string, labels map[string]string, agg *rbacv1.AggregationRule, rules ...rbacv1.PolicyRule) string {
		t.Helper()
		_, err := cs.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: p + "-" + name, Labels: labels}, AggregationRule: agg, Rules: rules}, metav1.CreateOptions{})
		must(err)
		t.Cleanup(func() {
			_ = cs.RbacV1().ClusterRoles().Delete(context.Background(), p+"-"+name, metav1.DeleteOptions{})
		})
		return p + "-" + name
	}
	role := func(name string, rules ...rbacv1.PolicyRule) {
		t.Helper()
		_, err := cs.RbacV1().Roles(ns).Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rules}, metav1.CreateOptions{})
		must(err)
	}
	declare := func(namespace, name string, scopes ...string) {
		t.Helper()
		ref := nhi.Ref{Location: namespace, Name: name}
		_, err := c.Create(ctx, k8s.ServiceAccountSpec{Spec: nhi.Spec{Ref: ref,
			Governance: nhi.Governance{Owner: "team:platform", Purpose: "capability scenario", Scopes: scopes, ExpiresAt: time.Now().Add(100 * 24 * time.Hour)}}})
		must(err)
		for _, s := range scopes {
			if sc, err := k8s.ParseScope(s, namespace); err == nil && sc.Kind == k8s.ScopeClusterRole && sc.Namespace == "" {
				crbs = append(crbs, k8s.BindingName(ref, sc))
			}
		}
	}

	secrets := clusterRole("secrets", nil, nil, rule(core, l("secrets"), l("get", "list")))
	exec := clusterRole("exec", nil, nil, rule(core, l("pods/exec"), l("create", "get")))
	attach := clusterRole("attach", nil, nil, rule(core, l("pods/attach"), l("create")))
	forward := clusterRole("portforward", nil, nil, rule(core, l("pods/portforward"), l("create")))
	ephemeral := clusterRole("ephemeral", nil, nil, rule(core, l("pods/ephemeralcontainers"), l("patch")))
	impersonate := clusterRole("impersonate", nil, nil, rule(core, l("users", "groups"), l("impersonate")))
	bind := clusterRole("bind", nil, nil, rule(l(rbacv1.GroupName), l("clusterroles"), l("bind")))
	tokens := clusterRole("tokens", nil, nil, rule(core, l("serviceaccounts/token"), l("create")))
	nodes := clusterRole("nodes", nil, nil, rule(core, l("nodes/proxy"), l("get")))
	csr := clusterRole("csr", nil, nil,
		rule(l("certificates.k8s.io"), l("certificatesigningrequests/approval"), l("update")),
		rule(l("certificates.k8s.io"), l("signers"), l("approve"), "kubernetes.io/kube-apiserver-client"))
	hooks := clusterRole("webhooks", nil, nil, rule(l("admissionregistration.k8s.io"), l("validatingwebhookconfigurations", "mutatingwebhookconfigurations"), l("create", "update")))
	pv := clusterRole("pv", nil, nil, rule(core, l("persistentvolumes"), l("create")))
	label := p + ".example.com/aggregate"
	agg := clusterRole("agg", nil, &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{label: "true"}}}})
	part := clusterRole("agg-secrets", map[string]string{label: "true"}, nil, rule(core, l("secrets"), l("watch")))
	clusterRole("agg-config", map[string]string{label: "true"}, nil, rule(core, l("configmaps"), l("get")))
	role("workloads", rule(l("apps"), l("deployments"), l("create", "patch")), rule(l("batch"), l("jobs"), l("create")))
	role("escalate", rule(l(rbacv1.GroupName), l("roles"), l("escalate", "update")))
	role("bindings", rule(l(rbacv1.GroupName), l("rolebindings"), l("create")))
	role("wild", rule(core, l("configmaps"), l("*")))
	// Look-alikes.
	role("config-reader", rule(core, l("configmaps"), l("get", "list", "watch")))
	role("pod-lister", rule(core, l("pods"), l("list")), rule(core, l("pods/log"), l("get")))
	role("named-secret", rule(core, l("secrets"), l("get"), "app-config"))
	role("scaler", rule(l("apps"), l("deployments/scale"), l("update", "patch")))

	// One account per capability.
	declare(ns, "secrets-cluster", "clusterrole:"+secrets)
	declare(ns, "secrets-ns", "clusterrole:"+secrets+"@"+ns)
	declare(ns, "workloads", "role:workloads")
	declare(ns, "exec", "clusterrole:"+exec+"@"+ns)
	declare(ns, "attach", "clusterrole:"+attach+"@"+ns)
	declare(ns, "portforward", "clusterrole:"+forward+"@"+ns)
	declare(ns, "ephemeral", "clusterrole:"+ephemeral+"@"+ns)
	declare(ns, "impersonate", "clusterrole:"+impersonate)
	declare(ns, "bind", "clusterrole:"+bind+"@"+ns)
	declare(ns, "escalate", "role:escalate")
	declare(ns, "bindings", "role:bindings")
	declare(ns, "tokens", "clusterrole:"+tokens+"@"+ns)
	declare(ns, "nodes", "clusterrole:"+nodes)
	declare(ns, "csr", "clusterrole:"+csr)
	declare(ns, "webhooks", "clusterrole:"+hooks)
	declare(ns, "pv", "clusterrole:"+pv)
	declare(ns, "wild", "role:wild")
	// The resolver's paths: an aggregated ClusterRole, a User subject, and
	// the group of every service account of nsG (its default account too).
	declare(ns, "aggregated", "clusterrole:"+agg+"@"+ns)
	declare(ns, "as-user")
	_, err := cs.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "as-user"},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: tokens},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "system:serviceaccount:" + ns + ":as-user"}}}, metav1.CreateOptions{})
	must(err)
	declare(nsG, "member")
	_, err = cs.RbacV1().RoleBindings(nsG).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "all-accounts"},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: exec},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: "system:serviceaccounts:" + nsG}}}, metav1.CreateOptions{})
	must(err)
	// Harmless look-alikes: nothing.
	declare(ns, "config-reader", "role:config-reader")
	declare(ns, "pod-lister", "role:pod-lister")
	declare(ns, "viewer", "clusterrole:view@"+ns)
	declare(ns, "named-secret", "role:named-secret")
	declare(ns, "scaler", "role:scaler")
	declare(ns, "nodes-in-namespace", "clusterrole:"+nodes+"@"+ns) // nodes are not namespaced: a RoleBinding grants nothing

	dir := t.TempDir()
	conf := filepath.Join(dir, "nhi-drift.hcl")
	must(os.WriteFile(conf, []byte(fmt.Sprintf("source \"kubernetes\" \"access\" {\n  kubeconfig = %q\n  namespaces = [%q, %q]\n}\n", acctest.Kubeconfig(t), ns, nsG)), 0o600))
	var out, errb bytes.Buffer
	code := driftcmd.Main(ctx, []string{"--config", conf, "--format", "json", "--fail-on", "none"}, driftcmd.IO{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb}, "test", provider.Registry())
	if code != driftcmd.ExitClean {
		t.Fatalf("exit %d\nstderr: %s", code, errb.String())
	}
	var rep struct {
		Complete bool
		Findings []struct {
			RuleID      string `json:"rule_id"`
			Severity    string
			Message     string
			Remediation string
			Identity    struct{ ID string }
		}
	}
	must(json.Unmarshal(out.Bytes(), &rep))

	msg := func(who, id, reach, path string) string {
		d, ok := k8s.CapabilityByID(id)
		if !ok {
			t.Fatalf("no capability %s", id)
		}
		return fmt.Sprintf("service account %s can %s %s (%s): %s", who, d.Title, reach, path, d.Why)
	}
	cl, in := "cluster-wide", "in namespace "+ns
	crbOf := func(name string, scope k8s.Scope) string {
		return "ClusterRoleBinding " + k8s.BindingName(nhi.Ref{Location: ns, Name: name}, scope)
	}
	rbOf := func(name string, scope k8s.Scope) string {
		return "RoleBinding " + ns + "/" + k8s.BindingName(nhi.Ref{Location: ns, Name: name}, scope)
	}
	cr := func(n string) k8s.Scope { return k8s.Scope{Kind: k8s.ScopeClusterRole, Name: n} }
	crIn := func(n string) k8s.Scope { return k8s.Scope{Kind: k8s.ScopeClusterRole, Name: n, Namespace: ns} }
	ro := func(n string) k8s.Scope { return k8s.Scope{Kind: k8s.ScopeRole, Name: n, Namespace: ns} }
	type f struct{ sev, who, text string }
	want := []f{
		{"critical", "secrets-cluster", msg(ns+"/secrets-cluster", k8s.CapSecretsRead, cl, crbOf("secrets-cluster", cr(secrets))+" -> ClusterRole "+secrets+" -> rule get, list on secrets")},
		{"critical", "impersonate", msg(ns+"/impersonate", k8s.CapImpersonate, cl, crbOf("impersonate", cr(impersonate))+" -> ClusterRole "+impersonate+" -> rule impersonate on users, groups")},
		{"critical", "nodes", msg(ns+"/nodes", k8s.CapNodesProxy, cl, crbOf("nodes", cr(nodes))+" -> ClusterRole "+nodes+" -> rule get on nodes/proxy")},
		{"critical", "csr", msg(ns+"/csr", k8s.CapCSRApprove, cl, crbOf("csr", cr(csr))+" -> ClusterRole "+csr+" -> rule update on certificatesigningrequests.certificates.k8s.io/approval; and "+
			crbOf("csr", cr(csr))+" -> ClusterRole "+csr+" -> rule approve on signers.certificates.k8s.io named kubernetes.io/kube-apiserver-client")},
		{"critical", "webhooks", msg(ns+"/webhooks", k8s.CapWebhooksWrite, cl, crbOf("webhooks", cr(hooks))+" -> ClusterRole "+hooks+" -> rule create, update on validatingwebhookconfigurations.admissionregistration.k8s.io, mutatingwebhookconfigurations.admissionregistration.k8s.io")},
		{"high", "secrets-ns", msg(ns+"/secrets-ns", k8s.CapSecretsRead, in, rbOf("secrets-ns", crIn(secrets))+" -> ClusterRole "+secrets+" -> rule get, list on secrets")},
		// The workloads Role has two risky rules: both paths are named.
		{"high", "workloads", msg(ns+"/workloads", k8s.CapWorkloadsCreate, in, rbOf("workloads", ro("workloads"))+" -> Role "+ns+"/workloads -> rule create on jobs.batch) and "+in+" ("+
			rbOf("workloads", ro("workloads"))+" -> Role "+ns+"/workloads -> rule create, patch on deployments.apps")},
		{"high", "exec", msg(ns+"/exec", k8s.CapPodsExec, in, rbOf("exec", crIn(exec))+" -> ClusterRole "+exec+" -> rule create, get on pods/exec")},
		{"high", "attach", msg(ns+"/attach", k8s.CapPodsAttach, in, rbOf("attach", crIn(attach))+" -> ClusterRole "+attach+" -> rule create on pods/attach")},
		{"medium", "portforward", msg(ns+"/portforward", k8s.CapPodsPortForward, in, rbOf("portforward", crIn(forward))+" -> ClusterRole "+forward+" -> rule create on pods/portforward")},
		{"high", "ephemeral", msg(ns+"/ephemeral", k8s.CapEphemeralContainers, in, rbOf("ephemeral", crIn(ephemeral))+" -> ClusterRole "+ephemeral+" -> rule patch on pods/ephemeralcontainers")},
		{"high", "bind", msg(ns+"/bind", k8s.CapRolesBind, in, rbOf("bind", crIn(bind))+" -> ClusterRole "+bind+" -> rule bind on clusterroles.rbac.authorization.k8s.io")},
		{"high", "escalate", msg(ns+"/escalate", k8s.CapRolesEscalate, in, rbOf("escalate", ro("escalate"))+" -> Role "+ns+"/escalate -> rule escalate, update on roles.rbac.authorization.k8s.io")},
		{"medium", "bindings", msg(ns+"/bindings", k8s.CapBindingsWrite, in, rbOf("bindings", ro("bindings"))+" -> Role "+ns+"/bindings -> rule create on rolebindings.rbac.authorization.k8s.io")},
		{"high", "tokens", msg(ns+"/tokens", k8s.CapServiceAccountTokens, in, rbOf("tokens", crIn(tokens))+" -> ClusterRole "+tokens+" -> rule create on serviceaccounts/token")},
		{"high", "pv", msg(ns+"/pv", k8s.CapPersistentVolumes, cl, crbOf("pv", cr(pv))+" -> ClusterRole "+pv+" -> rule create on persistentvolumes")},
		{"medium", "wild", msg(ns+"/wild", k8s.CapWildcard, in, rbOf("wild", ro("wild"))+" -> Role "+ns+"/wild -> rule * on configmaps")},
		{"high", "aggregated", msg(ns+"/aggregated", k8s.CapSecretsRead, in, rbOf("aggregated", crIn(agg))+" -> ClusterRole "+agg+" -> aggregated ClusterRole "+part+" -> rule watch on secrets")},
		{"high", "as-user", msg(ns+"/as-user", k8s.CapServiceAccountTokens, in, "RoleBinding "+ns+"/as-user (subject user system:serviceaccount:"+ns+":as-user) -> ClusterRole "+tokens+" -> rule create on serviceaccounts/token")},
		{"high", nsG + "/member", msg(nsG+"/member", k8s.CapPodsExec, "in namespace "+nsG, "RoleBinding "+nsG+"/all-accounts (subject group system:serviceaccounts:"+nsG+") -> ClusterRole "+exec+" -> rule create, get on pods/exec")},
		{"high", nsG + "/default", msg(nsG+"/default", k8s.CapPodsExec, "in namespace "+nsG, "RoleBinding "+nsG+"/all-accounts (subject group system:serviceaccounts:"+nsG+") -> ClusterRole "+exec+" -> rule create, get on pods/exec")},
	}
	line := func(rule, sev, who, text string) string { return rule + " " + sev + " " + who + " | " + text }
	var wantLines, got []string
	for _, w := range want {
		who := w.who
		if !strings.Contains(who, "/") {
			who = ns + "/" + who
		}
		wantLines = append(wantLines, line("NHI008", w.sev, who, w.text))
	}
	// The default account of nsG holds a capability, so it is no longer
	// excluded as an idle default account: undeclared.
	wantLines = append(wantLines, line("NHI001", "medium", nsG+"/default", fmt.Sprintf("service account %s/default exists in source \"access\" but is not declared", nsG)))
	for _, fd := range rep.Findings {
		got = append(got, line(fd.RuleID, fd.Severity, fd.Identity.ID, fd.Message))
		if fd.RuleID == "NHI008" && fd.Remediation == "" {
			t.Errorf("%s: no remediation", fd.Message)
		}
	}
	sort.Strings(got)
	sort.Strings(wantLines)
	if !rep.Complete || strings.Join(got, "\n") != strings.Join(wantLines, "\n") {
		t.Errorf("findings differ (complete %v).\ngot:\n%s\nwant:\n%s", rep.Complete, strings.Join(got, "\n"), strings.Join(wantLines, "\n"))
	}
}
