package report

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	awsc "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/aws"
	k8s "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/kubernetes"
	"github.com/nhi-ops/terraform-provider-nhi/internal/drift"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// sample is a fixed report: every field set, one suppressed finding, one
// incomplete source, an owners directory that could not be read.
func sample() drift.Report {
	at := time.Date(2027, 1, 15, 9, 30, 0, 0, time.UTC)
	src := &drift.Location{File: "/repo/nhi-drift.hcl", Line: 1, Column: 1}
	res := &drift.Location{File: "/repo/infra/identities.tf", Line: 12, Column: 1}
	ex := &drift.Location{File: "/repo/nhi-drift.hcl", Line: 20, Column: 1}
	ci := drift.IdentityRef{System: "kubernetes", Source: "prod", Kind: "service_account", ID: "ci/deployer", Name: "deployer", Owner: "team:platform"}
	shadow := drift.IdentityRef{System: "kubernetes", Source: "prod", Kind: "service_account", ID: "default/shadow|admin", Name: "shadow|admin"}
	f := func(rule string, sev drift.Severity, ref drift.IdentityRef, msg string, loc *drift.Location, fp string) drift.Finding {
		r, _ := drift.RuleByID(rule)
		return drift.Finding{RuleID: rule, Severity: sev, OWASP: r.OWASP, Identity: ref, Message: msg, Remediation: r.Remediation, Location: loc, Fingerprint: fp}
	}
	reused := f("NHI010", drift.SeverityMedium, ci, "service account ci/deployer is used by 2 workloads: CronJob ci/nightly, Deployment ci/web", res, "44444444444444444444444444444444")
	reused.Suppressed = &drift.Suppression{Exception: "ci-reuse", Reason: "one product", Ticket: "SEC-1", Expires: "2027-06-30"}
	return drift.Report{
		Complete: false, EvaluatedAt: at,
		Sources: []drift.SourceStatus{
			{Name: "prod", System: "kubernetes", Complete: true, Identities: 3},
			{Name: "staging", System: "kubernetes", Complete: false, Error: "listing service accounts: connection refused"},
		},
		Findings: []drift.Finding{
			f("NHI004", drift.SeverityCritical, ci, "service account ci/deployer expired at 2027-01-01T00:00:00Z (14 days ago) and still holds clusterrole:view", res, "11111111111111111111111111111111"),
			f("NHI001", drift.SeverityHigh, shadow, `service account default/shadow|admin exists in source "prod" but is not declared; it holds privileged scopes`, src, "22222222222222222222222222222222"),
			f("NHI011", drift.SeverityMedium, drift.IdentityRef{System: "drift-config", Source: "exceptions", Kind: "exception", ID: "old", Name: "old"}, `exception "old" for ci/* (NHI009) expired on 2027-01-01: migration`, ex, "33333333333333333333333333333333"),
			reused,
		},
		Owners:   &drift.OwnersStatus{Directory: "ldap://ldap.example.com:636", Error: "ldap://ldap.example.com:636: bind as cn=nhi-drift,dc=example,dc=com refused (check bind_dn and bind_password)"},
		Excluded: []drift.ExcludedIdentity{{Identity: drift.IdentityRef{System: "kubernetes", Source: "prod", Kind: "service_account", ID: "kube-system/default", Name: "default"}, Reason: k8s.ReasonSystemNamespace}},
		Scanned:  []drift.IdentityRef{ci, shadow},
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		t.Fatalf("%s is missing; run go test ./internal/report -update", p)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output (run go test ./internal/report -update and review the diff):\n%s", p, got)
	}
}

func TestGoldenFormats(t *testing.T) {
	for _, f := range Formats {
		t.Run(f, func(t *testing.T) {
			var b bytes.Buffer
			if err := Render(&b, f, sample(), Options{Version: "1.2.3", BaseDir: "/repo", Verbose: true}); err != nil {
				t.Fatal(err)
			}
			golden(t, "report."+f, b.Bytes())
		})
	}
	t.Run("text in colour", func(t *testing.T) {
		var b bytes.Buffer
		if err := Text(&b, sample(), Options{Color: true}); err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(b.Bytes(), []byte("\x1b[1;35mCRITICAL\x1b[0m")) {
			t.Errorf("no colour on a terminal:\n%s", b.String())
		}
	})
}

func TestGoldenImports(t *testing.T) {
	yes := true
	var b bytes.Buffer
	err := Imports(&b, testSystems, []Adoption{
		{Source: "prod", Identity: nhi.Identity{System: k8s.SystemName, Kind: k8s.KindServiceAccount, Ref: nhi.Ref{Location: "team-a", Name: "runner"},
			EffectiveScopes: []string{"clusterrole:edit@team-a", "clusterrole:view"}, Labels: map[string]string{"app": "runner"},
			Credentials: []nhi.Credential{{ID: "team-a/runner-token-x7k2p", Kind: k8s.CredentialLegacyToken}}}},
		{Source: "prod", Identity: nhi.Identity{System: k8s.SystemName, Kind: k8s.KindServiceAccount, Ref: nhi.Ref{Location: "9ns", Name: "x.y"}, AutomountToken: &yes}},
		{Source: "aws", Identity: nhi.Identity{System: awsc.SystemName, Kind: awsc.KindIAMUser, Ref: nhi.Ref{Location: "user", Name: "legacy-ci"}, Path: "/ci/",
			EffectiveScopes: []string{"group:deployers", "inline:artifacts", "policy:arn:aws:iam::aws:policy/ReadOnlyAccess"}, Labels: map[string]string{"cost-center": "42"},
			InlinePolicies: map[string]string{"artifacts": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::a/*"}]}`}}},
		{Source: "aws", Identity: nhi.Identity{System: awsc.SystemName, Kind: awsc.KindIAMRole, Ref: nhi.Ref{Location: "role", Name: "deploy"}, Path: "/",
			TrustPolicy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`}},
	})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "imports.tf", b.Bytes())
	var empty bytes.Buffer
	if err := Imports(&empty, testSystems, nil); err != nil || !bytes.Contains(empty.Bytes(), []byte("No undeclared identities")) {
		t.Errorf("empty imports: %q %v", empty.String(), err)
	}
}

func TestFileURI(t *testing.T) {
	for in, want := range map[string]string{
		"/repo/a b/x.tf":  "a%20b/x.tf",
		"/elsewhere/x.tf": "file:///elsewhere/x.tf",
		"/repo/c:d.tf":    "./c:d.tf",
	} {
		if got := fileURI(in, "/repo"); got != want {
			t.Errorf("fileURI(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTextFooterCountsInTheSingular(t *testing.T) {
	r := sample()
	r.Scanned, r.Sources = r.Scanned[:1], r.Sources[:1]
	var b bytes.Buffer
	if err := Text(&b, r, Options{}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b.Bytes(), []byte("1 identity scanned in 1 source (")) {
		t.Errorf("footer does not count one identity and one source in the singular:\n%s", b.String())
	}
}
