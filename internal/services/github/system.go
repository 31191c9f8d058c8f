// Package github holds the Terraform side of GitHub: the provider's github
// block and nhi_github_deploy_key. The REST client lives in
// internal/connectors/github; the governance rules it shares with the other
// systems live in internal/framework and internal/nhi.
package github

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	gh "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/github"
	"github.com/nhi-ops/terraform-provider-nhi/internal/framework"
)

// EnvToken is the environment variable the token defaults to, as the gh
// CLI, GitHub Actions and the GitHub provider use it.
const EnvToken = "GITHUB_TOKEN"

// hint says how to configure the connection, shown with connection errors.
const hint = "Configure the provider's github block: organization, and either token (a fine-grained personal access token; default: the " + EnvToken +
	" environment variable) or GitHub App authentication (app_id, installation_id and private_key or private_key_file); base_url for GitHub Enterprise Server."

// System is GitHub as the provider sees it: the provider's github block,
// its connector and its resources.
func System() framework.System {
	return framework.System{
		Core: gh.Descriptor(),
		Block: schema.SingleNestedBlock{
			MarkdownDescription: "How to reach GitHub, for `nhi_github_deploy_key` and for GitHub in the inventory data sources (which list the organization's deploy keys, " +
				"GitHub App installations, fine-grained personal access tokens, Actions secrets and webhooks only when this block is present). " +
				"Authenticate with a `token` (default: the `" + EnvToken + "` environment variable) or as a GitHub App installation (`app_id`, `installation_id` and " +
				"`private_key` or `private_key_file`; the provider signs a JWT with the key and exchanges it for installation tokens, refreshed before they expire). " +
				"Listing the organization's fine-grained tokens needs a GitHub App. Deploy keys need the repository's Administration permission (write).",
			Attributes: map[string]schema.Attribute{
				// Optional in the schema: a required attribute of a
				// single nested block is required even without the block.
				// authValidator requires it when the block is there.
				"organization": schema.StringAttribute{Optional: true,
					MarkdownDescription: "Login of the organization whose identities the inventory data sources list (its repositories' deploy keys, its App installations, fine-grained tokens, Actions secrets and webhooks), " +
						"and the owner of a deploy key's `repository` given without one (`app` for `<organization>/app`).",
					Validators: []validator.String{framework.StringCheck{Summary: "Invalid organization", Desc: "a GitHub organization login", Check: validateLogin}}},
				"base_url": schema.StringAttribute{Optional: true,
					MarkdownDescription: "Root URL of the REST API. Default `https://api.github.com/`; for GitHub Enterprise Server `https://<host>/api/v3/`.",
					Validators:          []validator.String{framework.StringCheck{Summary: "Invalid base_url", Desc: "an http(s) URL", Check: httpURL}}},
				"token": schema.StringAttribute{Optional: true, Sensitive: true,
					MarkdownDescription: "A fine-grained personal access token (or an installation or `GITHUB_TOKEN` token of a workflow). Defaults to the `" + EnvToken + "` environment variable " +
						"when no GitHub App is configured. Prefer the environment: a value here is stored in no state, but it is in the configuration. Conflicts with the App attributes."},
				"app_id": schema.Int64Attribute{Optional: true,
					MarkdownDescription: "GitHub App ID (the App's settings page, \"App ID\"), to authenticate as the App's installation instead of with a token. Requires `installation_id` and `private_key` or `private_key_file`.",
					Validators:          []validator.Int64{framework.Int64Between{Min: 1, Max: 1<<53 - 1}}},
				"installation_id": schema.Int64Attribute{Optional: true,
					MarkdownDescription: "ID of the App's installation on the organization (the number at the end of the organization's Settings > GitHub Apps > Configure URL). Requires `app_id`.",
					Validators:          []validator.Int64{framework.Int64Between{Min: 1, Max: 1<<53 - 1}}},
				"private_key": schema.StringAttribute{Optional: true, Sensitive: true,
					MarkdownDescription: "The App's private key, PEM (`-----BEGIN RSA PRIVATE KEY-----`), such as `file(\"app.pem\")` or an ephemeral value from a secret store. Conflicts with `private_key_file`.",
					Validators:          []validator.String{framework.StringCheck{Summary: "Invalid private_key", Desc: "a PEM private key", Check: pemKey}}},
				"private_key_file": schema.StringAttribute{Optional: true,
					MarkdownDescription: "Path of a file holding the App's private key (PEM), read when the provider connects. Conflicts with `private_key`."},
			},
		},
		ConfigValidators: []provider.ConfigValidator{authValidator{}},
		Configure:        configure,
		Resources: []func() resource.Resource{
			NewDeployKeyResource,
		},
		ListResources: ListResources(),
		ScopeExamples: []string{"deploy_key:write*"},
	}
}

// conn is the GitHub connector of the provider.
func conn(pd *framework.ProviderData) *framework.Lazy[*gh.Client] {
	return framework.Connection[*gh.Client](pd, gh.SystemName)
}

type blockModel struct {
	Organization   types.String `tfsdk:"organization"`
	BaseURL        types.String `tfsdk:"base_url"`
	Token          types.String `tfsdk:"token"`
	AppID          types.Int64  `tfsdk:"app_id"`
	InstallationID types.Int64  `tfsdk:"installation_id"`
	PrivateKey     types.String `tfsdk:"private_key"`
	PrivateKeyFile types.String `tfsdk:"private_key_file"`
}

func (b *blockModel) unknown() []string {
	return framework.UnknownAttrs(map[string]attr.Value{
		"organization": b.Organization, "base_url": b.BaseURL, "token": b.Token, "app_id": b.AppID,
		"installation_id": b.InstallationID, "private_key": b.PrivateKey, "private_key_file": b.PrivateKeyFile,
	})
}

// app reports whether any GitHub App attribute is set (known or not).
func (b *blockModel) app() bool {
	return !b.AppID.IsNull() || !b.InstallationID.IsNull() || !b.PrivateKey.IsNull() || !b.PrivateKeyFile.IsNull()
}

// config is the block as the connector takes it. Callers have checked
// unknowns. The token defaults to GITHUB_TOKEN only when no App is
// configured; a private key file is read now, so that a missing file is an
// error naming the attribute.
func (b *blockModel) config(getenv func(string) string) (gh.Config, error) {
	c := gh.Config{
		Organization: b.Organization.ValueString(), BaseURL: b.BaseURL.ValueString(),
		Token: b.Token.ValueString(), AppID: b.AppID.ValueInt64(), InstallationID: b.InstallationID.ValueInt64(),
	}
	if !b.app() && c.Token == "" {
		c.Token = getenv(EnvToken)
	}
	switch {
	case b.PrivateKey.ValueString() != "":
		c.PrivateKeyPEM = []byte(b.PrivateKey.ValueString())
	case b.PrivateKeyFile.ValueString() != "":
		p := b.PrivateKeyFile.ValueString()
		data, err := os.ReadFile(p)
		if err != nil {
			// Never the file's content: only that it cannot be read.
			return c, fmt.Errorf("github.private_key_file %q cannot be read (%v); point it at the App's private key (.pem), or give the key itself with private_key", p, errText(err))
		}
		if pemKey(string(data)) != nil {
			return c, fmt.Errorf("github.private_key_file %q does not hold a PEM private key (\"-----BEGIN RSA PRIVATE KEY-----\"); download a private key from the App's settings page", p)
		}
		c.PrivateKeyPEM = data
	}
	return c, nil
}

// errText is an error's text without Go's "open <path>: " prefix, which
// the message already names.
func errText(err error) string {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err.Error()
	}
	return err.Error()
}

// configure reads the github block. Without one the connector still serves
// nhi_github_deploy_key from GITHUB_TOKEN, but the inventory data sources
// leave GitHub out. Values not known yet (a token from another resource)
// are never replaced by GITHUB_TOKEN: the connector waits for the apply.
func configure(ctx context.Context, req framework.ConfigureRequest) (framework.Connector, diag.Diagnostics) {
	var b *blockModel
	diags := req.Config.GetAttribute(ctx, path.Root(gh.SystemName), &b)
	if diags.HasError() {
		return nil, diags
	}
	present := b != nil
	var unknown []string
	if present {
		unknown = b.unknown()
	} else {
		b = &blockModel{}
	}
	prefix, clk := req.Prefix, req.Clock
	return &framework.Lazy[*gh.Client]{
		Name: gh.SystemName, Title: "GitHub", Hint: hint,
		Block: present, Unknown: unknown,
		Build: func(ctx context.Context) (*gh.Client, error) {
			cfg, err := b.config(os.Getenv)
			if err != nil {
				return nil, err
			}
			cfg.Prefix, cfg.Clock = prefix, clk
			cfg.Logger = newLogger(ctx, cfg.Token, string(cfg.PrivateKeyPEM))
			return gh.New(ctx, cfg)
		},
	}, diags
}

// authValidator checks the block's authentication as a whole: a token or
// a GitHub App, not both, and the App's attributes all together. Each
// message names the attribute and the fix.
type authValidator struct{}

func (authValidator) Description(context.Context) string {
	return "github: token, or app_id with installation_id and private_key or private_key_file"
}
func (v authValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (authValidator) ValidateProvider(ctx context.Context, req provider.ValidateConfigRequest, resp *provider.ValidateConfigResponse) {
	var b *blockModel
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root(gh.SystemName), &b)...)
	if b == nil || resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(checkAuth(b)...)
}

// checkAuth is authValidator's rule; a value not known yet counts as set.
func checkAuth(b *blockModel) diag.Diagnostics {
	var diags diag.Diagnostics
	at := func(name string) path.Path { return path.Root(gh.SystemName).AtName(name) }
	keySet := !b.PrivateKey.IsNull() || !b.PrivateKeyFile.IsNull()
	if b.Organization.IsNull() {
		diags.AddAttributeError(at("organization"), "Missing github.organization",
			"The github block needs organization: the login of the GitHub organization whose identities the inventory lists and whose repositories a bare repository name means, "+
				"such as organization = \"acme-corp\".")
	}
	if !b.Token.IsNull() && b.app() {
		diags.AddAttributeError(at("token"), "Two ways to authenticate to GitHub",
			"github.token is set together with GitHub App authentication (app_id, installation_id, private_key or private_key_file), but the provider authenticates one way. "+
				"Remove token to act as the App's installation, or remove the App attributes to use the token.")
		return diags // the App's own checks would only repeat it
	}
	if !b.PrivateKey.IsNull() && !b.PrivateKeyFile.IsNull() {
		diags.AddAttributeError(at("private_key_file"), "Two sources for the App's private key",
			"github.private_key and github.private_key_file are both set. Keep one: private_key holds the PEM key itself, private_key_file the path of a file holding it.")
	}
	if !b.app() {
		return diags
	}
	missing := func(name, what string) {
		diags.AddAttributeError(at(name), "Missing github."+name,
			fmt.Sprintf("GitHub App authentication needs app_id, installation_id and private_key (or private_key_file) together, and github.%s is not set. %s "+
				"Or remove the App attributes and authenticate with token (or the %s environment variable).", name, what, EnvToken))
	}
	if b.AppID.IsNull() {
		missing("app_id", "Set it to the App ID shown on the App's settings page.")
	}
	if b.InstallationID.IsNull() {
		missing("installation_id", "Set it to the installation's ID: the number at the end of the URL of the organization's Settings > GitHub Apps > Configure page.")
	}
	if !keySet {
		missing("private_key", "Set it to the App's PEM private key (such as file(\"app.pem\")), or set private_key_file to the key file's path.")
	}
	return diags
}

// login matches a GitHub user or organization login.
var login = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9]|-[A-Za-z0-9]){0,38}$`)

// repoName matches a repository name.
var repoName = regexp.MustCompile(`^[A-Za-z0-9._-]{1,100}$`)

func validateLogin(s string) error {
	if !login.MatchString(s) {
		return fmt.Errorf("%q is not a GitHub login: 1 to 39 letters, digits and single hyphens, not starting or ending with a hyphen, such as \"acme-corp\"", s)
	}
	return nil
}

// validateRepository accepts "owner/repo" or a repository name of the
// provider's organization.
func validateRepository(s string) error {
	owner, name, full := strings.Cut(s, "/")
	if !full {
		owner, name = "", s
	}
	switch {
	case full && !login.MatchString(owner):
		return fmt.Errorf("%q does not start with a GitHub owner login (\"owner/repo\", such as \"acme-corp/payments\")", s)
	case !repoName.MatchString(name) || name == "." || name == ".." || strings.HasSuffix(name, ".git"):
		return fmt.Errorf("%q is not a repository: write \"owner/repo\", such as \"acme-corp/payments\", or the name of a repository of the provider's github.organization, "+
			"such as \"payments\" (letters, digits, '.', '-' and '_'; no \".git\" suffix)", s)
	}
	return nil
}

func httpURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL such as \"https://github.example.com/api/v3/\"", s)
	}
	return nil
}

// pemKey checks that s looks like a PEM private key without quoting it (it
// is a secret).
func pemKey(s string) error {
	t := strings.TrimSpace(s)
	if !strings.HasPrefix(t, "-----BEGIN ") || !strings.Contains(t, "PRIVATE KEY-----") || !strings.Contains(t, "-----END ") {
		return fmt.Errorf("is not a PEM private key (a \"-----BEGIN RSA PRIVATE KEY-----\" block); give the App's key file's content, such as file(\"app.pem\"), or use private_key_file")
	}
	return nil
}
