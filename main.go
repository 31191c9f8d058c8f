// Command terraform-provider-nhi serves the nhi Terraform provider. Run
// with no arguments (as Terraform does) it serves the plugin protocol.
package main

import (
	"context"
	"flag"
	"log"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/nhi-ops/terraform-provider-nhi/internal/provider"
)

// version is set by goreleaser.
var version = "dev"

func main() {
	// A later issue adds `terraform-provider-nhi drift ...` here, dispatched
	// on os.Args[1] before flag parsing.
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
