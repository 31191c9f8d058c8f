package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/nhi-ops/terraform-provider-nhi/internal/testenv"
	"github.com/nhi-ops/terraform-provider-nhi/internal/testenv/iamfake"
)

// iamMain runs the IAM subcommands:
//
//	nhi-dev-cluster iam-up    -dir .nhi-dev -versitygw <binary>
//	nhi-dev-cluster iam-down  -dir .nhi-dev
//	nhi-dev-cluster iam-proxy -listen 127.0.0.1:PORT -upstream URL   (started by iam-up)
func iamMain(cmd string, args []string) error {
	fs := flag.NewFlagSet(cmd, flag.ExitOnError)
	dir := fs.String("dir", ".nhi-dev", "directory for the IAM server's state, logs and aws.env")
	vgw := fs.String("versitygw", os.Getenv("NHI_VERSITYGW"), "versitygw binary")
	listen := fs.String("listen", "", "iam-proxy: address to serve on")
	upstream := fs.String("upstream", "", "iam-proxy: versitygw URL")
	_ = fs.Parse(args)
	switch cmd {
	case "iam-down":
		if err := testenv.StopIAMDir(*dir); err != nil {
			return err
		}
		fmt.Fprintln(os.Stderr, "IAM test server stopped")
		return nil
	case "iam-proxy":
		u, err := url.Parse(*upstream)
		if err != nil || *listen == "" {
			return fmt.Errorf("iam-proxy needs -listen and -upstream")
		}
		srv := &http.Server{Addr: *listen, Handler: iamfake.New(u, testenv.IAMAccountID)}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		go func() { <-ctx.Done(); _ = srv.Close() }()
		if err := srv.ListenAndServe(); err != http.ErrServerClosed {
			return err
		}
		return nil
	}
	if *vgw == "" {
		return fmt.Errorf("iam-up needs -versitygw (scripts/testenv-build.sh prints where it is built)")
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	_ = testenv.StopIAMDir(*dir)
	i, err := testenv.StartIAM(context.Background(), testenv.IAMOptions{Dir: *dir, Versitygw: *vgw, Proxy: []string{self, "iam-proxy"}})
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "IAM test server ready at %s: source %s\n", i.Endpoint, filepath.Join(i.Dir, testenv.AWSEnvFile))
	return nil
}
