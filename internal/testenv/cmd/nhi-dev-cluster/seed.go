package main

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// seed creates count undeclared service accounts for the drift benchmark,
// with objects in proportion: a namespace per 100 accounts, a RoleBinding
// for every account, a legacy token Secret for every tenth, a Deployment for
// every other one and a CronJob for every twentieth. Creates run on 32
// workers, so 10,000 accounts take a minute or two, not an hour.
func seed(kubeconfig, prefix string, count int) error {
	cs, err := clientset(kubeconfig, 1000)
	if err != nil {
		return err
	}
	ctx := context.Background()
	nss := (count + 99) / 100
	for i := 0; i < nss; i++ {
		if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-%d", prefix, i)}}, metav1.CreateOptions{}); err != nil {
			return err
		}
	}
	start := time.Now()
	jobs := make(chan int)
	var failed atomic.Value
	var created atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < 32; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				if err := seedOne(ctx, cs, prefix, i); err != nil {
					failed.Store(err)
					continue
				}
				created.Add(1)
			}
		}()
	}
	for i := 0; i < count; i++ {
		if failed.Load() != nil {
			break
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "seeded %d service accounts with bindings, Secrets and workloads in %s\n", created.Load(), time.Since(start).Round(time.Millisecond))
	return nil
}

func seedOne(ctx context.Context, cs kubernetes.Interface, prefix string, i int) error {
	ns := fmt.Sprintf("%s-%d", prefix, i/100)
	name := fmt.Sprintf("sa-%05d", i)
	if _, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
		return err
	}
	if _, err := cs.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name + "-view"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: name, Namespace: ns}},
	}, metav1.CreateOptions{}); err != nil {
		return err
	}
	if i%10 == 0 {
		if _, err := cs.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: name + "-token", Annotations: map[string]string{corev1.ServiceAccountNameKey: name}},
			Type:       corev1.SecretTypeServiceAccountToken,
		}, metav1.CreateOptions{}); err != nil {
			return err
		}
	}
	tmpl := corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name}},
		Spec: corev1.PodSpec{ServiceAccountName: name, RestartPolicy: corev1.RestartPolicyAlways,
			Containers: []corev1.Container{{Name: "c", Image: "example.invalid/app"}}},
	}
	if i%2 == 0 {
		zero := int32(0)
		if _, err := cs.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec:       appsv1.DeploymentSpec{Replicas: &zero, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}}, Template: tmpl},
		}, metav1.CreateOptions{}); err != nil {
			return err
		}
	}
	if i%20 == 0 {
		tmpl.Spec.RestartPolicy = corev1.RestartPolicyNever
		if _, err := cs.BatchV1().CronJobs(ns).Create(ctx, &batchv1.CronJob{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec:       batchv1.CronJobSpec{Schedule: "0 3 * * *", JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: tmpl}}},
		}, metav1.CreateOptions{}); err != nil {
			return err
		}
	}
	return nil
}
