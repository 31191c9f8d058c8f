package driftcmd

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/nhi-ops/terraform-provider-nhi/internal/drift"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/report"
	"github.com/nhi-ops/terraform-provider-nhi/internal/system"
)

// Exit codes.
const (
	ExitClean      = 0 // no finding at or above --fail-on
	ExitConfig     = 1 // usage or configuration error
	ExitFindings   = 2 // findings at or above --fail-on
	ExitIncomplete = 3 // a source could not be fully scanned
)

// EnvEvaluationTime is shared with the provider.
const EnvEvaluationTime = "NHI_EVALUATION_TIME"

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

// IO is where the command reads and writes.
type IO struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// StdoutIsTerminal enables colours in text output.
	StdoutIsTerminal bool
}

const usage = `Usage: terraform-provider-nhi drift [flags]

Scans the sources in the drift configuration for non-human identities and
reports drift, expiry, ownership and risk findings.

Exit codes: 0 no finding at or above --fail-on (nor a new one at or above
--fail-on-new); 2 findings at or above --fail-on, or new since --baseline at
or above --fail-on-new; 1 usage or configuration error; 3 incomplete (a
source could not be fully scanned, or the owners directory could not be
read; the report is still written).

Flags:
`

// Main runs the drift command and returns its exit code. systems are the
// registered systems: the source types, the resource types in state and
// configuration, and how adopted identities are written.
func Main(ctx context.Context, args []string, stdio IO, version string, systems *system.Registry) int {
	if len(args) > 0 && args[0] == "merge" {
		return Merge(ctx, args[1:], stdio, version, systems) // merge.go
	}
	fs := flag.NewFlagSet("drift", flag.ContinueOnError)
	fs.SetOutput(stdio.Stderr)
	fs.Usage = func() {
		fmt.Fprint(stdio.Stderr, usage)
		fs.PrintDefaults()
	}
	var states, configDirs, outputs multi
	configFile := fs.String("config", "nhi-drift.hcl", "drift configuration `file`")
	fs.Var(&states, "state", "Terraform state `file`, or the output of `terraform show -json`, or - for stdin (repeatable)")
	fs.Var(&configDirs, "config-dir", "Terraform configuration `directory`, to point findings at resource blocks (repeatable)")
	format := fs.String("format", "text", "format on stdout: "+strings.Join(report.Formats, ", "))
	fs.Var(&outputs, "output", "also write `FORMAT=PATH` (repeatable), such as sarif=nhi.sarif")
	failOn := fs.String("fail-on", "high", "exit 2 when a finding is at or above this `severity`: low, medium, high, critical, or none")
	at := fs.String("at", "", "evaluate as of this `time` (RFC 3339 or YYYY-MM-DD) instead of now; default $"+EnvEvaluationTime)
	imports := fs.String("generate-imports", "", "write import and resource blocks for undeclared identities to `file`")
	verbose := fs.Bool("verbose", false, "list identities left out by default exclusions")
	timeout := fs.Duration("timeout", 5*time.Minute, "time limit for scanning one source")
	baseFlags := addBaselineFlags(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitClean
		}
		return ExitConfig
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stdio.Stderr, "Error: "+format+"\n", a...)
		return ExitConfig
	}
	if fs.NArg() > 0 {
		return fail("unexpected argument %q; see `terraform-provider-nhi drift -h`", fs.Arg(0))
	}
	rf, msg := loadReportFlags(fs, *format, outputs, *failOn, baseFlags)
	if msg != "" {
		return fail("%s", msg)
	}
	base := rf.base
	now := time.Now().UTC()
	if v, src := *at, "--at"; v != "" || os.Getenv(EnvEvaluationTime) != "" {
		if v == "" {
			v, src = os.Getenv(EnvEvaluationTime), EnvEvaluationTime
		}
		t, err := nhi.ParseExpiry(v)
		if err != nil {
			return fail("%s %v", src, err)
		}
		now = t
	}

	src, err := os.ReadFile(*configFile)
	if err != nil {
		return fail("reading the drift configuration: %v (write one, or point --config at it; see docs/guides/drift-reporter.md)", err)
	}
	cfg, diags := ParseConfig(*configFile, src, systems)
	if diags.HasErrors() {
		printDiags(stdio.Stderr, diags)
		return ExitConfig
	}
	in := drift.Input{Systems: systems, Now: now, Policy: cfg.Policy, Exceptions: cfg.Exceptions}
	ownerDir, err := openOwners(cfg.Owners)
	if err != nil {
		return fail("%v", err)
	}
	for _, s := range states {
		var b []byte
		if s == "-" {
			b, err = io.ReadAll(stdio.Stdin)
		} else {
			b, err = os.ReadFile(s)
		}
		if err != nil {
			return fail("--state %s: %v", s, err)
		}
		decls, err := ParseState(b, systems)
		if err != nil {
			return fail("--state %s: %v", s, err)
		}
		in.StateGiven = true
		in.Declarations = append(in.Declarations, decls...)
	}
	var resources []ConfigResource
	for _, d := range configDirs {
		r, err := ScanConfigDir(d, systems)
		if err != nil {
			return fail("%v", err)
		}
		resources = append(resources, r...)
	}
	in.ResourceLocations = resourceLocations(resources, in.Declarations)

	in.Sources = scanAll(ctx, cfg.Sources, *timeout, stdio.Stderr)
	if ownerDir != nil {
		in.Owners = lookupOwners(ctx, ownerDir, in, *timeout)
	}
	rep := drift.Evaluate(in)
	base.compare(&rep)

	cwd, _ := os.Getwd()
	ropts := report.Options{Version: version, BaseDir: cwd, Color: stdio.StdoutIsTerminal && os.Getenv("NO_COLOR") == "", Verbose: *verbose}
	if msg := rf.writeReports(stdio, *format, rep, ropts); msg != "" {
		return fail("%s", msg)
	}
	if *imports != "" {
		var buf bytes.Buffer
		if err := report.Imports(&buf, systems, adoptions(in.Sources, rep)); err != nil {
			return fail("writing %s: %v", *imports, err)
		}
		if err := os.WriteFile(*imports, buf.Bytes(), 0o644); err != nil {
			return fail("writing %s: %v", *imports, err)
		}
	}

	writeHeapProfile(in, rep)

	switch {
	case !rep.Complete:
		for _, s := range rep.Sources {
			if !s.Complete {
				fmt.Fprintf(stdio.Stderr, "Incomplete: source %q could not be fully scanned: %s\n", s.Name, s.Error)
			}
		}
		if o := rep.Owners; o != nil && !o.Complete {
			fmt.Fprintf(stdio.Stderr, "Incomplete: the owners directory %s could not be read, so no owner was checked against it (NHI006): %s\n", o.Directory, o.Error)
		}
		return ExitIncomplete
	case rf.threshold != "" && rep.Worst().Rank() >= rf.threshold.Rank():
		return ExitFindings
	case base.failsOnNew(rep, stdio.Stderr):
		return ExitFindings
	}
	return ExitClean
}

func validFormat(f string) bool {
	for _, v := range report.Formats {
		if v == f {
			return true
		}
	}
	return false
}

// printDiags prints HCL diagnostics as file:line:col: summary; detail.
func printDiags(w io.Writer, diags hcl.Diagnostics) {
	for _, d := range diags {
		where := ""
		if d.Subject != nil {
			where = fmt.Sprintf("%s:%d:%d: ", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column)
		}
		sev := "Error"
		if d.Severity == hcl.DiagWarning {
			sev = "Warning"
		}
		fmt.Fprintf(w, "%s%s: %s; %s\n", where, sev, d.Summary, d.Detail)
	}
}

// scanAll scans every source concurrently, each within its own time limit.
// A source that fails is returned with its error, never dropped.
func scanAll(ctx context.Context, sources []SourceConfig, limit time.Duration, progress io.Writer) []drift.Source {
	out := make([]drift.Source, len(sources))
	var wg sync.WaitGroup
	var mu sync.Mutex
	started := time.Now()
	done := make(chan struct{})
	// Say what is happening when a scan takes more than a moment.
	go func() {
		select {
		case <-done:
		case <-time.After(2 * time.Second):
			mu.Lock()
			fmt.Fprintf(progress, "scanning %d sources...\n", len(sources))
			mu.Unlock()
		}
	}()
	for i, sc := range sources {
		wg.Add(1)
		go func(i int, sc SourceConfig) {
			defer wg.Done()
			l := sc.Location
			s := drift.Source{Name: sc.Name, System: sc.Type, Locations: sc.Config.Locations(), Location: &l, Environment: sc.Environment}
			sctx, cancel := context.WithTimeout(ctx, limit)
			defer cancel()
			s.Identities, s.Deliveries, s.Err = scan(sctx, sc.Config)
			if s.Err != nil && sctx.Err() != nil {
				s.Err = fmt.Errorf("timed out after %s: %w", limit, s.Err)
			}
			out[i] = s
			if time.Since(started) > 2*time.Second {
				mu.Lock()
				fmt.Fprintf(progress, "source %s: %d identities in %s\n", sc.Name, len(s.Identities), time.Since(started).Round(time.Millisecond))
				mu.Unlock()
			}
		}(i, sc)
	}
	wg.Wait()
	close(done)
	return out
}

// scan connects to one source and scans it.
func scan(ctx context.Context, cfg system.SourceConfig) ([]nhi.Identity, []drift.Delivery, error) {
	sc, err := cfg.Connect(ctx)
	if err != nil {
		return nil, nil, err
	}
	ids, err := sc.Scan(ctx, cfg.Locations())
	if err != nil {
		return ids, nil, err
	}
	dels, err := scanDeliveries(ctx, sc, cfg.Locations())
	return ids, dels, err
}

// adoptions are the undeclared identities that NHI001 reported.
func adoptions(sources []drift.Source, rep drift.Report) []report.Adoption {
	want := map[string]bool{}
	for _, f := range rep.Findings {
		if f.RuleID == drift.RuleUndeclared && f.Suppressed == nil {
			want[f.Identity.Source+"\x00"+f.Identity.ID] = true
		}
	}
	var out []report.Adoption
	for _, s := range sources {
		for _, id := range s.Identities {
			if want[s.Name+"\x00"+id.Ref.String()] {
				out = append(out, report.Adoption{Source: s.Name, Identity: id})
			}
		}
	}
	return out
}

// writeHeapProfile writes the live heap, while the scan and the report are
// still held, to NHI_MEMPROFILE (for the memory notes in BENCHMARKS.md).
func writeHeapProfile(in drift.Input, rep drift.Report) {
	p := os.Getenv("NHI_MEMPROFILE")
	if p == "" {
		return
	}
	runtime.GC()
	if f, err := os.Create(p); err == nil {
		_ = pprof.WriteHeapProfile(f)
		_ = f.Close()
	}
	runtime.KeepAlive(in)
	runtime.KeepAlive(rep)
}
