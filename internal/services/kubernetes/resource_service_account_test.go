package kubernetes_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
	k8s "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/kubernetes"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

const addr = "nhi_kubernetes_service_account.test"

// sa is the arguments of one nhi_kubernetes_service_account block.
type sa struct {
	ns, name, owner, purpose, expires, onExpiry, extra string
	scopes                                             []string
}

func (a sa) hcl() string {
	q := make([]string, len(a.scopes))
	for i, s := range a.scopes {
		q[i] = fmt.Sprintf("%q", s)
	}
	owner, purpose := a.owner, a.purpose
	if owner == "" {
		owner = "team:platform"
	}
	if purpose == "" {
		purpose = "deploys the payments service"
	}
	onExpiry := ""
	if a.onExpiry != "" {
		onExpiry = fmt.Sprintf("on_expiry = %q", a.onExpiry)
	}
	return fmt.Sprintf(`
resource "nhi_kubernetes_service_account" "test" {
  namespace  = %q
  name       = %q
  owner      = %q
  purpose    = %q
  scopes     = [%s]
  expires_at = %q
  %s
  %s
}
`, a.ns, a.name, owner, purpose, strings.Join(q, ", "), a.expires, onExpiry, a.extra)
}

func config(t *testing.T, providerExtra string, a sa) string {
	return acctest.ProviderBlock(t, providerExtra) + a.hcl()
}

func scopeSet(scopes ...string) knownvalue.Check {
	c := make([]knownvalue.Check, len(scopes))
	for i, s := range scopes {
		c[i] = knownvalue.StringExact(s)
	}
	return knownvalue.SetExact(c)
}

func stateValue(attr string, v knownvalue.Check) statecheck.StateCheck {
	return statecheck.ExpectKnownValue(addr, tfjsonpath.New(attr), v)
}

func planValue(attr string, v knownvalue.Check) plancheck.PlanCheck {
	return plancheck.ExpectKnownValue(addr, tfjsonpath.New(attr), v)
}

// checkDestroyed verifies the service account and every binding the
// provider made for it are gone.
func checkDestroyed(t *testing.T, ns, name string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		cs := acctest.Clientset(t)
		ctx := context.Background()
		if _, err := cs.CoreV1().ServiceAccounts(ns).Get(ctx, name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			return fmt.Errorf("service account %s/%s still exists (%v)", ns, name, err)
		}
		return noProviderBindings(t, ns, name)
	}
}

func noProviderBindings(t *testing.T, ns, name string) error {
	cs := acctest.Clientset(t)
	ctx := context.Background()
	sel := metav1.ListOptions{LabelSelector: k8s.ManagedByLabel + "=" + k8s.ManagedByValue}
	crbs, err := cs.RbacV1().ClusterRoleBindings().List(ctx, sel)
	if err != nil {
		return err
	}
	rbs, err := cs.RbacV1().RoleBindings("").List(ctx, sel)
	if err != nil {
		return err
	}
	owner := ns + "/" + name
	for _, b := range crbs.Items {
		if b.Annotations["nhi.dev/service-account"] == owner {
			return fmt.Errorf("ClusterRoleBinding %s of %s remains", b.Name, owner)
		}
	}
	for _, b := range rbs.Items {
		if b.Annotations["nhi.dev/service-account"] == owner {
			return fmt.Errorf("RoleBinding %s/%s of %s remains", b.Namespace, b.Name, owner)
		}
	}
	return nil
}

func getSA(t *testing.T, ns, name string) *corev1.ServiceAccount {
	t.Helper()
	s, err := acctest.Clientset(t).CoreV1().ServiceAccounts(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("reading %s/%s: %v", ns, name, err)
	}
	return s
}

func effective(t *testing.T, ns, name string) string {
	t.Helper()
	id, err := acctest.Client(t).Get(context.Background(), nhi.Ref{Location: ns, Name: name})
	if err != nil {
		t.Fatalf("reading %s/%s: %v", ns, name, err)
	}
	return strings.Join(id.EffectiveScopes, ",")
}

func TestAccServiceAccount_basic(t *testing.T) {
	ns := acctest.Namespace(t)
	name := acctest.RandName("deployer")
	// RFC 3339 here, so that the imported value (read back from the
	// annotation) is the same string.
	expires := acctest.Date(acctest.Days(90)) + "T00:00:00Z"
	a := sa{ns: ns, name: name, expires: expires, scopes: []string{"clusterrole:view", "clusterrole:edit@" + ns},
		extra: `labels = { team = "payments" }`}

	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		CheckDestroy:             checkDestroyed(t, ns, name),
		Steps: []resource.TestStep{
			{
				Config: config(t, "", a),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionCreate),
					planValue("status", knownvalue.StringExact("active")),
					planValue("effective_scopes", scopeSet("clusterrole:view", "clusterrole:edit@"+ns)),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					stateValue("id", knownvalue.StringExact(ns+"/"+name)),
					stateValue("uid", knownvalue.StringRegexp(regexp.MustCompile(`^[0-9a-f-]{36}$`))),
					stateValue("status", knownvalue.StringExact("active")),
					stateValue("automount_token", knownvalue.Bool(false)),
					stateValue("on_expiry", knownvalue.StringExact("disable")),
					stateValue("effective_scopes", scopeSet("clusterrole:view", "clusterrole:edit@"+ns)),
				},
				Check: func(*terraform.State) error {
					s := getSA(t, ns, name)
					want := map[string]string{
						"nhi.dev/owner": "team:platform", "nhi.dev/purpose": "deploys the payments service",
						"nhi.dev/expires-at": expires, "nhi.dev/on-expiry": "disable",
						"nhi.dev/scopes": fmt.Sprintf(`["clusterrole:edit@%s","clusterrole:view"]`, ns),
					}
					for k, v := range want {
						if s.Annotations[k] != v {
							return fmt.Errorf("annotation %s = %q, want %q", k, s.Annotations[k], v)
						}
					}
					if s.Labels[k8s.ManagedByLabel] != k8s.ManagedByValue || s.Labels["team"] != "payments" {
						return fmt.Errorf("labels = %v", s.Labels)
					}
					if s.AutomountServiceAccountToken == nil || *s.AutomountServiceAccountToken {
						return fmt.Errorf("automount must be off by default")
					}
					crb, err := acctest.Clientset(t).RbacV1().ClusterRoleBindings().Get(context.Background(), "nhi:"+ns+":"+name+":clusterrole:view", metav1.GetOptions{})
					if err != nil || crb.Labels[k8s.ManagedByLabel] != k8s.ManagedByValue || crb.Annotations["nhi.dev/service-account"] != ns+"/"+name {
						return fmt.Errorf("deterministic, labelled ClusterRoleBinding missing: %v %v", crb, err)
					}
					return nil
				},
			},
			{
				ResourceName:      addr,
				ImportState:       true,
				ImportStateId:     ns + "/" + name,
				ImportStateVerify: true,
			},
		},
	})
}

func TestAccServiceAccount_disappears(t *testing.T) {
	ns := acctest.Namespace(t)
	name := acctest.RandName("gone")
	a := sa{ns: ns, name: name, expires: acctest.Date(acctest.Days(90)), scopes: []string{"clusterrole:view"}}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		CheckDestroy:             checkDestroyed(t, ns, name),
		Steps: []resource.TestStep{
			{
				Config: config(t, "", a),
				Check: func(*terraform.State) error {
					return acctest.Client(t).Delete(context.Background(), nhi.Ref{Location: ns, Name: name})
				},
				ExpectNonEmptyPlan: true,
			},
			{
				Config: config(t, "", a),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionCreate),
				}},
			},
		},
	})
}

func TestAccServiceAccount_scopeChange(t *testing.T) {
	ns := acctest.Namespace(t)
	name := acctest.RandName("scoped")
	cs := acctest.Clientset(t)
	role := &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "config-reader", Namespace: ns},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get"}}},
	}
	if _, err := cs.RbacV1().Roles(ns).Create(context.Background(), role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	a := sa{ns: ns, name: name, expires: acctest.Date(acctest.Days(90)), scopes: []string{"clusterrole:view"}}
	b := a
	b.scopes = []string{"role:config-reader", "clusterrole:edit@" + ns}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		CheckDestroy:             checkDestroyed(t, ns, name),
		Steps: []resource.TestStep{
			{Config: config(t, "", a)},
			{
				Config: config(t, "", b),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
					planValue("effective_scopes", scopeSet("role:config-reader", "clusterrole:edit@"+ns)),
				}},
				Check: func(*terraform.State) error {
					if got, want := effective(t, ns, name), "clusterrole:edit@"+ns+",role:config-reader"; got != want {
						return fmt.Errorf("effective scopes in the cluster = %s, want %s", got, want)
					}
					return noStaleBinding(t, "nhi:"+ns+":"+name+":clusterrole:view")
				},
			},
		},
	})
}

func noStaleBinding(t *testing.T, name string) error {
	_, err := acctest.Clientset(t).RbacV1().ClusterRoleBindings().Get(context.Background(), name, metav1.GetOptions{})
	if !apierrors.IsNotFound(err) {
		return fmt.Errorf("binding %s for a removed scope still exists (%v)", name, err)
	}
	return nil
}

func TestAccServiceAccount_foreignBindingRemoved(t *testing.T) {
	ns := acctest.Namespace(t)
	name := acctest.RandName("strict")
	cs := acctest.Clientset(t)
	shared := acctest.RandName("shared-admin")
	t.Cleanup(func() {
		_ = cs.RbacV1().ClusterRoleBindings().Delete(context.Background(), shared, metav1.DeleteOptions{})
	})
	a := sa{ns: ns, name: name, expires: acctest.Date(acctest.Days(90)), scopes: []string{"clusterrole:view"}}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		CheckDestroy:             checkDestroyed(t, ns, name),
		Steps: []resource.TestStep{
			{Config: config(t, "", a)},
			{
				PreConfig: func() {
					ctx := context.Background()
					me := rbacv1.Subject{Kind: "ServiceAccount", Name: name, Namespace: ns}
					if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
						ObjectMeta: metav1.ObjectMeta{Name: shared},
						RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
						Subjects:   []rbacv1.Subject{me, {Kind: "Group", Name: "oncall"}},
					}, metav1.CreateOptions{}); err != nil {
						t.Fatal(err)
					}
					if _, err := cs.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{
						ObjectMeta: metav1.ObjectMeta{Name: "just-this-once"},
						RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "admin"},
						Subjects:   []rbacv1.Subject{me},
					}, metav1.CreateOptions{}); err != nil {
						t.Fatal(err)
					}
				},
				Config: config(t, "", a),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
					planValue("effective_scopes", scopeSet("clusterrole:view")),
				}},
				ConfigStateChecks: []statecheck.StateCheck{stateValue("effective_scopes", scopeSet("clusterrole:view"))},
				Check: func(*terraform.State) error {
					crb, err := cs.RbacV1().ClusterRoleBindings().Get(context.Background(), shared, metav1.GetOptions{})
					if err != nil || len(crb.Subjects) != 1 || crb.Subjects[0].Name != "oncall" {
						return fmt.Errorf("the shared binding must keep its other subject only: %+v %v", crb, err)
					}
					if _, err := cs.RbacV1().RoleBindings(ns).Get(context.Background(), "just-this-once", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
						return fmt.Errorf("a foreign binding naming only this account must be deleted (%v)", err)
					}
					return nil
				},
			},
		},
	})
}

func TestAccServiceAccount_expiryWarningWindow(t *testing.T) {
	ns := acctest.Namespace(t)
	name := acctest.RandName("soon")
	a := sa{ns: ns, name: name, expires: acctest.Date(acctest.Days(60)), scopes: []string{"clusterrole:view"}}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		CheckDestroy:             checkDestroyed(t, ns, name),
		Steps: []resource.TestStep{
			{Config: config(t, "", a), ConfigStateChecks: []statecheck.StateCheck{stateValue("status", knownvalue.StringExact("active"))}},
			{
				// 50 days on, 10 days before expiry: inside the default 30-day window.
				Config: config(t, fmt.Sprintf("evaluation_time = %q", acctest.Date(acctest.Days(50))), a),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionNoop),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					stateValue("status", knownvalue.StringExact("expiring")),
					stateValue("effective_scopes", scopeSet("clusterrole:view")),
				},
			},
			{
				// A shorter window from policy: 10 days out is not yet expiring.
				Config:            config(t, fmt.Sprintf("evaluation_time = %q\npolicy {\n warn_before = \"7d\"\n}", acctest.Date(acctest.Days(50))), a),
				ConfigStateChecks: []statecheck.StateCheck{stateValue("status", knownvalue.StringExact("active"))},
			},
		},
	})
}

func TestAccServiceAccount_expiryDisable(t *testing.T) {
	ns := acctest.Namespace(t)
	name := acctest.RandName("expired")
	a := sa{ns: ns, name: name, expires: acctest.Date(acctest.Days(40)), scopes: []string{"clusterrole:view", "clusterrole:edit@" + ns},
		extra: "automount_token = true"}
	later := fmt.Sprintf("evaluation_time = %q", acctest.Date(acctest.Days(41)))
	renewed := a
	renewed.expires = acctest.Date(acctest.Days(120))
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		CheckDestroy:             checkDestroyed(t, ns, name),
		Steps: []resource.TestStep{
			{Config: config(t, "", a)},
			{
				Config: config(t, later, a),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
					planValue("status", knownvalue.StringExact("disabled")),
					planValue("effective_scopes", knownvalue.SetSizeExact(0)),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					stateValue("status", knownvalue.StringExact("disabled")),
					stateValue("effective_scopes", knownvalue.SetSizeExact(0)),
				},
				Check: func(*terraform.State) error {
					s := getSA(t, ns, name)
					if s.AutomountServiceAccountToken == nil || *s.AutomountServiceAccountToken {
						return fmt.Errorf("a disabled account must not automount its token")
					}
					if s.Annotations["nhi.dev/disabled-at"] == "" {
						return fmt.Errorf("disabled-at annotation missing")
					}
					if got := effective(t, ns, name); got != "" {
						return fmt.Errorf("a disabled account must hold no grants, has %s", got)
					}
					return noProviderBindings(t, ns, name)
				},
			},
			{
				// Extending expires_at in a reviewed change re-enables it.
				Config: config(t, later, renewed),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
					planValue("status", knownvalue.StringExact("active")),
				}},
				Check: func(*terraform.State) error {
					s := getSA(t, ns, name)
					if s.Annotations["nhi.dev/disabled-at"] != "" || s.AutomountServiceAccountToken == nil || !*s.AutomountServiceAccountToken {
						return fmt.Errorf("re-enabled account: annotations %v automount %v", s.Annotations, s.AutomountServiceAccountToken)
					}
					if got, want := effective(t, ns, name), "clusterrole:edit@"+ns+",clusterrole:view"; got != want {
						return fmt.Errorf("re-enabled grants = %s, want %s", got, want)
					}
					return nil
				},
			},
		},
	})
}

func TestAccServiceAccount_expiryBlock(t *testing.T) {
	ns := acctest.Namespace(t)
	name := acctest.RandName("blocked")
	a := sa{ns: ns, name: name, expires: acctest.Date(acctest.Days(40)), onExpiry: "block", scopes: []string{"clusterrole:view"}}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		CheckDestroy:             checkDestroyed(t, ns, name),
		Steps: []resource.TestStep{
			{Config: config(t, "", a)},
			{
				Config:      config(t, fmt.Sprintf("evaluation_time = %q", acctest.Date(acctest.Days(45))), a),
				ExpectError: regexp.MustCompile(`(?s)has expired.*on_expiry is "block".*extend\s+expires_at`),
			},
			{
				// Nothing was changed by the blocked plan.
				Config:            config(t, "", a),
				ConfigStateChecks: []statecheck.StateCheck{stateValue("effective_scopes", scopeSet("clusterrole:view"))},
			},
		},
	})
}

func TestAccServiceAccount_expiryWarnKeepsAccess(t *testing.T) {
	ns := acctest.Namespace(t)
	name := acctest.RandName("lenient")
	a := sa{ns: ns, name: name, expires: acctest.Date(acctest.Days(40)), onExpiry: "warn", scopes: []string{"clusterrole:view"}}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		CheckDestroy:             checkDestroyed(t, ns, name),
		Steps: []resource.TestStep{
			{Config: config(t, "", a)},
			{
				Config: config(t, fmt.Sprintf("evaluation_time = %q", acctest.Date(acctest.Days(45))), a),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionNoop),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					stateValue("status", knownvalue.StringExact("expired")),
					stateValue("effective_scopes", scopeSet("clusterrole:view")),
				},
			},
		},
	})
}

func TestAccServiceAccount_importAdoptsUndeclared(t *testing.T) {
	ns := acctest.Namespace(t)
	name := acctest.RandName("legacy")
	cs := acctest.Clientset(t)
	if _, err := cs.CoreV1().ServiceAccounts(ns).Create(context.Background(), &corev1.ServiceAccount{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	a := sa{ns: ns, name: name, expires: acctest.Date(acctest.Days(90)), scopes: []string{"clusterrole:view"}}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		CheckDestroy:             checkDestroyed(t, ns, name),
		Steps: []resource.TestStep{
			{
				Config:             config(t, "", a),
				ResourceName:       addr,
				ImportState:        true,
				ImportStateId:      ns + "/" + name,
				ImportStatePersist: true,
				ImportStateCheck: func(s []*terraform.InstanceState) error {
					if len(s) != 1 || s[0].Attributes["owner"] != "" || s[0].Attributes["scopes.#"] != "0" || s[0].Attributes["automount_token"] != "true" {
						return fmt.Errorf("imported undeclared account: %v", s[0].Attributes)
					}
					return nil
				},
			},
			{
				Config: config(t, "", a),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
				}},
				Check: func(*terraform.State) error {
					s := getSA(t, ns, name)
					if s.Annotations["nhi.dev/owner"] != "team:platform" || s.Labels[k8s.ManagedByLabel] != k8s.ManagedByValue {
						return fmt.Errorf("the apply after import must write governance: %v %v", s.Annotations, s.Labels)
					}
					return nil
				},
			},
		},
	})
}

func TestAccServiceAccount_importBadID(t *testing.T) {
	ns := acctest.Namespace(t)
	a := sa{ns: ns, name: "x", expires: acctest.Date(acctest.Days(90)), scopes: []string{}}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		Steps: []resource.TestStep{{
			Config: config(t, "", a), ResourceName: addr, ImportState: true, ImportStateId: "no-slash",
			ExpectError: regexp.MustCompile(`(?s)not of the form namespace/name`),
		}},
	})
}

// NHI_EVALUATION_TIME previews a plan as of another instant, as the
// evaluation_time attribute does. Not parallel: it sets the environment.
func TestAccServiceAccount_evaluationTimeFromEnvironment(t *testing.T) {
	ns := acctest.Namespace(t)
	name := acctest.RandName("env")
	a := sa{ns: ns, name: name, expires: acctest.Date(acctest.Days(40)), scopes: []string{"clusterrole:view"}}
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		CheckDestroy:             checkDestroyed(t, ns, name),
		Steps: []resource.TestStep{
			{Config: config(t, "", a)},
			{
				PreConfig: func() { t.Setenv("NHI_EVALUATION_TIME", acctest.Date(acctest.Days(41))) },
				Config:    config(t, "", a),
				PlanOnly:  true,
				// The plan is not empty: the account would be disabled.
				ExpectNonEmptyPlan: true,
			},
			{
				PreConfig:   func() { t.Setenv("NHI_EVALUATION_TIME", "not a time") },
				Config:      config(t, "", a),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Invalid NHI_EVALUATION_TIME.*The environment variable NHI_EVALUATION_TIME\s+"not a time" is not a valid\s+timestamp`),
			},
			{
				PreConfig: func() { t.Setenv("NHI_EVALUATION_TIME", "") },
				Config:    config(t, "", a),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionNoop),
				}},
			},
		},
	})
}

func TestAccServiceAccount_annotationPrefix(t *testing.T) {
	ns := acctest.Namespace(t)
	name := acctest.RandName("prefixed")
	a := sa{ns: ns, name: name, expires: acctest.Date(acctest.Days(90)), scopes: []string{"clusterrole:view"}}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		CheckDestroy:             checkDestroyed(t, ns, name),
		Steps: []resource.TestStep{
			{
				Config:      config(t, `annotation_prefix = "Not A Prefix"`, a),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Invalid annotation prefix.*annotation_prefix "Not A Prefix" is not a DNS\s+subdomain`),
			},
			{
				Config: config(t, `annotation_prefix = "governance.example.com"`, a),
				Check: func(*terraform.State) error {
					s := getSA(t, ns, name)
					if s.Annotations["governance.example.com/owner"] != "team:platform" || s.Annotations["nhi.dev/owner"] != "" {
						return fmt.Errorf("annotations = %v, want them under governance.example.com/", s.Annotations)
					}
					return nil
				},
			},
		},
	})
}

// Adopting a declared account with an import block plans no change when the
// configuration matches what the account carries. (With expires_at written
// as a date, the plan shows a one-time update that rewrites the same
// instant: Terraform requires planned values to equal configuration.)
func TestAccServiceAccount_importBlockIsNoop(t *testing.T) {
	ns := acctest.Namespace(t)
	name := acctest.RandName("adopted")
	a := sa{ns: ns, name: name, expires: acctest.Date(acctest.Days(90)) + "T12:00:00Z", scopes: []string{"clusterrole:view"},
		extra: `labels = { tier = "backend" }`}
	forget := fmt.Sprintf("removed {\n  from = %s\n  lifecycle {\n    destroy = false\n  }\n}\n", addr)
	adopt := fmt.Sprintf("import {\n  to = %s\n  id = %q\n}\n", addr, ns+"/"+name)
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		CheckDestroy:             checkDestroyed(t, ns, name),
		Steps: []resource.TestStep{
			{Config: config(t, "", a)},
			{Config: acctest.ProviderBlock(t, "") + forget},
			{
				Config: config(t, "", a) + adopt,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionNoop),
				}},
				ConfigStateChecks: []statecheck.StateCheck{stateValue("status", knownvalue.StringExact("active"))},
			},
		},
	})
}
