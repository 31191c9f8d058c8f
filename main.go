// Command terraform-provider-nhi serves the nhi Terraform provider. Run
// with no arguments (as Terraform does) it serves the plugin protocol.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"runtime/pprof"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"

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
		}, version, provider.Registry())
		stop()
		os.Exit(code)
	}

	var debug bool
	flag.BoolVar(&debug, "debug", false, "start the provider with support for debuggers like delve")
	flag.Parse()

	quietUnlessLogging()

	// NHI_CPUPROFILE=<file> writes a CPU profile of this provider process,
	// for profiling plans of many identities (make bench).
	if p := os.Getenv("NHI_CPUPROFILE"); p != "" {
		if f, err := os.Create(fmt.Sprintf("%s.%d", p, os.Getpid())); err == nil {
			if pprof.StartCPUProfile(f) == nil {
				defer pprof.StopCPUProfile()
			}
		}
	}

	// NHI_MEMPROFILE=<file> watches this provider process's RSS and, at
	// each new peak, writes the Go runtime's memory statistics and a heap
	// profile to <file>.<pid>.txt and <file>.<pid>.heap (see BENCHMARKS.md).
	if p := os.Getenv("NHI_MEMPROFILE"); p != "" {
		stop := watchMemory(fmt.Sprintf("%s.%d", p, os.Getpid()))
		defer stop()
	}

	// What providerserver.Serve does, with the framework's protocol server
	// wrapped so that it does not keep every request's context (serve.go).
	var opts []tf6server.ServeOpt
	if debug {
		opts = append(opts, tf6server.WithManagedDebug())
	}
	newServer := providerserver.NewProtocol6(provider.New(version)())
	err := tf6server.Serve("registry.terraform.io/nhi-ops/nhi", func() tfprotov6.ProviderServer {
		return releaseContexts(newServer())
	}, opts...)
	if err != nil {
		pprof.StopCPUProfile()
		log.Fatal(err.Error())
	}
}

// quietUnlessLogging turns the plugin SDK's and the provider's loggers off
// when Terraform was started without any TF_LOG setting. Terraform then
// discards every log line a provider writes, but the SDK's loggers, whose
// level is unset, still format each one at TRACE: at 1,000 identities that
// was about a third of a plan's CPU (see BENCHMARKS.md). With TF_LOG (or any
// TF_LOG_* the SDK reads) set, nothing changes.
func quietUnlessLogging() {
	for _, k := range []string{"TF_LOG", "TF_LOG_PROVIDER", "TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK", "TF_LOG_SDK_HELPER_SCHEMA", "TF_LOG_PATH", "TF_ACC_LOG_PATH"} {
		if os.Getenv(k) != "" {
			return
		}
	}
	for _, k := range []string{"TF_LOG_PROVIDER", "TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK"} {
		_ = os.Setenv(k, "OFF")
	}
}
