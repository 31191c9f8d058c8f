package driftcmd

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// The CI examples (examples/ci, shown by the CI pipelines guide) stay true:
// their shard templates parse once the job fills them in, each shard's
// source is named as its matrix entry, --expect-shards lists exactly the
// matrix's shards, and every flag they pass exists.
func TestCIExamples(t *testing.T) {
	dir := filepath.Join("..", "..", "examples", "ci")
	for _, c := range []struct{ template, shard, env string }{{"cluster", "prod-eu", "prod"}, {"account", "aws-staging", "staging"}} {
		p := filepath.Join(dir, "nhi-drift", c.template+".hcl")
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		vals := map[string]string{"SHARD": c.shard, "ENVIRONMENT": c.env, "KUBE_CONTEXT": "ctx", "AWS_ROLE": "arn:aws:iam::111111111111:role/nhi-drift-reader"}
		filled := os.Expand(string(b), func(k string) string {
			v, ok := vals[k]
			if !ok {
				t.Errorf("%s: ${%s} is not filled in by the jobs", p, k)
			}
			return v
		})
		if strings.Count(filled, "\n") != strings.Count(string(b), "\n") {
			t.Errorf("%s: filling it in changes its lines", p)
		}
		cfg, diags := ParseConfig(p, []byte(filled), testSystems)
		if diags.HasErrors() {
			t.Fatalf("%s: %s", p, diags.Error())
		}
		if len(cfg.Sources) != 1 || cfg.Sources[0].Name != c.shard || cfg.Sources[0].Environment != c.env {
			t.Errorf("%s: sources %+v", p, cfg.Sources)
		}
	}

	flags := func(args ...string) string {
		var errb bytes.Buffer
		Main(context.Background(), args, IO{Stdout: &bytes.Buffer{}, Stderr: &errb}, "test", testSystems)
		return errb.String()
	}
	driftFlags, mergeFlags := flags("-h"), flags("merge", "-h")
	flagRE := regexp.MustCompile(`(?:^|\s)--([a-z-]+)`)
	shardRE := regexp.MustCompile(`(?i)\{ shard: ([a-z0-9-]+),`)
	expectRE := regexp.MustCompile(`drift merge --expect-shards ([a-z0-9,-]+)`)
	for _, name := range []string{"github-actions.yml", "gitlab-ci.yml"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		var shards []string
		for _, m := range shardRE.FindAllStringSubmatch(string(b), -1) {
			shards = append(shards, m[1])
		}
		sort.Strings(shards)
		exp := expectRE.FindStringSubmatch(string(b))
		if exp == nil {
			t.Fatalf("%s: no drift merge --expect-shards", name)
		}
		want := strings.Split(exp[1], ",")
		sort.Strings(want)
		if len(shards) == 0 || strings.Join(shards, ",") != strings.Join(want, ",") {
			t.Errorf("%s: matrix shards %v, --expect-shards %v", name, shards, want)
		}
		// Commands continue over lines ending in "\".
		text := strings.ReplaceAll(string(b), "\\\n", " ")
		for _, line := range strings.Split(text, "\n") {
			var usage string
			switch {
			case strings.Contains(line, " drift merge "):
				usage = mergeFlags
			case strings.Contains(line, " drift --"):
				usage = driftFlags
			default:
				continue
			}
			for _, m := range flagRE.FindAllStringSubmatch(line, -1) {
				if !strings.Contains(usage, "  -"+m[1]+" ") && !strings.Contains(usage, "  -"+m[1]+"\n") {
					t.Errorf("%s: --%s is not a flag of that command:\n%s", name, m[1], strings.TrimSpace(line))
				}
			}
		}
	}
}
