package main

import (
	"context"
	"flag"
	"os"

	"github.com/nhi-ops/terraform-provider-nhi/internal/testenv"
)

// ldapMain runs the LDAP subcommands:
//
//	nhi-dev-cluster ldap-up   -dir .nhi-dev/ldap [-slapd /usr/sbin/slapd]
//	nhi-dev-cluster ldap-down -dir .nhi-dev/ldap
//
// ldap-up writes DIR/ldap.env (NHI_TEST_LDAP_URL, NHI_TEST_LDAPS_URL,
// NHI_TEST_LDAP_CA_FILE, NHI_TEST_LDAP_BASE_DN, NHI_TEST_LDAP_BIND_DN,
// NHI_TEST_LDAP_BIND_PASSWORD, NHI_TEST_LDAP_ADMIN_DN,
// NHI_TEST_LDAP_ADMIN_PASSWORD and NHI_TEST_LDAP=1) to source.
func ldapMain(cmd string, args []string) error {
	fs := flag.NewFlagSet(cmd, flag.ExitOnError)
	dir := fs.String("dir", ".nhi-dev/ldap", "directory for the LDAP directory's configuration, database, logs and ldap.env")
	slapd := fs.String("slapd", testenv.DefaultSlapd, "the slapd binary (scripts/ldap-install.sh installs Debian's)")
	_ = fs.Parse(args)
	return upDown(cmd == "ldap-down", *dir, testenv.StopLDAPDir, func(ctx context.Context) error {
		_, err := testenv.StartLDAP(ctx, testenv.LDAPOptions{Dir: *dir, Slapd: *slapd, Progress: os.Stderr})
		return err
	}, "LDAP test directory stopped")
}
