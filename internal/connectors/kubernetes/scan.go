package kubernetes

import (
	"context"
	"sort"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

var _ nhi.Scanner = (*Client)(nil)

// Scan lists the service accounts of the given namespaces (all when empty)
// with their grants, legacy token Secrets, the workloads that run as them,
// which of their grants are wildcards, and their risky capabilities
// (access.go), resolved in memory from one list of bindings and roles. Every list is paginated; an error
// on any of them fails the scan, so that a partial view is never reported as
// complete.
func (c *Client) Scan(ctx context.Context, namespaces []string) ([]nhi.Identity, error) {
	scopes := namespaces
	if len(scopes) == 0 {
		scopes = []string{""}
	}
	ix, err := c.listBindings(ctx)
	if err != nil {
		return nil, err
	}
	roles, err := c.listRoles(ctx)
	if err != nil {
		return nil, err
	}
	wild, acc := roles.wildcards(), newAccess(ix, roles)
	var out []nhi.Identity
	for _, ns := range scopes {
		creds, err := c.listTokenSecrets(ctx, ns)
		if err != nil {
			return nil, err
		}
		usage, err := c.listWorkloads(ctx, ns)
		if err != nil {
			return nil, err
		}
		lo := metav1.ListOptions{Limit: listPageSize}
		for {
			l, err := c.cs.CoreV1().ServiceAccounts(ns).List(ctx, lo)
			if err != nil {
				return nil, wrap(err, "listing service accounts")
			}
			for i := range l.Items {
				id := c.identity(&l.Items[i], ix, creds)
				id.UsageKnown = true
				id.UsedBy = sortedUnique(usage[id.Ref])
				for _, rb := range ix.grantsOf(id.Ref) {
					b := &rb
					if wild.has(b) {
						id.WildcardScopes = append(id.WildcardScopes, b.scope(id.Ref.Location))
					}
				}
				id.WildcardScopes = sortedUnique(id.WildcardScopes)
				id.Capabilities = acc.capabilities(id.Ref)
				out = append(out, id)
			}
			if lo.Continue = l.Continue; lo.Continue == "" {
				break
			}
		}
	}
	return out, nil
}

// wildcards records roles with a rule granting every verb on every resource.
type wildcards struct {
	cluster map[string]bool
	ns      map[string]bool // "namespace/name"
}

func (w wildcards) has(b *binding) bool {
	if b.roleKind == "ClusterRole" {
		return w.cluster[b.roleName]
	}
	return w.ns[b.namespace+"/"+b.roleName]
}

func isWildcard(rules []rbacv1.PolicyRule) bool {
	for _, r := range rules {
		if contains(r.Verbs, "*") && contains(r.Resources, "*") && (len(r.APIGroups) == 0 || contains(r.APIGroups, "*")) {
			return true
		}
	}
	return false
}

func contains(in []string, s string) bool {
	for _, v := range in {
		if v == s {
			return true
		}
	}
	return false
}

// listWorkloads maps each service account to the workloads running as it:
// Deployments, StatefulSets, DaemonSets, Jobs and CronJobs by their pod
// templates, and Pods that no controller owns. Pods and Jobs created by a
// controller count as their controller, so one Deployment is one workload.
func (c *Client) listWorkloads(ctx context.Context, ns string) (map[nhi.Ref][]string, error) {
	out := map[nhi.Ref][]string{}
	add := func(kind, namespace, name, sa string, owned bool) {
		if owned {
			return
		}
		if sa == "" {
			sa = "default"
		}
		ref := nhi.Ref{Location: namespace, Name: sa}
		out[ref] = append(out[ref], kind+" "+namespace+"/"+name)
	}
	owned := func(m metav1.ObjectMeta) bool { return metav1.GetControllerOf(&m) != nil }
	type lister func(opts metav1.ListOptions) (string, error)
	run := func(what string, f lister) error {
		lo := metav1.ListOptions{Limit: listPageSize}
		for {
			next, err := f(lo)
			if err != nil {
				return wrap(err, "listing "+what)
			}
			if lo.Continue = next; next == "" {
				return nil
			}
		}
	}
	apps := c.cs.AppsV1()
	batch := c.cs.BatchV1()
	steps := []struct {
		what string
		f    lister
	}{
		{"Pods", func(lo metav1.ListOptions) (string, error) {
			l, err := c.cs.CoreV1().Pods(ns).List(ctx, lo)
			if err != nil {
				return "", err
			}
			for _, o := range l.Items {
				add("Pod", o.Namespace, o.Name, o.Spec.ServiceAccountName, owned(o.ObjectMeta))
			}
			return l.Continue, nil
		}},
		{"Deployments", func(lo metav1.ListOptions) (string, error) {
			l, err := apps.Deployments(ns).List(ctx, lo)
			if err != nil {
				return "", err
			}
			for _, o := range l.Items {
				add("Deployment", o.Namespace, o.Name, o.Spec.Template.Spec.ServiceAccountName, owned(o.ObjectMeta))
			}
			return l.Continue, nil
		}},
		{"StatefulSets", func(lo metav1.ListOptions) (string, error) {
			l, err := apps.StatefulSets(ns).List(ctx, lo)
			if err != nil {
				return "", err
			}
			for _, o := range l.Items {
				add("StatefulSet", o.Namespace, o.Name, o.Spec.Template.Spec.ServiceAccountName, owned(o.ObjectMeta))
			}
			return l.Continue, nil
		}},
		{"DaemonSets", func(lo metav1.ListOptions) (string, error) {
			l, err := apps.DaemonSets(ns).List(ctx, lo)
			if err != nil {
				return "", err
			}
			for _, o := range l.Items {
				add("DaemonSet", o.Namespace, o.Name, o.Spec.Template.Spec.ServiceAccountName, owned(o.ObjectMeta))
			}
			return l.Continue, nil
		}},
		{"Jobs", func(lo metav1.ListOptions) (string, error) {
			l, err := batch.Jobs(ns).List(ctx, lo)
			if err != nil {
				return "", err
			}
			for _, o := range l.Items {
				add("Job", o.Namespace, o.Name, o.Spec.Template.Spec.ServiceAccountName, owned(o.ObjectMeta))
			}
			return l.Continue, nil
		}},
		{"CronJobs", func(lo metav1.ListOptions) (string, error) {
			l, err := batch.CronJobs(ns).List(ctx, lo)
			if err != nil {
				return "", err
			}
			for _, o := range l.Items {
				add("CronJob", o.Namespace, o.Name, o.Spec.JobTemplate.Spec.Template.Spec.ServiceAccountName, owned(o.ObjectMeta))
			}
			return l.Continue, nil
		}},
	}
	for _, s := range steps {
		if err := run(s.what, s.f); err != nil {
			return nil, err
		}
	}
	for k := range out {
		sort.Strings(out[k])
	}
	return out, nil
}
