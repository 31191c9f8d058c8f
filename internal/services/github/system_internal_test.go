package github

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

func block(token string, appID, installationID int64, key, keyFile string) *blockModel {
	b := &blockModel{Organization: types.StringValue("acme"), BaseURL: types.StringNull(), Token: types.StringNull(),
		AppID: types.Int64Null(), InstallationID: types.Int64Null(), PrivateKey: types.StringNull(), PrivateKeyFile: types.StringNull()}
	if token != "" {
		b.Token = types.StringValue(token)
	}
	if appID != 0 {
		b.AppID = types.Int64Value(appID)
	}
	if installationID != 0 {
		b.InstallationID = types.Int64Value(installationID)
	}
	if key != "" {
		b.PrivateKey = types.StringValue(key)
	}
	if keyFile != "" {
		b.PrivateKeyFile = types.StringValue(keyFile)
	}
	return b
}

const testPEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n"

// The block's authentication is a token or a whole GitHub App: each error
// is on the attribute to change and says how.
func TestCheckAuth(t *testing.T) {
	for name, c := range map[string]struct {
		b          *blockModel
		attr, want string
	}{
		"token only":                {b: block("t", 0, 0, "", "")},
		"nothing (GITHUB_TOKEN)":    {b: block("", 0, 0, "", "")},
		"whole app":                 {b: block("", 1, 2, testPEM, "")},
		"whole app with a key file": {b: block("", 1, 2, "", "/k.pem")},
		"token and app":             {b: block("t", 1, 2, testPEM, ""), attr: "github.token", want: "Remove token to act as the App's installation, or remove the App attributes"},
		"token and a key file":      {b: block("t", 0, 0, "", "/k.pem"), attr: "github.token", want: "authenticates one way"},
		"no installation":           {b: block("", 1, 0, testPEM, ""), attr: "github.installation_id", want: "github.installation_id is not set. Set it to the installation's ID"},
		"no app_id":                 {b: block("", 0, 2, "", "/k.pem"), attr: "github.app_id", want: "github.app_id is not set. Set it to the App ID"},
		"no key":                    {b: block("", 1, 2, "", ""), attr: "github.private_key", want: "or set private_key_file to the key file's path"},
		"two keys":                  {b: block("", 1, 2, testPEM, "/k.pem"), attr: "github.private_key_file", want: "Keep one"},
	} {
		t.Run(name, func(t *testing.T) {
			d := checkAuth(c.b)
			if c.attr == "" {
				if d.HasError() {
					t.Fatalf("unexpected errors: %v", d)
				}
				return
			}
			if len(d) == 0 {
				t.Fatal("no error")
			}
			if !strings.Contains(d[0].Detail(), c.want) {
				t.Errorf("detail %q, want it to contain %q", d[0].Detail(), c.want)
			}
			if p := pathOf(d[0]); p != c.attr {
				t.Errorf("error on %q, want %q", p, c.attr)
			}
		})
	}
	// The block needs its organization.
	b0 := block("t", 0, 0, "", "")
	b0.Organization = types.StringNull()
	if d := checkAuth(b0); len(d) != 1 || pathOf(d[0]) != "github.organization" || !strings.Contains(d[0].Detail(), "such as organization = \"acme-corp\"") {
		t.Errorf("no organization: %v", d)
	}
	// An unknown value counts as set.
	b := block("", 1, 0, testPEM, "")
	b.InstallationID = types.Int64Unknown()
	if d := checkAuth(b); d.HasError() {
		t.Errorf("an unknown installation_id is refused: %v", d)
	}
}

// The token defaults to GITHUB_TOKEN only without an App; a key file is
// read, and a missing or wrong one is an error naming the attribute that
// never quotes the file's content.
func TestBlockConfig(t *testing.T) {
	env := func(string) string { return "from-env" }
	c, err := block("", 0, 0, "", "").config(env)
	if err != nil || c.Token != "from-env" || c.Organization != "acme" {
		t.Errorf("no token: %+v %v", c, err)
	}
	c, err = block("explicit", 0, 0, "", "").config(env)
	if err != nil || c.Token != "explicit" {
		t.Errorf("explicit token: %+v %v", c, err)
	}
	dir := t.TempDir()
	good := filepath.Join(dir, "app.pem")
	if err := os.WriteFile(good, []byte(testPEM), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err = block("", 7, 8, "", good).config(env)
	if err != nil || c.Token != "" || c.AppID != 7 || c.InstallationID != 8 || string(c.PrivateKeyPEM) != testPEM {
		t.Errorf("app with key file: %+v %v", c, err)
	}
	if _, err := block("", 7, 8, "", filepath.Join(dir, "missing.pem")).config(env); err == nil || !strings.Contains(err.Error(), "github.private_key_file") || !strings.Contains(err.Error(), "cannot be read (no such file or directory)") {
		t.Errorf("missing key file: %v", err)
	}
	bad := filepath.Join(dir, "bad.pem")
	if err := os.WriteFile(bad, []byte("top-secret-not-a-key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := block("", 7, 8, "", bad).config(env); err == nil || !strings.Contains(err.Error(), "does not hold a PEM private key") || strings.Contains(err.Error(), "top-secret") {
		t.Errorf("bad key file: %v", err)
	}
}

func TestValidateRepository(t *testing.T) {
	for _, ok := range []string{"acme/app", "app", "acme-corp/my.repo_1", "a/b"} {
		if err := validateRepository(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for in, want := range map[string]string{
		"":                            "is not a repository",
		"acme/":                       "is not a repository",
		"/app":                        "does not start with a GitHub owner login",
		"-acme/app":                   "does not start with a GitHub owner login",
		"acme/app/extra":              "is not a repository",
		"acme/app.git":                "no \".git\" suffix",
		"acme/a b":                    "is not a repository",
		"https://github.com/acme/app": "does not start with a GitHub owner login",
	} {
		if err := validateRepository(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("validateRepository(%q) = %v, want %q", in, err, want)
		}
	}
	if err := validateLogin("acme--corp"); err == nil {
		t.Error("a double hyphen is accepted")
	}
}

// pathOf is the attribute path of a diagnostic, "" when it has none.
func pathOf(d interface{}) string {
	if p, ok := d.(interface{ Path() path.Path }); ok {
		return p.Path().String()
	}
	return ""
}
