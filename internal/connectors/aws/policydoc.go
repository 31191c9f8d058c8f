package aws

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// GitHubActionsIssuer is the OIDC issuer every GitHub Actions workflow of
// every repository shares.
const GitHubActionsIssuer = "token.actions.githubusercontent.com"

// policyDoc is the part of an IAM policy document the connector reads.
type policyDoc struct {
	Version   string          `json:"Version"`
	Statement json.RawMessage `json:"Statement"`
}

type statement struct {
	Sid          string                                `json:"Sid"`
	Effect       string                                `json:"Effect"`
	Action       stringOrList                          `json:"Action"`
	NotAction    stringOrList                          `json:"NotAction"`
	Resource     stringOrList                          `json:"Resource"`
	NotResource  stringOrList                          `json:"NotResource"`
	Principal    json.RawMessage                       `json:"Principal"`
	NotPrincipal json.RawMessage                       `json:"NotPrincipal"`
	Condition    map[string]map[string]json.RawMessage `json:"Condition"`

	// named holds, for each action of the risky-capability catalog the
	// statement names, how it names it (access.go), computed once per
	// document; nil until then.
	named map[string]string
}

// stringOrList is IAM's "one string or a list of strings".
type stringOrList []string

func (s *stringOrList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("must be a string or a list of strings")
	}
	*s = many
	return nil
}

// parsePolicy parses a policy document and its statements, checking what
// IAM would reject.
func parsePolicy(doc string) ([]statement, error) {
	var d policyDoc
	dec := json.NewDecoder(strings.NewReader(doc))
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("is not a JSON policy document: %v", err)
	}
	if dec.More() {
		return nil, errors.New("has text after the JSON document")
	}
	if d.Version != "" && d.Version != "2012-10-17" && d.Version != "2008-10-17" {
		return nil, fmt.Errorf("has Version %q; use \"2012-10-17\"", d.Version)
	}
	if len(d.Statement) == 0 {
		return nil, errors.New("has no Statement")
	}
	var stmts []statement
	if bytes.HasPrefix(bytes.TrimSpace(d.Statement), []byte("{")) {
		var one statement
		if err := json.Unmarshal(d.Statement, &one); err != nil {
			return nil, fmt.Errorf("has an invalid Statement: %v", err)
		}
		stmts = []statement{one}
	} else if err := json.Unmarshal(d.Statement, &stmts); err != nil {
		return nil, fmt.Errorf("has an invalid Statement: %v", err)
	}
	if len(stmts) == 0 {
		return nil, errors.New("has an empty Statement list")
	}
	for i, s := range stmts {
		if s.Effect != "Allow" && s.Effect != "Deny" {
			return nil, fmt.Errorf("statement %d has Effect %q; use \"Allow\" or \"Deny\"", i+1, s.Effect)
		}
		if len(s.Action) == 0 && len(s.NotAction) == 0 {
			return nil, fmt.Errorf("statement %d has neither Action nor NotAction", i+1)
		}
	}
	return stmts, nil
}

// ValidatePermissionsPolicy checks an identity policy document (inline or
// managed): statements with Action and Resource, and no Principal.
func ValidatePermissionsPolicy(doc string) error {
	stmts, err := parsePolicy(doc)
	if err != nil {
		return err
	}
	for i, s := range stmts {
		if len(s.Principal) > 0 || len(s.NotPrincipal) > 0 {
			return fmt.Errorf("statement %d has a Principal, which only trust and resource policies take", i+1)
		}
		if len(s.Resource) == 0 && len(s.NotResource) == 0 {
			return fmt.Errorf("statement %d has neither Resource nor NotResource", i+1)
		}
	}
	return nil
}

// ValidateTrustPolicy checks a role's trust (assume-role) policy: every
// statement names a Principal.
func ValidateTrustPolicy(doc string) error {
	stmts, err := parsePolicy(doc)
	if err != nil {
		return err
	}
	for i, s := range stmts {
		if len(s.Principal) == 0 && len(s.NotPrincipal) == 0 {
			return fmt.Errorf("statement %d has no Principal; a trust policy says who may assume the role", i+1)
		}
	}
	return nil
}

// NormalizeJSON returns doc compacted with object keys sorted, so two
// spellings of one document compare equal. Invalid JSON is returned as is.
func NormalizeJSON(doc string) string {
	var v any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		return doc
	}
	b, err := json.Marshal(v) // encoding/json sorts map keys
	if err != nil {
		return doc
	}
	return string(b)
}

// EquivalentPolicies reports whether two documents are the same policy.
func EquivalentPolicies(a, b string) bool { return NormalizeJSON(a) == NormalizeJSON(b) }

// decodeDocument undoes the URL encoding IAM applies to documents it returns.
func decodeDocument(doc string) string {
	if strings.HasPrefix(strings.TrimSpace(doc), "{") {
		return doc
	}
	if d, err := url.QueryUnescape(doc); err == nil {
		return d
	}
	return doc
}

// GrantsEverything reports whether a permissions policy allows every action
// on every resource ("*:*"), as AdministratorAccess does.
func GrantsEverything(doc string) bool {
	stmts, err := parsePolicy(doc)
	if err != nil {
		return false
	}
	for _, s := range stmts {
		if s.Effect == "Allow" && contains(s.Action, "*") && contains(s.Resource, "*") && len(s.Condition) == 0 {
			return true
		}
	}
	return false
}

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

// AnalyzeTrust lists who may assume a role under its trust policy, and marks
// the federated (OIDC) principals that any subject of their issuer can use:
// no "<issuer>:sub" condition, or one that matches everything. For GitHub
// Actions' shared issuer that means every workflow of every repository on
// GitHub (OWASP NHI6).
func AnalyzeTrust(doc string) []nhi.Trust {
	stmts, err := parsePolicy(decodeDocument(doc))
	if err != nil {
		return nil
	}
	var out []nhi.Trust
	for _, s := range stmts {
		if s.Effect != "Allow" {
			continue
		}
		for _, p := range principals(s.Principal) {
			t := nhi.Trust{Principal: p.value}
			if p.kind == "Federated" {
				issuer := oidcIssuer(p.value)
				if issuer != "" && webIdentityAction(s.Action) {
					t.Issuer = issuer
					t.PublicIssuer = issuer == GitHubActionsIssuer
					t.Unrestricted, t.Reason = subjectUnrestricted(s.Condition, issuer)
				}
			}
			out = append(out, t)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Principal < out[j].Principal })
	return out
}

type principal struct{ kind, value string }

func principals(raw json.RawMessage) []principal {
	if len(raw) == 0 {
		return nil
	}
	var star string
	if json.Unmarshal(raw, &star) == nil {
		return []principal{{"AWS", star}}
	}
	var m map[string]stringOrList
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	var out []principal
	for kind, vals := range m {
		for _, v := range vals {
			out = append(out, principal{kind, v})
		}
	}
	return out
}

// oidcIssuer returns the issuer of an OIDC provider ARN
// ("arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"),
// or the value itself when it names an issuer host; "" for SAML and others.
func oidcIssuer(v string) string {
	if i := strings.Index(v, ":oidc-provider/"); i >= 0 {
		return v[i+len(":oidc-provider/"):]
	}
	if strings.Contains(v, ":saml-provider/") || strings.HasSuffix(v, ".amazonaws.com") || strings.HasSuffix(v, ".amazon.com") {
		return ""
	}
	if strings.Contains(v, ".") && !strings.HasPrefix(v, "arn:") {
		return v
	}
	return ""
}

func webIdentityAction(actions []string) bool {
	for _, a := range actions {
		if a == "*" || strings.EqualFold(a, "sts:*") || strings.EqualFold(a, "sts:AssumeRoleWithWebIdentity") {
			return true
		}
	}
	return false
}

// subjectUnrestricted says whether the conditions let any subject through.
func subjectUnrestricted(cond map[string]map[string]json.RawMessage, issuer string) (bool, string) {
	subKey := strings.ToLower(issuer + ":sub")
	found := false
	for op, kv := range cond {
		for k, raw := range kv {
			if strings.ToLower(k) != subKey {
				continue
			}
			if strings.HasPrefix(op, "StringNot") || strings.HasPrefix(op, "ForAllValues:StringNot") {
				continue // a negative condition does not narrow to a subject
			}
			found = true
			var vals stringOrList
			if json.Unmarshal(raw, &vals) != nil {
				continue
			}
			for _, v := range vals {
				if strings.Contains(op, "Like") && matchesEverySubject(v) {
					return true, fmt.Sprintf("its %s condition on %s:sub is %q, which every subject matches", op, issuer, v)
				}
			}
		}
	}
	if !found {
		return true, fmt.Sprintf("no condition restricts %s:sub, so every identity the issuer signs for may assume it", issuer)
	}
	return false, ""
}

// matchesEverySubject is true for patterns that leave the subject open:
// "*", and for GitHub "repo:*" or "repo:*/*:*" (every repository of every
// owner). AWS refuses a bare "*" on GitHub's issuer, but accepts "repo:*".
func matchesEverySubject(v string) bool {
	return strings.Trim(strings.TrimPrefix(v, "repo:"), "*?/:") == ""
}
