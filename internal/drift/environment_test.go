package drift

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	awsc "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/aws"
	k8s "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/kubernetes"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

func envMessages(r Report) []string {
	var out []string
	for _, f := range r.Findings {
		if f.RuleID == RuleEnvironment {
			out = append(out, f.Identity.Source+":"+f.Identity.ID+": "+f.Message)
		}
	}
	return out
}

func wantLines(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s differ.\ngot:\n  %s\nwant:\n  %s", what, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// One IAM user seen through sources of two environments is NHI015, once,
// naming both environments and their sources; a source without an
// environment is not one. Two users that share a name but not a unique ID
// are two identities.
func TestEnvironmentSameIdentityInTwoEnvironments(t *testing.T) {
	deployer := awsUser("deployer")
	other := awsUser("twin")
	otherStaging := awsUser("twin")
	otherStaging.ID = "AIDATWINSTAGING"
	onlyProd := awsUser("only-prod")
	in := Input{Systems: testSystems, Now: now, Policy: DefaultPolicy(testSystems), Sources: []Source{
		{Name: "aws-staging", System: awsc.SystemName, Environment: "staging", Identities: []nhi.Identity{deployer, otherStaging}},
		{Name: "aws-prod", System: awsc.SystemName, Environment: "prod", Identities: []nhi.Identity{deployer, other, onlyProd}},
		{Name: "aws-unlabelled", System: awsc.SystemName, Identities: []nhi.Identity{deployer, onlyProd}},
	}}
	r := Evaluate(in)
	wantLines(t, "NHI015 findings", envMessages(r),
		`aws-prod:user/deployer: IAM user user/deployer is used from 2 environments: prod (source "aws-prod"), staging (source "aws-staging")`)
	var f Finding
	for _, x := range r.Findings {
		if x.RuleID == RuleEnvironment {
			f = x
		}
	}
	if f.Severity != SeverityHigh || f.OWASP != "NHI8:2025 Environment Isolation" || f.Identity.UID != "AIDADEPLOYER" || f.Remediation == "" {
		t.Errorf("NHI015 finding: %+v", f)
	}

	// The finding does not depend on the order of the source blocks.
	in.Sources[0], in.Sources[1] = in.Sources[1], in.Sources[0]
	again := Evaluate(in)
	for _, x := range again.Findings {
		if x.RuleID == RuleEnvironment && (x.Fingerprint != f.Fingerprint || x.Message != f.Message || x.Identity.Source != f.Identity.Source) {
			t.Errorf("NHI015 changed with the order of sources: %+v, was %+v", x, f)
		}
	}

	// Without environment labels there is nothing to judge.
	for i := range in.Sources {
		in.Sources[i].Environment = ""
	}
	if got := envMessages(Evaluate(in)); len(got) != 0 {
		t.Errorf("NHI015 without environments: %v", got)
	}
}

// A credential delivered into a source of an environment uses its identity
// from there: the same user's key in Secrets of a prod and a staging
// cluster is NHI015 on the user, naming the key and both Secrets. An
// inactive key, and deliveries within one environment, are not.
func TestEnvironmentDeliveredCredentials(t *testing.T) {
	key := func(id string, inactive bool) nhi.Credential {
		return nhi.Credential{ID: id, Kind: awsc.CredentialAccessKey, Inactive: inactive, CreatedAt: now.Add(-time.Hour)}
	}
	ci := awsUser("ci", func() []string { return nil }()...)
	ci.Credentials = []nhi.Credential{key("AKIACI1", false), key("AKIACI2", false)}
	old := awsUser("old")
	old.Credentials = []nhi.Credential{key("AKIAOLD", true)}
	local := awsUser("local")
	local.Credentials = []nhi.Credential{key("AKIALOCAL", false)}
	in := Input{Systems: testSystems, Now: now, Policy: DefaultPolicy(testSystems), Sources: []Source{
		{Name: "aws", System: awsc.SystemName, Identities: []nhi.Identity{ci, old, local}},
		{Name: "prod-eu", System: k8s.SystemName, Environment: "prod", Deliveries: []Delivery{
			{Where: "apps/aws-creds", CredentialID: "AKIACI1"}, {Where: "apps/old", CredentialID: "AKIAOLD"}, {Where: "apps/local", CredentialID: "AKIALOCAL"}}},
		{Name: "prod-us", System: k8s.SystemName, Environment: "prod", Deliveries: []Delivery{{Where: "apps/local", CredentialID: "AKIALOCAL"}}},
		{Name: "staging-eu", System: k8s.SystemName, Environment: "staging", Deliveries: []Delivery{
			{Where: "ci/aws", CredentialID: "AKIACI2"}, {Where: "ci/old", CredentialID: "AKIAOLD"}}},
	}}
	r := Evaluate(in)
	wantLines(t, "NHI015 findings", envMessages(r),
		`aws:user/ci: IAM user user/ci is used from 2 environments: prod (access key AKIACI1 delivered to apps/aws-creds in source "prod-eu"), staging (access key AKIACI2 delivered to ci/aws in source "staging-eu")`)
	if r.Estate == nil || len(r.Estate.Deliveries) != 6 || r.Estate.Deliveries[0].Source != "prod-eu" {
		t.Errorf("the report's estate does not carry the deliveries with their sources: %+v", r.Estate)
	}

	// The user's own source counts when it has an environment.
	in.Sources[0].Environment = "shared"
	wantLines(t, "NHI015 findings", envMessages(Evaluate(in)),
		`aws:user/ci: IAM user user/ci is used from 3 environments: prod (access key AKIACI1 delivered to apps/aws-creds in source "prod-eu"), shared (source "aws"), staging (access key AKIACI2 delivered to ci/aws in source "staging-eu")`,
		`aws:user/local: IAM user user/local is used from 2 environments: prod (access key AKIALOCAL delivered to apps/local in source "prod-eu"; access key AKIALOCAL delivered to apps/local in source "prod-us"), shared (source "aws")`)
}

// An exception accepts NHI015 like any rule; the report records the
// identities (with uid and active credentials) and the exceptions that a
// merge needs to judge it again.
func TestEnvironmentExceptionAndEstate(t *testing.T) {
	sa := declared("runner", func(id *nhi.Identity) {
		id.ID = "uid-runner"
		id.Credentials = []nhi.Credential{{ID: "ci/runner-token", UID: "uid-token", Kind: k8s.CredentialLegacyToken, Declared: true}}
	})
	ex := Exception{ID: "shared-runner", Identity: "ci/runner", Rules: []string{RuleEnvironment}, Reason: "migration", Ticket: "SEC-9", Expires: now.Add(24 * time.Hour)}
	in := Input{Systems: testSystems, Now: now, Policy: DefaultPolicy(testSystems), Exceptions: []Exception{ex}, Sources: []Source{
		{Name: "a", System: k8s.SystemName, Environment: "prod", Identities: []nhi.Identity{sa}},
		{Name: "b", System: k8s.SystemName, Environment: "dev", Identities: []nhi.Identity{sa}},
	}}
	r := Evaluate(in)
	wantFindings(t, r, "NHI015 a:ci/runner (suppressed by shared-runner)")
	if r.Sources[0].Environment != "prod" || r.Sources[1].Environment != "dev" {
		t.Errorf("source statuses lack their environment: %+v", r.Sources)
	}
	var ids []string
	_ = r.Estate.Identities.Each(func(s ScannedIdentity) error {
		b, _ := json.Marshal(s)
		ids = append(ids, string(b))
		return nil
	})
	wantLines(t, "estate identities", ids,
		`{"system":"kubernetes","source":"a","kind":"service_account","id":"ci/runner","name":"runner","owner":"team:a","uid":"uid-runner","credentials":[{"kind":"legacy_service_account_token","id":"ci/runner-token","uid":"uid-token"}]}`,
		`{"system":"kubernetes","source":"b","kind":"service_account","id":"ci/runner","name":"runner","owner":"team:a","uid":"uid-runner","credentials":[{"kind":"legacy_service_account_token","id":"ci/runner-token","uid":"uid-token"}]}`)
	if r.ScannedCount() != 2 || len(r.Estate.Exceptions) != 1 {
		t.Errorf("scanned %d, exceptions %d", r.ScannedCount(), len(r.Estate.Exceptions))
	}

	// Exceptions survive the JSON report, and Suppress applies them to
	// findings a merge makes.
	b, err := json.Marshal(ex)
	if err != nil {
		t.Fatal(err)
	}
	var back Exception
	if err := json.Unmarshal(b, &back); err != nil || !back.Expires.Equal(ex.Expires) || back.ID != ex.ID || back.Identity != ex.Identity || back.Ticket != "SEC-9" {
		t.Fatalf("exception round trip: %s -> %+v, %v", b, back, err)
	}
	fs := []Finding{{RuleID: RuleEnvironment, Identity: IdentityRef{System: k8s.SystemName, Source: "a", ID: "ci/runner"}},
		{RuleID: RuleEnvironment, Identity: IdentityRef{System: k8s.SystemName, Source: "a", ID: "ci/other"}}}
	Suppress(fs, []Exception{back}, now)
	if fs[0].Suppressed == nil || fs[0].Suppressed.Expires != now.Add(24*time.Hour).Format("2006-01-02") || fs[1].Suppressed != nil {
		t.Errorf("Suppress: %+v", fs)
	}
	fs[0].Suppressed = nil
	Suppress(fs, []Exception{back}, now.Add(48*time.Hour))
	if fs[0].Suppressed != nil {
		t.Error("an expired exception suppressed a finding")
	}
}

// The index behind merges keeps one occurrence per identity (system, kind,
// reference and uid), the one of the smallest source name.
func TestEnvironmentIndexDeduplicates(t *testing.T) {
	x := NewEnvironmentIndex(testSystems, []EstateSource{{Name: "b", Environment: "prod"}, {Name: "a", Environment: "prod"}}, nil)
	ref := IdentityRef{System: awsc.SystemName, Kind: awsc.KindIAMUser, ID: "user/x", UID: "AIDAX"}
	other := ref
	other.UID = "AIDAY"
	x.Add(ScannedIdentity{IdentityRef: withSource(ref, "b")}, Pos{0, 0})
	x.Add(ScannedIdentity{IdentityRef: withSource(ref, "a")}, Pos{1, 5})
	x.Add(ScannedIdentity{IdentityRef: withSource(other, "b")}, Pos{0, 1})
	if x.Len() != 2 {
		t.Errorf("Len %d, want 2", x.Len())
	}
	if x.Canonical(withSource(ref, "b"), Pos{0, 0}) || !x.Canonical(withSource(ref, "a"), Pos{1, 5}) || !x.Canonical(withSource(other, "b"), Pos{0, 1}) {
		t.Error("the occurrence kept is not the one of the smallest source name")
	}
	if hits := x.Hits(); len(hits) != 0 {
		t.Errorf("one environment is no finding: %+v", hits)
	}
}

func withSource(r IdentityRef, s string) IdentityRef { r.Source = s; return r }
