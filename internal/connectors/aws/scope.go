package aws

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// ScopeGrammar documents the AWS scope grammar for error messages.
const ScopeGrammar = "`policy:<managed policy ARN>` (an attached managed policy, such as `policy:arn:aws:iam::aws:policy/ReadOnlyAccess`), " +
	"`inline:<name>` (an inline policy whose document is in `inline_policies`) or, for users, `group:<name>` (membership of an IAM group)"

var (
	policyARN  = regexp.MustCompile(`^arn:aws(-cn|-us-gov|-iso|-iso-b|-iso-e|-iso-f|-eusc)?:iam::(aws|\d{12}):policy/([\w+=,.@-]+/)*[\w+=,.@-]{1,128}$`)
	entityName = regexp.MustCompile(`^[\w+=,.@-]+$`)
	iamPath    = regexp.MustCompile(`^/([\x21-\x7e]*/)?$`)
)

// Scope is one parsed AWS scope.
type Scope struct {
	// Kind is "policy", "inline" or "group".
	Kind string
	// Value is the policy ARN or the inline policy name.
	Value string
}

func (s Scope) String() string { return s.Kind + ":" + s.Value }

// ParseScope parses "policy:<arn>" or "inline:<name>".
func ParseScope(s string) (Scope, error) {
	kind, v, ok := strings.Cut(s, ":")
	switch {
	case !ok:
		return Scope{}, fmt.Errorf("%q has no kind; expected %s", s, ScopeGrammar)
	case kind == "policy":
		if !policyARN.MatchString(v) {
			return Scope{}, fmt.Errorf("%q does not hold a managed policy ARN: expected arn:aws:iam::<account ID or \"aws\">:policy/<optional path/><name>, such as policy:arn:aws:iam::aws:policy/ReadOnlyAccess", s)
		}
	case kind == "inline":
		if err := ValidatePolicyName(v); err != nil {
			return Scope{}, fmt.Errorf("%q: inline policy name %w", s, err)
		}
	case kind == "group":
		if err := ValidatePolicyName(v); err != nil {
			return Scope{}, fmt.Errorf("%q: group name %w", s, err)
		}
	default:
		return Scope{}, fmt.Errorf("%q has unknown kind %q; expected %s", s, kind, ScopeGrammar)
	}
	if strings.Contains(v, ",") {
		// The declared scopes are recorded in IAM tags, whose values
		// cannot hold a comma.
		return Scope{}, fmt.Errorf("%q contains a comma, which the provider cannot record in IAM tags; rename the policy", s)
	}
	return Scope{Kind: kind, Value: v}, nil
}

// Split is a list of scopes by kind, each sorted.
type Split struct {
	ARNs, Inline, Groups []string
}

// SplitScopes parses scopes and sorts them by kind.
func SplitScopes(scopes []string) (Split, error) {
	var out Split
	for _, s := range scopes {
		sc, err := ParseScope(s)
		if err != nil {
			return Split{}, err
		}
		switch sc.Kind {
		case "policy":
			out.ARNs = append(out.ARNs, sc.Value)
		case "inline":
			out.Inline = append(out.Inline, sc.Value)
		case "group":
			out.Groups = append(out.Groups, sc.Value)
		}
	}
	sort.Strings(out.ARNs)
	sort.Strings(out.Inline)
	sort.Strings(out.Groups)
	return out, nil
}

// ValidatePolicyName checks an inline policy name as IAM does.
func ValidatePolicyName(n string) error {
	if n == "" || len(n) > 128 || !entityName.MatchString(n) {
		return fmt.Errorf("%q is invalid: use 1 to 128 letters, digits and _ + = , . @ -", n)
	}
	return nil
}

// ValidateUserName checks a user name as IAM does (1 to 64 characters).
func ValidateUserName(n string) error {
	if n == "" || len(n) > 64 || !entityName.MatchString(n) {
		return fmt.Errorf("%q is not a valid IAM user name: use 1 to 64 letters, digits and _ + = , . @ -", n)
	}
	return nil
}

// ValidateRoleName checks a role name as IAM does (1 to 64 characters).
func ValidateRoleName(n string) error {
	if n == "" || len(n) > 64 || !entityName.MatchString(n) {
		return fmt.Errorf("%q is not a valid IAM role name: use 1 to 64 letters, digits and _ + = , . @ -", n)
	}
	return nil
}

// ValidatePath checks an IAM path ("/", or "/division/team/").
func ValidatePath(p string) error {
	if len(p) > 512 || !iamPath.MatchString(p) {
		return fmt.Errorf("%q is not a valid IAM path: it must begin and end with \"/\", such as \"/\" or \"/ci/\"", p)
	}
	return nil
}

// pathOrRoot is an IAM path with "" meaning "/".
func pathOrRoot(p string) string {
	if p == "" {
		return "/"
	}
	return p
}
