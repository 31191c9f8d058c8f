package aws

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// ManagedByValue marks declared users and roles (tag "<prefix>:managed-by").
const ManagedByValue = "terraform-provider-nhi"

// IAM tag limits (IAM User Guide, "Tag naming rules and requirements").
const (
	MaxTagKeyLen   = 128
	MaxTagValueLen = 256
	MaxTags        = 50
)

// tagValueChars is what IAM accepts in a tag value: letters, digits,
// whitespace and _ . : / = + - @.
var tagValueChars = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)

// ValidateTagValue checks a value against IAM's rules and says what to fix.
func ValidateTagValue(v string) error {
	if n := utf8.RuneCountInString(v); n > MaxTagValueLen {
		return fmt.Errorf("is %d characters long; IAM tag values hold at most %d", n, MaxTagValueLen)
	}
	if !tagValueChars.MatchString(v) {
		return fmt.Errorf("%q holds characters IAM tag values do not allow; use letters, digits, spaces and _ . : / = + - @ only", v)
	}
	return nil
}

// ValidateTagKey checks a tag key against IAM's rules.
func ValidateTagKey(k string) error {
	n := utf8.RuneCountInString(k)
	if n == 0 || n > MaxTagKeyLen {
		return fmt.Errorf("key %q must be 1 to %d characters long", k, MaxTagKeyLen)
	}
	if !tagValueChars.MatchString(k) {
		return fmt.Errorf("key %q holds characters IAM tag keys do not allow; use letters, digits, spaces and _ . : / = + - @ only", k)
	}
	if strings.HasPrefix(strings.ToLower(k), "aws:") {
		return fmt.Errorf("key %q starts with \"aws:\", which AWS reserves", k)
	}
	return nil
}

// Markers are the governance tag keys, under a prefix ("nhi").
type Markers struct{ Prefix string }

func (m Markers) key(s string) string { return m.Prefix + ":" + s }

// Keys of the governance tags.
func (m Markers) Owner() string      { return m.key("owner") }
func (m Markers) Purpose() string    { return m.key("purpose") }
func (m Markers) ExpiresAt() string  { return m.key("expires-at") }
func (m Markers) ManagedBy() string  { return m.key("managed-by") }
func (m Markers) OnExpiry() string   { return m.key("on-expiry") }
func (m Markers) DisabledAt() string { return m.key("disabled-at") }

// CreateToken is the tag a create of a user or role writes with a fresh
// random value, so that after a lost answer the entity found by name can be
// told apart from someone else's (create.go). It is not governance and is
// removed once the create is done.
func (m Markers) CreateToken() string { return m.key("create-token") }

// scopesKey is the n-th (from 1) tag recording the declared scopes: IAM tag
// values are short, so long lists continue in "<prefix>:scopes:2" and on.
func (m Markers) scopesKey(n int) string {
	if n == 1 {
		return m.key("scopes")
	}
	return m.key("scopes:" + strconv.Itoa(n))
}

// Reserved reports whether a tag key belongs to the provider.
func (m Markers) Reserved(k string) bool { return strings.HasPrefix(k, m.Prefix+":") }

// ValidateLabel checks one user tag of a declared identity.
func (m Markers) ValidateLabel(k, v string) error {
	if m.Reserved(k) {
		return fmt.Errorf("key %q is under the reserved prefix %q:, which the provider writes itself; use another key", k, m.Prefix)
	}
	if err := ValidateTagKey(k); err != nil {
		return err
	}
	if err := ValidateTagValue(v); err != nil {
		return fmt.Errorf("value of %q %w", k, err)
	}
	return nil
}

// governanceTags are the tags a spec writes, user tags included.
func (m Markers) governanceTags(g nhi.Governance, labels map[string]string, disabledAt time.Time) map[string]string {
	t := map[string]string{}
	for k, v := range labels {
		t[k] = v
	}
	t[m.ManagedBy()] = ManagedByValue
	t[m.Owner()] = g.Owner
	t[m.Purpose()] = g.Purpose
	if !g.ExpiresAt.IsZero() {
		t[m.ExpiresAt()] = nhi.FormatTime(g.ExpiresAt)
	}
	if g.OnExpiry != "" {
		t[m.OnExpiry()] = string(g.OnExpiry)
	}
	if !disabledAt.IsZero() {
		t[m.DisabledAt()] = nhi.FormatTime(disabledAt)
	}
	for i, chunk := range chunkScopes(nhi.SortedUnique(g.Scopes)) {
		t[m.scopesKey(i+1)] = chunk
	}
	return t
}

// chunkScopes joins scopes with spaces into values of at most MaxTagValueLen.
// An empty list is recorded as one empty value, so "declared with no scopes"
// differs from "scopes not recorded".
func chunkScopes(scopes []string) []string {
	out := []string{""}
	for _, s := range scopes {
		last := &out[len(out)-1]
		switch {
		case *last == "":
			*last = s
		case len(*last)+1+len(s) <= MaxTagValueLen:
			*last += " " + s
		default:
			out = append(out, s)
		}
	}
	return out
}

// read fills governance from tags and returns the user tags.
func (m Markers) read(tags []types.Tag, id *nhi.Identity) {
	all := map[string]string{}
	for _, t := range tags {
		all[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	id.Declared = all[m.ManagedBy()] == ManagedByValue
	id.Governance.Owner = all[m.Owner()]
	id.Governance.Purpose = all[m.Purpose()]
	if v, ok := all[m.ExpiresAt()]; ok {
		if t, err := nhi.ParseExpiry(v); err == nil {
			id.Governance.ExpiresAt = t
		}
	}
	id.Governance.OnExpiry = nhi.OnExpiry(all[m.OnExpiry()])
	_, id.Disabled = all[m.DisabledAt()]
	if v, ok := all[m.scopesKey(1)]; ok {
		scopes := strings.Fields(v)
		for n := 2; ; n++ {
			more, ok := all[m.scopesKey(n)]
			if !ok {
				break
			}
			scopes = append(scopes, strings.Fields(more)...)
		}
		id.Governance.Scopes = nhi.SortedUnique(scopes)
	}
	labels := map[string]string{}
	for k, v := range all {
		if !m.Reserved(k) {
			labels[k] = v
		}
	}
	if len(labels) > 0 {
		id.Labels = labels
	}
}

func toTags(m map[string]string) []types.Tag {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]types.Tag, 0, len(keys))
	for _, k := range keys {
		out = append(out, types.Tag{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return out
}
