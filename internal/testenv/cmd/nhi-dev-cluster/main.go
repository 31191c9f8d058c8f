// Command nhi-dev-cluster starts and stops the project's local test cluster
// (make cluster-up / cluster-down, make test, make demo).
//
//	nhi-dev-cluster up   -dir .nhi-dev -bin <dir of etcd, kube-apiserver, kube-controller-manager>
//	nhi-dev-cluster down -dir .nhi-dev
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/nhi-ops/terraform-provider-nhi/internal/testenv"
)

func main() {
	if len(os.Args) < 2 || (os.Args[1] != "up" && os.Args[1] != "down") {
		fmt.Fprintln(os.Stderr, "usage: nhi-dev-cluster up|down -dir DIR [-bin DIR]")
		os.Exit(1)
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	dir := fs.String("dir", ".nhi-dev", "directory for the cluster's state, logs and kubeconfigs")
	bin := fs.String("bin", testenv.BinDirFromEnv(), "directory holding etcd, kube-apiserver and kube-controller-manager")
	_ = fs.Parse(os.Args[2:])

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
