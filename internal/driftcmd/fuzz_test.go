package driftcmd

import (
	"testing"
)

// The parsers take untrusted input (a config file from a repository, a
// state piped from stdin): they must never panic, and anything they accept
// must be usable.

func FuzzParseConfig(f *testing.F) {
	for _, seed := range []string{
		"source \"kubernetes\" \"k\" {\n  kubeconfig = \"x\"\n  namespaces = [\"a\"]\n}\n",
		"source \"kubernetes\" \"k\" {}\npolicy {\n  warn_before = \"30d\"\n  privileged_scopes = [\"clusterrole:*\"]\n}\n",
		"source \"kubernetes\" \"k\" {}\nexception \"e\" {\n  identity = \"a/*\"\n  rules = [\"NHI009\"]\n  reason = \"r\"\n  expires = \"2027-01-01\"\n}\n",
		"owners { file = \"o\" }",
		"source \"kubernetes\" \"k\" { namespaces = [1, null] }",
		"policy { stale_after = 5 }",
		"source \"x\" {",
		"${}",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		cfg, diags := ParseConfig("fuzz.hcl", src, testSystems)
		if diags.HasErrors() {
			for _, d := range diags {
				if d.Summary == "" {
					t.Fatalf("diagnostic without summary: %#v", d)
				}
			}
			return
		}
		if cfg == nil || len(cfg.Sources) == 0 {
			t.Fatal("an accepted configuration must have a source")
		}
		for _, ex := range cfg.Exceptions {
			if ex.Reason == "" || ex.Expires.IsZero() || len(ex.Rules) == 0 {
				t.Fatalf("accepted an exception without reason, expiry or rules: %+v", ex)
			}
		}
	})
}

func FuzzParseState(f *testing.F) {
	for _, seed := range []string{
		`{"version":4,"resources":[{"mode":"managed","type":"nhi_kubernetes_service_account","name":"a","instances":[{"index_key":"x","attributes":{"id":"ns/a"}}]}]}`,
		`{"format_version":"1.0","values":{"root_module":{"resources":[{"address":"nhi_kubernetes_service_account.a","mode":"managed","type":"nhi_kubernetes_service_account","values":{"id":"ns/a"}}],"child_modules":[{"resources":[]}]}}}`,
		`{"version":3}`, `{}`, `[]`, `null`, `{"version":4,"resources":{}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		decls, err := ParseState(b, testSystems)
		if err != nil {
			return
		}
		for _, d := range decls {
			if d.ID == "" || d.Address == "" || d.System == "" {
				t.Fatalf("declaration with an empty field: %+v", d)
			}
		}
	})
}
