package drift

import (
	"sort"
	"strings"
	"testing"
	"time"

	awsc "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/aws"
	k8s "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/kubernetes"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// findings lists "RULE source:id" for every finding, with "(suppressed)"
// where an exception accepted it, sorted.
func findings(r Report) []string {
	var out []string
	for _, f := range r.Findings {
		s := f.RuleID + " " + f.Identity.Source + ":" + f.Identity.ID
		if f.Suppressed != nil {
			s += " (suppressed by " + f.Suppressed.Exception + ")"
		}
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

func wantFindings(t *testing.T, r Report, want ...string) {
	t.Helper()
	sort.Strings(want)
	if got := findings(r); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings differ.\ngot:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func awsUser(name string, scopes ...string) nhi.Identity {
	return nhi.Identity{
		System: awsc.SystemName, Kind: awsc.KindIAMUser, ID: "AIDA" + strings.ToUpper(name), Ref: nhi.Ref{Location: "user", Name: name}, Declared: true,
		Governance:      nhi.Governance{Owner: "team:a", Scopes: scopes, ExpiresAt: now.Add(100 * 24 * time.Hour)},
		EffectiveScopes: scopes, CreatedAt: now.Add(-time.Hour),
	}
}

// Privileged and forbidden scopes are IAM policy ARNs, which contain "/":
// they match by name, whatever the policy document says.
func TestPrivilegedPolicyARNsMatchByName(t *testing.T) {
	pol := DefaultPolicy(testSystems)
	pol.PrivilegedScopes = append(pol.PrivilegedScopes, "policy:arn:aws:iam::*:policy/*-admin")
	pol.ForbiddenScopes = []string{"policy:arn:aws:iam::123456789012:policy/break-glass/*"}
	ids := []nhi.Identity{
		// AWS's AdministratorAccess, by the default privileged_scopes (its
		// document is not looked at: WildcardScopes is empty).
		awsUser("admin", "policy:arn:aws:iam::aws:policy/AdministratorAccess"),
		// A customer-managed policy with a path, by a glob; its document
		// grants one action, so only the name makes it privileged.
		awsUser("deployer", "policy:arn:aws:iam::123456789012:policy/team/deploy-admin"),
		awsUser("breaker", "policy:arn:aws:iam::123456789012:policy/break-glass/root"),
		awsUser("reader", "policy:arn:aws:iam::123456789012:policy/team/reader", "policy:arn:aws:iam::aws:policy/ReadOnlyAccess"),
	}
	r := Evaluate(Input{Systems: testSystems, Now: now, Policy: pol, Sources: []Source{{Name: "prod", System: awsc.SystemName, Identities: ids}}})
	wantFindings(t, r, "NHI008 prod:user/admin", "NHI008 prod:user/breaker", "NHI008 prod:user/deployer")
	for _, f := range r.Findings {
		if f.Identity.ID == "user/breaker" && !strings.Contains(f.Message, "policy/break-glass/root (forbidden by policy)") {
			t.Errorf("NHI008 for a forbidden scope: %q", f.Message)
		}
		if f.Identity.ID == "user/deployer" && !strings.Contains(f.Message, "holds privileged scopes: policy:arn:aws:iam::123456789012:policy/team/deploy-admin") {
			t.Errorf("NHI008 for a customer-managed policy: %q", f.Message)
		}
	}
}

// A token Secret is governed when it carries the provider's markers
// (Credential.Declared) and, where states are given, a state declares it:
// a label anyone can set does not hide a long-lived token.
func TestTokenCountsAsDeclaredOnlyWhenStateDeclaresIt(t *testing.T) {
	sa := declared("ci-runner", func(id *nhi.Identity) {
		id.ID = "uid-runner"
		id.Credentials = []nhi.Credential{
			{ID: "ci/ci-runner-token-abcde", Kind: k8s.CredentialLegacyToken, Declared: true, CreatedAt: now.Add(-time.Hour)},  // in state
			{ID: "ci/ci-runner-token-fghij", Kind: k8s.CredentialLegacyToken, Declared: true, CreatedAt: now.Add(-time.Hour)},  // markers only
			{ID: "ci/ci-runner-token-klmno", Kind: k8s.CredentialLegacyToken, Declared: false, CreatedAt: now.Add(-time.Hour)}, // nothing
		}
	})
	src := []Source{{Name: "k", System: k8s.SystemName, Identities: []nhi.Identity{sa}}}
	decls := []Declaration{
		{Address: "nhi_kubernetes_service_account.runner", System: k8s.SystemName, Kind: k8s.KindServiceAccount, ID: "ci/ci-runner", UID: "uid-runner"},
		{Address: "nhi_kubernetes_service_account_token.runner", System: k8s.SystemName, Kind: k8s.CredentialLegacyToken, Credential: true, ID: "ci/ci-runner-token-abcde", UID: "uid-secret"},
		// The same Secret name, declared as an identity, does not count.
		{Address: "nhi_kubernetes_service_account.odd", System: k8s.SystemName, Kind: k8s.KindServiceAccount, ID: "ci/ci-runner-token-fghij"},
	}
	r := Evaluate(Input{Systems: testSystems, Now: now, Policy: DefaultPolicy(testSystems), Sources: src, StateGiven: true, Declarations: decls})
	var keys []string
	for _, f := range r.Findings {
		if f.RuleID == RuleLongLived {
			keys = append(keys, f.key)
			if f.key == "credential:ci/ci-runner-token-fghij" && !strings.Contains(f.Message, "carries the provider's markers but is in none of the given Terraform states") {
				t.Errorf("NHI007 for a token with markers but no state: %q", f.Message)
			}
		}
	}
	sort.Strings(keys)
	if strings.Join(keys, " ") != "credential:ci/ci-runner-token-fghij credential:ci/ci-runner-token-klmno" {
		t.Errorf("with --state, NHI007 for %v; want the token with markers only and the unmarked one", keys)
	}
	// NHI002 judges identities only: the token declaration is no missing
	// identity, and the odd declaration's reference is not scanned as one.
	for _, f := range r.Findings {
		if f.RuleID != RuleLongLived && f.RuleID != RuleMissing {
			t.Errorf("unexpected %s: %s", f.RuleID, f.Message)
		}
		if f.RuleID == RuleMissing && f.Identity.ID != "ci/ci-runner-token-fghij" {
			t.Errorf("NHI002 for %s", f.Identity.ID)
		}
	}

	// Without a state, the markers decide.
	r = Evaluate(Input{Systems: testSystems, Now: now, Policy: DefaultPolicy(testSystems), Sources: src})
	wantFindings(t, r, "NHI007 k:ci/ci-runner")
	if len(r.Findings) == 1 && r.Findings[0].key != "credential:ci/ci-runner-token-klmno" {
		t.Errorf("without --state, NHI007 for %s", r.Findings[0].key)
	}
}

// Two clusters with the same namespace/name do not mask each other: the
// UIDs the provider writes into state say which object is declared.
func TestSourcesWithTheSameReferenceStayApart(t *testing.T) {
	sa := func(name, uid string) nhi.Identity {
		return declared(name, func(id *nhi.Identity) { id.ID = uid })
	}
	in := Input{
		Systems: testSystems, Now: now, Policy: DefaultPolicy(testSystems), StateGiven: true,
		Sources: []Source{
			{Name: "east", System: k8s.SystemName, Identities: []nhi.Identity{sa("app", "uid-app-east"), sa("web", "uid-web-east"), sa("legacy", "uid-legacy-east")}},
			{Name: "west", System: k8s.SystemName, Identities: []nhi.Identity{sa("app", "uid-app-west"), sa("legacy", "uid-legacy-west")}},
		},
		Declarations: []Declaration{
			// east's app: west's app, with the marker, is in no state.
			{Address: "nhi_kubernetes_service_account.app", System: k8s.SystemName, Kind: k8s.KindServiceAccount, ID: "ci/app", UID: "uid-app-east"},
			// west's web, deleted out of band; east's web is another object.
			{Address: "nhi_kubernetes_service_account.web", System: k8s.SystemName, Kind: k8s.KindServiceAccount, ID: "ci/web", UID: "uid-web-west"},
			// No UID recorded: it matches ci/legacy in any source.
			{Address: "nhi_kubernetes_service_account.legacy", System: k8s.SystemName, Kind: k8s.KindServiceAccount, ID: "ci/legacy"},
		},
	}
	r := Evaluate(in)
	wantFindings(t, r, "NHI002 east:ci/web", "NHI012 east:ci/web", "NHI012 west:ci/app")
	for _, f := range r.Findings {
		switch {
		case f.RuleID == RuleMissing && !strings.Contains(f.Message, `does not exist in any of the sources "east", "west" (source "east" has a service account of that name with uid uid-web-east, but the state records uid uid-web-west`):
			t.Errorf("NHI002 message: %q", f.Message)
		case f.RuleID == RuleOrphanedDeclaration && f.Identity.Source == "east" && !strings.Contains(f.Message, "nhi_kubernetes_service_account.web declares a service account of that name with uid uid-web-west"):
			t.Errorf("NHI012 message: %q", f.Message)
		}
	}
	// The fingerprints of the two ci/app identities differ by source.
	if a, b := fingerprint(RuleOrphanedDeclaration, IdentityRef{System: "kubernetes", Source: "east", ID: "ci/app"}, ""),
		fingerprint(RuleOrphanedDeclaration, IdentityRef{System: "kubernetes", Source: "west", ID: "ci/app"}, ""); a == b {
		t.Error("findings of two sources share a fingerprint")
	}
}

// A declaration is found in one source and not judged missing in another.
func TestDeclarationFoundInOneOfTwoSources(t *testing.T) {
	in := Input{
		Systems: testSystems, Now: now, Policy: DefaultPolicy(testSystems), StateGiven: true,
		Sources: []Source{
			{Name: "east", System: k8s.SystemName},
			{Name: "west", System: k8s.SystemName, Identities: []nhi.Identity{declared("app", func(id *nhi.Identity) { id.ID = "uid-app" })}},
		},
		Declarations: []Declaration{{Address: "x.app", System: k8s.SystemName, Kind: k8s.KindServiceAccount, ID: "ci/app", UID: "uid-app"}},
	}
	if r := Evaluate(in); len(r.Findings) != 0 {
		t.Errorf("findings %v", findings(r))
	}
}

// An exception may be limited to a source or a system: "user/*" for AWS
// users does not also accept a Kubernetes namespace called "user".
func TestExceptionsBySourceAndSystem(t *testing.T) {
	undeclaredIn := func(system, kind string) nhi.Identity {
		return nhi.Identity{System: system, Kind: kind, Ref: nhi.Ref{Location: "user", Name: "bot"}, CreatedAt: now.Add(-time.Hour)}
	}
	sources := []Source{
		{Name: "acct", System: awsc.SystemName, Identities: []nhi.Identity{undeclaredIn(awsc.SystemName, awsc.KindIAMUser)}},
		{Name: "prod", System: k8s.SystemName, Identities: []nhi.Identity{undeclaredIn(k8s.SystemName, k8s.KindServiceAccount)}},
		{Name: "stage", System: k8s.SystemName, Identities: []nhi.Identity{undeclaredIn(k8s.SystemName, k8s.KindServiceAccount)}},
	}
	exp := now.Add(24 * time.Hour)
	for name, c := range map[string]struct {
		ex   Exception
		want []string
	}{
		"any system": {Exception{ID: "e", Identity: "user/*", Rules: []string{RuleUndeclared}, Reason: "r", Expires: exp},
			[]string{"NHI001 acct:user/bot (suppressed by e)", "NHI001 prod:user/bot (suppressed by e)", "NHI001 stage:user/bot (suppressed by e)"}},
		"system aws": {Exception{ID: "e", Identity: "user/*", System: awsc.SystemName, Rules: []string{RuleUndeclared}, Reason: "r", Expires: exp},
			[]string{"NHI001 acct:user/bot (suppressed by e)", "NHI001 prod:user/bot", "NHI001 stage:user/bot"}},
		"source stage": {Exception{ID: "e", Identity: "user/*", Source: "stage", Rules: []string{RuleUndeclared}, Reason: "r", Expires: exp},
			[]string{"NHI001 acct:user/bot", "NHI001 prod:user/bot", "NHI001 stage:user/bot (suppressed by e)"}},
		"source and system disagree": {Exception{ID: "e", Identity: "user/*", Source: "stage", System: awsc.SystemName, Rules: []string{RuleUndeclared}, Reason: "r", Expires: exp},
			[]string{"NHI001 acct:user/bot", "NHI001 prod:user/bot", "NHI001 stage:user/bot"}},
	} {
		t.Run(name, func(t *testing.T) {
			wantFindings(t, Evaluate(Input{Systems: testSystems, Now: now, Policy: DefaultPolicy(testSystems), Sources: sources, Exceptions: []Exception{c.ex}}), c.want...)
		})
	}
}
