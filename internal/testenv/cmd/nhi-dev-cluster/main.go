// Command nhi-dev-cluster starts and stops the project's local test cluster
// (make cluster-up / cluster-down, make test, make demo).
//
//	nhi-dev-cluster up   -dir .nhi-dev -bin <dir of etcd, kube-apiserver, kube-controller-manager>
//	nhi-dev-cluster down -dir .nhi-dev
//	nhi-dev-cluster create-sa -dir .nhi-dev -namespace default -name shadow -clusterrole cluster-admin
//	nhi-dev-cluster create-ns -dir .nhi-dev -name bench -count 10
//	nhi-dev-cluster seed -dir .nhi-dev -name drift -count 10000
//	nhi-dev-cluster iam-up -dir .nhi-dev -versitygw <binary>   (see iam.go)
//	nhi-dev-cluster iam-down -dir .nhi-dev
//	nhi-dev-cluster pg-up -dir .nhi-dev/pg [-bin DIR]   (see pg.go)
//	nhi-dev-cluster pg-down -dir .nhi-dev/pg
//	nhi-dev-cluster ldap-up -dir .nhi-dev/ldap [-slapd BIN]   (see ldap.go)
//	nhi-dev-cluster ldap-down -dir .nhi-dev/ldap
//
// create-sa makes a service account out of band (no markers), optionally
// bound to a ClusterRole, as someone with kubectl would: the demo uses it.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/nhi-ops/terraform-provider-nhi/internal/testenv"
)

func main() {
	if len(os.Args) >= 2 && (os.Args[1] == "iam-up" || os.Args[1] == "iam-down" || os.Args[1] == "iam-proxy") {
		if err := iamMain(os.Args[1], os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "nhi-dev-cluster:", err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) >= 2 && (os.Args[1] == "pg-up" || os.Args[1] == "pg-down") {
		if err := pgMain(os.Args[1], os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "nhi-dev-cluster:", err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) >= 2 && (os.Args[1] == "ldap-up" || os.Args[1] == "ldap-down") {
		if err := ldapMain(os.Args[1], os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "nhi-dev-cluster:", err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) < 2 || (os.Args[1] != "up" && os.Args[1] != "down" && os.Args[1] != "create-sa" && os.Args[1] != "create-ns" && os.Args[1] != "seed") {
		fmt.Fprintln(os.Stderr, "usage: nhi-dev-cluster up|down|create-sa|create-ns|seed|iam-up|iam-down|pg-up|pg-down|ldap-up|ldap-down -dir DIR [-bin DIR] [-versitygw BIN] [-slapd BIN]")
		os.Exit(1)
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	dir := fs.String("dir", ".nhi-dev", "directory for the cluster's state, logs and kubeconfigs")
	bin := fs.String("bin", testenv.BinDirFromEnv(), "directory holding etcd, kube-apiserver and kube-controller-manager")
	namespace := fs.String("namespace", "default", "create-sa: namespace")
	name := fs.String("name", "", "create-sa: service account name")
	clusterRole := fs.String("clusterrole", "", "create-sa: ClusterRole to bind it to")
	count := fs.Int("count", 1, "create-ns: how many namespaces, named <name>-0 .. <name>-(count-1)")
	_ = fs.Parse(os.Args[2:])

	if os.Args[1] == "seed" {
		if err := seed(filepath.Join(*dir, testenv.KubeconfigFile), *name, *count); err != nil {
			fmt.Fprintln(os.Stderr, "nhi-dev-cluster:", err)
			os.Exit(1)
		}
		return
	}
	if os.Args[1] == "create-ns" {
		if err := createNamespaces(filepath.Join(*dir, testenv.KubeconfigFile), *name, *count); err != nil {
			fmt.Fprintln(os.Stderr, "nhi-dev-cluster:", err)
			os.Exit(1)
		}
		return
	}

	if os.Args[1] == "create-sa" {
		if err := createSA(filepath.Join(*dir, testenv.KubeconfigFile), *namespace, *name, *clusterRole); err != nil {
			fmt.Fprintln(os.Stderr, "nhi-dev-cluster:", err)
			os.Exit(1)
		}
		return
	}

	if os.Args[1] == "down" {
		if err := testenv.StopDir(*dir); err != nil {
			fmt.Fprintln(os.Stderr, "nhi-dev-cluster:", err)
			os.Exit(1)
		}
		fmt.Fprintln(os.Stderr, "test cluster stopped")
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if _, err := testenv.Start(ctx, testenv.Options{Dir: *dir, BinDir: *bin, Progress: os.Stderr}); err != nil {
		fmt.Fprintln(os.Stderr, "nhi-dev-cluster:", err)
		os.Exit(1)
	}
}

func createSA(kubeconfig, ns, name, clusterRole string) error {
	if name == "" {
		return fmt.Errorf("create-sa needs -name")
	}
	cs, err := clientset(kubeconfig, 0)
	if err != nil {
		return err
	}
	ctx := context.Background()
	if _, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
		return err
	}
	if clusterRole != "" {
		_, err = cs.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: name + "-" + clusterRole},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: clusterRole},
			Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: name, Namespace: ns}},
		}, metav1.CreateOptions{})
	}
	if err == nil {
		fmt.Fprintf(os.Stderr, "created service account %s/%s out of band (clusterrole %q)\n", ns, name, clusterRole)
	}
	return err
}

func createNamespaces(kubeconfig, prefix string, count int) error {
	cs, err := clientset(kubeconfig, 0)
	if err != nil {
		return err
	}
	for i := 0; i < count; i++ {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-%d", prefix, i)}}
		if _, err := cs.CoreV1().Namespaces().Create(context.Background(), ns, metav1.CreateOptions{}); err != nil {
			return err
		}
	}
	return nil
}

// clientset connects to the cluster of a kubeconfig; qps 0 keeps client-go's
// default client-side rate limit.
func clientset(kubeconfig string, qps float32) (kubernetes.Interface, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, err
	}
	if qps > 0 {
		cfg.QPS, cfg.Burst = qps, int(2*qps)
	}
	return kubernetes.NewForConfig(cfg)
}
