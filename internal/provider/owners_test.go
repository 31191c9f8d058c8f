package provider

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// The owners block's mistakes are errors on the attribute at fault, with
// what is wrong and how to fix it, and never the bind password: a file
// that cannot be read or lists no one on owners.file; a password bind
// over plain ldap:// on owners.ldap.start_tls; credentials in the URL on
// owners.ldap.url, not repeated.
func TestOpenOwnersBlockDiagnostics(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "owners.txt")
	if err := os.WriteFile(empty, []byte("# nobody yet\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.txt")
	ldapBlock := func(url string, startTLS bool) *ownersModel {
		return &ownersModel{LDAP: &ldapModel{
			URL: types.StringValue(url), StartTLS: types.BoolValue(startTLS), BaseDN: types.StringValue("dc=example,dc=com"),
			BindDN: types.StringValue("cn=reader,dc=example,dc=com"), BindPassword: types.StringValue("pw-secret-1"),
			UserAttributes: types.ListNull(types.StringType),
		}}
	}
	for name, c := range map[string]struct {
		m                   *ownersModel
		attr, summary, want string
	}{
		"file missing": {&ownersModel{File: types.StringValue(missing)}, "owners.file", "Owner directory unavailable",
			"The owners block: owners file: open " + missing + ": no such file or directory. Set owners.file to a readable owners file (a relative path is relative to the directory Terraform runs in; use \"${path.module}/owners.txt\")."},
		"file empty": {&ownersModel{File: types.StringValue(empty)}, "owners.file", "Owner directory unavailable",
			"The owners block: owners file " + empty + ` lists no owner (it is empty, or holds only comments and blank lines), which would make every owner "not found": list the active people and teams, one per line.`},
		"plaintext bind": {ldapBlock("ldap://ldap.example.com", false), "owners.ldap.start_tls", "Invalid owners.ldap.start_tls",
			"owners.ldap.start_tls is not set, so binding as bind_dn over ldap://ldap.example.com would send bind_password across the network in clear text: use an ldaps:// URL, or set start_tls = true (the directory must offer StartTLS)."},
		"credentials in url": {ldapBlock("ldaps://cn=reader:pw-secret-2@ldap.example.com", false), "owners.ldap.url", "Invalid owners.ldap.url",
			`owners.ldap.url holds credentials (the part before "@"), which are not read from it and not repeated here: set the DN in bind_dn and the password in bind_password (or the NHI_OWNERS_LDAP_BIND_PASSWORD environment variable), and keep url to scheme, host and port, such as ldaps://ldap.example.com.`},
	} {
		t.Run(name, func(t *testing.T) {
			check, diags := openOwnersBlock(context.Background(), c.m, nhi.OwnerMustExistWarn)
			if check.Directory != nil || len(diags) != 1 || diags[0].Severity() != diag.SeverityError {
				t.Fatalf("want one error and no directory, got %v (directory %v)", diags, check.Directory)
			}
			d := diags[0]
			at := ""
			if wp, ok := d.(diag.DiagnosticWithPath); ok {
				at = wp.Path().String()
			}
			if at != c.attr || d.Summary() != c.summary || d.Detail() != c.want {
				t.Errorf("got %s %q: %q\nwant %s %q: %q", at, d.Summary(), d.Detail(), c.attr, c.summary, c.want)
			}
			if strings.Contains(d.Detail(), "pw-secret") {
				t.Error("the diagnostic holds the bind password")
			}
		})
	}
	// ldaps:// and StartTLS are accepted (the directory is contacted only
	// at plan time).
	for _, m := range []*ownersModel{ldapBlock("ldaps://ldap.example.com", false), ldapBlock("ldap://ldap.example.com", true)} {
		if check, diags := openOwnersBlock(context.Background(), m, nhi.OwnerMustExistWarn); diags.HasError() || check.Directory == nil {
			t.Errorf("%s: %v", m.LDAP.URL.ValueString(), diags)
		}
	}
}
