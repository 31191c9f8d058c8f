// Command terraform-provider-nhi serves the nhi Terraform provider. Run
// with no arguments (as Terraform does) it serves the plugin protocol.
package main

import (
	"context"
	"flag"
	"log"
	"os"
	"os/signal"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/nhi-ops/terraform-provider-nhi/internal/driftcmd"
	"github.com/nhi-ops/terraform-provider-nhi/internal/provider"
)

// version is set by goreleaser.
var version = "dev"

func main() {
	// `terraform-provider-nhi drift ...` is the drift reporter; with no
	// arguments (as Terraform launches it) the binary serves the provider.
	if len(os.Args) > 1 && os.Args[1] == "drift" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		fi, _ := os.Stdout.Stat()
		code := driftcmd.Main(ctx, os.Args[2:], driftcmd.IO{
			Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
			StdoutIsTerminal: fi != nil && fi.Mode()&os.ModeCharDevice != 0,
		}, version)
		stop()
		os.Exit(code)
	}

	var debug bool
	flag.BoolVar(&debug, "debug", false, "start the provider with support for debuggers like delve")
	flag.Parse()

	err := providerserver.Serve(context.Background(), provider.New(version), providerserver.ServeOpts{
		Address: "registry.terraform.io/nhi-ops/nhi",
		Debug:   debug,
	})
	if err != nil {
		log.Fatal(err.Error())
	}
}
