package github

import (
	"context"
	"fmt"
	"math/big"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/system"
)

// DefaultTokenEnv is the environment variable a source reads its token
// from when it names none and is not a GitHub App.
const DefaultTokenEnv = "GITHUB_TOKEN"

// SourceConfig is a drift `source "github" "<name>"` block: one
// organisation, reached as a GitHub App (app_id, installation_id,
// private_key_file) or with a token from an environment variable
// (token_env, GITHUB_TOKEN by default). The block never holds a secret.
type SourceConfig struct {
	Organization   string
	BaseURL        string
	AppID          int64
	InstallationID int64
	PrivateKeyFile string
	TokenEnv       string
	Repositories   []string
	Topics         []string
	// AnnotationPrefix is the governance marker's prefix in deploy key
	// titles; empty is the default.
	AnnotationPrefix string
	// MaxRetries bounds the retries of one request (max_retries, 0 to
	// 20; nil: the client's default). RetryWaitMax caps a single wait
	// (retry_wait_max, such as "30s"; 0: the client's default), including
	// one GitHub asks for.
	MaxRetries   *int
	RetryWaitMax time.Duration
}

// maxSourceRetries bounds max_retries: a scan's requests stay bounded.
const maxSourceRetries = 20

var sourceSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "organization", Required: true}, {Name: "base_url"}, {Name: "app_id"}, {Name: "installation_id"},
	{Name: "private_key_file"}, {Name: "token_env"}, {Name: "repositories"}, {Name: "topics"}, {Name: "annotation_prefix"},
	{Name: "max_retries"}, {Name: "retry_wait_max"},
	// Accepted only to refuse them with a message that says what to do.
	{Name: "token"}, {Name: "private_key"},
}}

// source is the drift `source "github"` block.
func source() system.Source {
	return system.Source{
		Schema: sourceSchema,
		Example: `source "github" "acme" {
  organization     = "acme"
  app_id           = 123456
  installation_id  = 7890123
  private_key_file = "nhi-scanner.private-key.pem"
}`,
		Decode: decodeSource,
	}
}

// decodeSource reads `source "github" "<name>" { organization, base_url,
// app_id, installation_id, private_key_file | token_env, repositories,
// topics, annotation_prefix, max_retries, retry_wait_max }`.
func decodeSource(attrs hcl.Attributes, dir string) (system.SourceConfig, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	s := &SourceConfig{}
	for name, what := range map[string]string{"token": "a token", "private_key": "a private key"} {
		if a, ok := attrs[name]; ok {
			// Never evaluated or echoed.
			diags = append(diags, system.Errorf(a.NameRange, "Secret in the configuration file", "%s",
				fmt.Sprintf("A github source takes no %s attribute: the file would hold %s. Remove it, and set token_env to the name of an environment variable holding the token (GITHUB_TOKEN by default), "+
					"or give the GitHub App's key as private_key_file, the path of its .pem file.", name, what)))
		}
	}
	for _, f := range []struct {
		name string
		dst  *string
	}{
		{"organization", &s.Organization}, {"base_url", &s.BaseURL}, {"private_key_file", &s.PrivateKeyFile},
		{"token_env", &s.TokenEnv}, {"annotation_prefix", &s.AnnotationPrefix},
	} {
		if a, ok := attrs[f.name]; ok {
			var d hcl.Diagnostics
			*f.dst, d = system.String(a)
			diags = append(diags, d...)
		}
	}
	if a, ok := attrs["organization"]; ok && strings.TrimSpace(s.Organization) == "" {
		diags = append(diags, system.Errorf(a.Expr.Range(), "Empty organization", "organization must be the login of a GitHub organisation, such as \"acme\"."))
	}
	for _, f := range []struct {
		name string
		dst  *int64
	}{{"app_id", &s.AppID}, {"installation_id", &s.InstallationID}} {
		if a, ok := attrs[f.name]; ok {
			n, d := positiveInt(a, f.name)
			diags = append(diags, d...)
			*f.dst = n
		}
	}
	for _, f := range []struct {
		name string
		dst  *[]string
	}{{"repositories", &s.Repositories}, {"topics", &s.Topics}} {
		if a, ok := attrs[f.name]; ok {
			v, d := system.Strings(a)
			diags = append(diags, d...)
			for _, e := range v {
				if strings.TrimSpace(e) == "" || strings.Contains(e, "/") {
					diags = append(diags, system.Errorf(a.Expr.Range(), "Invalid "+f.name, "%s", fmt.Sprintf("%s holds %q; list names within the organisation, such as [\"api\", \"web\"].", f.name, e)))
					break
				}
			}
			*f.dst = nhi.SortedUnique(v)
		}
	}
	if a, ok := attrs["base_url"]; ok && s.BaseURL != "" {
		if u, err := url.Parse(s.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			diags = append(diags, system.Errorf(a.Expr.Range(), "Invalid base_url", "base_url %q must be the REST API's http(s) URL, such as \"https://api.github.com/\" or \"https://github.example.com/api/v3/\".", s.BaseURL))
		}
	}
	if a, ok := attrs["max_retries"]; ok {
		n, d := boundedInt(a, "max_retries", 0, maxSourceRetries)
		diags = append(diags, d...)
		if !d.HasErrors() {
			s.MaxRetries = &n
		}
	}
	if a, ok := attrs["retry_wait_max"]; ok {
		v, d := system.String(a)
		diags = append(diags, d...)
		if !d.HasErrors() {
			w, err := time.ParseDuration(strings.TrimSpace(v))
			if err != nil || w <= 0 || w > time.Hour {
				diags = append(diags, system.Errorf(a.Expr.Range(), "Invalid retry_wait_max", "retry_wait_max %q must be a duration between 1ms and 1h, such as \"30s\": the longest single wait between retries, also when GitHub asks for longer.", v))
			} else {
				s.RetryWaitMax = w
			}
		}
	}
	if s.PrivateKeyFile != "" {
		s.PrivateKeyFile = system.ExpandPath(s.PrivateKeyFile, dir)
	}
	app := attrs["app_id"] != nil || attrs["installation_id"] != nil || attrs["private_key_file"] != nil
	if app {
		for _, n := range []string{"app_id", "installation_id", "private_key_file"} {
			if attrs[n] == nil {
				r := hcl.Range{}
				for _, m := range []string{"app_id", "installation_id", "private_key_file"} {
					if a := attrs[m]; a != nil {
						r = a.NameRange
						break
					}
				}
				diags = append(diags, system.Errorf(r, "Incomplete GitHub App authentication", "%s",
					fmt.Sprintf("A GitHub App source needs app_id, installation_id and private_key_file; %s is missing. Add it, or remove the App attributes and use token_env.", n)))
			}
		}
		if a := attrs["token_env"]; a != nil {
			diags = append(diags, system.Errorf(a.NameRange, "Two credentials", "Set either token_env or the GitHub App attributes (app_id, installation_id, private_key_file), not both."))
		}
	}
	return s, diags
}

// positiveInt reads a positive integer, written as a number or a numeric
// string.
func positiveInt(a *hcl.Attribute, name string) (int64, hcl.Diagnostics) {
	v, d := a.Expr.Value(nil)
	if d.HasErrors() {
		return 0, d
	}
	bad := hcl.Diagnostics{system.Errorf(a.Expr.Range(), "Invalid "+name, "%s must be a positive number, such as 123456 (it is on the App's settings page, or in the installation's URL).", name)}
	var n int64
	switch {
	case v.IsNull() || !v.IsKnown():
		return 0, bad
	case v.Type().Equals(cty.Number):
		i, acc := v.AsBigFloat().Int64()
		if acc != big.Exact {
			return 0, bad
		}
		n = i
	case v.Type().Equals(cty.String):
		i, err := strconv.ParseInt(v.AsString(), 10, 64)
		if err != nil {
			return 0, bad
		}
		n = i
	default:
		return 0, bad
	}
	if n <= 0 {
		return 0, bad
	}
	return n, nil
}

// boundedInt reads a whole number in [lo, hi].
func boundedInt(a *hcl.Attribute, name string, lo, hi int) (int, hcl.Diagnostics) {
	bad := hcl.Diagnostics{system.Errorf(a.Expr.Range(), "Invalid "+name, "%s", fmt.Sprintf("%s must be a whole number from %d to %d.", name, lo, hi))}
	v, d := a.Expr.Value(nil)
	if d.HasErrors() {
		return 0, d
	}
	if v.IsNull() || !v.IsKnown() || !v.Type().Equals(cty.Number) {
		return 0, bad
	}
	i, acc := v.AsBigFloat().Int64()
	if acc != big.Exact || i < int64(lo) || i > int64(hi) {
		return 0, bad
	}
	return int(i), nil
}

// Locations implements system.SourceConfig: the filter is the
// repositories and topics attributes, applied by the connector.
func (s *SourceConfig) Locations() []string { return nil }

// Connect implements system.SourceConfig: it reads the private key file or
// the token's environment variable (never echoing either) and builds the
// client; the first request is the scan's.
func (s *SourceConfig) Connect(ctx context.Context) (nhi.Scanner, error) {
	cfg, err := s.ConfigFromSource()
	if err != nil {
		return nil, err
	}
	c, err := New(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return c, nil
}

func (s *SourceConfig) config() Config {
	cfg := Config{
		BaseURL: s.BaseURL, Organization: s.Organization, AppID: s.AppID, InstallationID: s.InstallationID,
		Repositories: s.Repositories, Topics: s.Topics, Prefix: s.AnnotationPrefix, RetryWaitMax: s.RetryWaitMax,
	}
	if s.MaxRetries != nil {
		cfg.MaxRetries = *s.MaxRetries
		if cfg.MaxRetries == 0 {
			cfg.MaxRetries = -1 // none (0 is the default in Config)
		}
	}
	return cfg
}

// ConfigFromSource builds the client's Config: it reads the key file or
// the token's environment variable.
func (s *SourceConfig) ConfigFromSource() (Config, error) {
	cfg := s.config()
	if s.PrivateKeyFile != "" {
		b, err := os.ReadFile(s.PrivateKeyFile)
		if err != nil {
			return cfg, fmt.Errorf("github source: reading private_key_file: %v", err)
		}
		cfg.PrivateKeyPEM = b
		return cfg, nil
	}
	env := s.TokenEnv
	if env == "" {
		env = DefaultTokenEnv
	}
	cfg.Token = strings.TrimSpace(os.Getenv(env))
	if cfg.Token == "" {
		return cfg, fmt.Errorf("github source: the environment variable %s is empty or unset; set it to a token that may read the organisation (a fine-grained personal access token, or GITHUB_TOKEN in Actions), or authenticate as a GitHub App with app_id, installation_id and private_key_file", env)
	}
	return cfg, nil
}

// OwnerDirectory returns the organisation's members as an owner directory
// (MembersDirectory), for a drift configuration that judges owners
// (NHI006) by the organisation this source scans. It reads the source's
// credential as Connect does.
func (s *SourceConfig) OwnerDirectory(ctx context.Context) (nhi.OwnerDirectory, error) {
	cfg, err := s.ConfigFromSource()
	if err != nil {
		return nil, err
	}
	c, err := New(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return c.MembersDirectory(), nil
}
