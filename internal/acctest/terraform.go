package acctest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/hashicorp/go-version"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"

	"github.com/nhi-ops/terraform-provider-nhi/internal/provider"
)

// Terraform versions. make test runs the whole suite on a Terraform built
// from the module proxy (scripts/terraform-build.sh, at least
// MinTerraformActions) and a compatibility subset on the oldest supported
// one (1.11); TF_ACC_TERRAFORM_PATH names the binary, as for
// terraform-plugin-testing.

// EnvTerraformPath is terraform-plugin-testing's variable naming the
// Terraform binary the acceptance tests run.
const EnvTerraformPath = "TF_ACC_TERRAFORM_PATH"

// MinTerraformActions is the first Terraform with actions, list resources
// and `terraform query`.
const MinTerraformActions = "1.14.0"

// TerraformPath is the Terraform binary the acceptance tests run:
// TF_ACC_TERRAFORM_PATH, else terraform on PATH.
func TerraformPath(t testing.TB) string {
	t.Helper()
	if p := os.Getenv(EnvTerraformPath); p != "" {
		return p
	}
	p, err := exec.LookPath("terraform")
	if err != nil {
		t.Fatalf("no Terraform: set %s (make test builds one with scripts/terraform-build.sh) or put terraform on PATH", EnvTerraformPath)
	}
	return p
}

// TerraformVersion is the version of TerraformPath.
func TerraformVersion(t testing.TB) *version.Version {
	t.Helper()
	bin := TerraformPath(t)
	out, err := exec.Command(bin, "version", "-json").Output()
	if err != nil {
		t.Fatalf("%s version -json: %v", bin, err)
	}
	var v struct {
		Version string `json:"terraform_version"`
	}
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("%s version -json printed %q: %v", bin, out, err)
	}
	parsed, err := version.NewVersion(v.Version)
	if err != nil {
		t.Fatalf("%s reports version %q: %v", bin, v.Version, err)
	}
	return parsed
}

// RequireTerraform skips the test, saying why, when the Terraform it runs
// is older than min. make test never runs such a test on an older one
// (its compatibility subset leaves them out), so a skip there fails the run.
func RequireTerraform(t testing.TB, min string) {
	t.Helper()
	have := TerraformVersion(t)
	if have.LessThan(version.Must(version.NewVersion(min))) {
		t.Skipf("%s=%s is Terraform %s; this test needs Terraform %s or later (actions, list resources). "+
			"scripts/terraform-build.sh builds one (make terraform prints its path); make test and make testacc use it.",
			EnvTerraformPath, TerraformPath(t), have, min)
	}
}

// CLI runs Terraform commands in a working directory of its own against
// the provider served in this process (as terraform-plugin-testing does,
// through TF_REATTACH_PROVIDERS), for what terraform-plugin-testing
// cannot drive, such as `terraform apply -invoke=action.<type>.<name>`.
type CLI struct {
	t   *testing.T
	bin string
	// Dir is the working directory.
	Dir string
}

// NewCLI returns a CLI in a fresh directory on TerraformPath.
func NewCLI(t *testing.T) *CLI {
	t.Helper()
	return &CLI{t: t, bin: TerraformPath(t), Dir: t.TempDir()}
}

// Write replaces the configuration (main.tf).
func (c *CLI) Write(config string) {
	c.t.Helper()
	if err := os.WriteFile(filepath.Join(c.Dir, "main.tf"), []byte(config), 0o600); err != nil {
		c.t.Fatal(err)
	}
}

// Run runs one Terraform command with a fresh provider server and returns
// its combined output; err is the command's failure.
func (c *CLI) Run(args ...string) (string, error) {
	c.t.Helper()
	return c.run(true, args...)
}

func (c *CLI) run(logOutput bool, args ...string) (string, error) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	srvCtx, stop := context.WithCancel(ctx)
	reattach := make(chan *plugin.ReattachConfig, 1)
	closed := make(chan struct{})
	serveErr := make(chan error, 1)
	go func() {
		serveErr <- tf6server.Serve("registry.terraform.io/hashicorp/nhi", providerserver.NewProtocol6(provider.New("test")()),
			tf6server.WithDebug(srvCtx, reattach, closed),
			tf6server.WithGoPluginLogger(hclog.NewNullLogger()),
			// The provider's logs go to the test log, as TF_LOG says
			// (nothing when unset), never this process's stderr.
			tf6server.WithLoggingSink(c.t),
			tf6server.WithoutLogStderrOverride())
	}()
	var cfg *plugin.ReattachConfig
	select {
	case cfg = <-reattach:
	case err := <-serveErr:
		stop()
		c.t.Fatalf("serving the provider: %v", err)
	case <-time.After(30 * time.Second):
		stop()
		c.t.Fatal("the provider server did not start within 30s")
	}
	defer func() {
		stop()
		<-closed
	}()
	type addr struct{ Network, String string }
	type reattachConfig struct {
		Protocol        string
		ProtocolVersion int
		Pid             int
		Test            bool
		Addr            addr
	}
	env, err := json.Marshal(map[string]reattachConfig{"registry.terraform.io/hashicorp/nhi": {
		Protocol: string(cfg.Protocol), ProtocolVersion: cfg.ProtocolVersion, Pid: cfg.Pid, Test: cfg.Test,
		Addr: addr{Network: cfg.Addr.Network(), String: cfg.Addr.String()},
	}})
	if err != nil {
		c.t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, c.bin, args...)
	cmd.Dir = c.Dir
	cmd.Env = append(os.Environ(), "TF_REATTACH_PROVIDERS="+string(env), "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	if logOutput || err != nil {
		c.t.Logf("terraform %v:\n%s", args, out.String())
	}
	if err != nil {
		return out.String(), fmt.Errorf("terraform %v: %w", args, err)
	}
	return out.String(), nil
}

// MustRun is Run that fails the test when the command fails.
func (c *CLI) MustRun(args ...string) string {
	c.t.Helper()
	out, err := c.Run(args...)
	if err != nil {
		c.t.Fatalf("%v\n%s", err, out)
	}
	return out
}

// PlannedActions plans the configuration and returns each resource
// change's actions by address ("create", "update", "delete"; a resource
// with no change is left out).
func (c *CLI) PlannedActions() map[string][]string {
	c.t.Helper()
	c.MustRun("plan", "-input=false", "-no-color", "-out=tfplan")
	// Not logged: a plan's JSON holds sensitive values in the clear.
	js, err := c.run(false, "show", "-json", "tfplan")
	if err != nil {
		c.t.Fatal(err)
	}
	var plan struct {
		ResourceChanges []struct {
			Address string `json:"address"`
			Change  struct {
				Actions []string `json:"actions"`
			} `json:"change"`
		} `json:"resource_changes"`
	}
	// terraform show -json prints the plan alone on stdout; Run combines
	// it with stderr, which is empty for show.
	if err := json.Unmarshal([]byte(js), &plan); err != nil {
		c.t.Fatalf("reading the plan: %v\n%s", err, js)
	}
	out := map[string][]string{}
	for _, rc := range plan.ResourceChanges {
		if len(rc.Change.Actions) == 1 && rc.Change.Actions[0] == "no-op" {
			continue
		}
		out[rc.Address] = rc.Change.Actions
	}
	return out
}

// Destroy runs terraform destroy when the test ends.
func (c *CLI) Destroy() {
	c.t.Cleanup(func() {
		if _, err := c.Run("destroy", "-auto-approve", "-input=false", "-no-color"); err != nil {
			c.t.Errorf("destroying what the test made: %v", err)
		}
	})
}
