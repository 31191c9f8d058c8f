package testenv

import (
	"context"
	"crypto/rand"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// The owner directory test target: OpenLDAP's slapd from Debian (installed
// by scripts/ldap-install.sh where missing), run with its own slapd.conf
// and an mdb database in a temporary directory, on random 127.0.0.1 ports
// (ldap:// with StartTLS, and ldaps://), seeded from LDAPSeed. As root it
// runs as the package's openldap user.
const (
	LDAPEnvFile   = "ldap.env"
	ldapStateFile = "ldap.json"
	// LDAPBaseDN is the suffix of the test directory.
	LDAPBaseDN = "dc=example,dc=com"
	// LDAPBindDN is the read-only account the provider binds as.
	LDAPBindDN = "cn=nhi-reader,ou=services,dc=example,dc=com"
	// LDAPAdminDN is the directory's rootdn, for tests that change
	// entries (ldapmodify).
	LDAPAdminDN = "cn=admin,dc=example,dc=com"
	// ldapOSUser runs slapd when started as root (Debian's slapd package
	// creates it).
	ldapOSUser = "openldap"
	// DefaultSlapd is Debian's slapd.
	DefaultSlapd = "/usr/sbin/slapd"
)

// LDAPSeed is what the test directory holds after StartLDAP, besides the
// bind account (%s is replaced by its password hash). People are active
// unless employeeType is "departed":
//
//	alice  alice@example.com  active
//	carol  carol@example.com  active, the manager of dave and frank
//	bob    bob@example.com    departed, no manager
//	dave   dave@example.com   departed, manager carol
//	frank  frank@example.com  departed, manager carol
//	erin   erin@example.com   departed, manager frank (departed too)
//
// Groups (groupOfNames unless said): payments (alice, bob); legacy (bob,
// dave: no active member); sre (alice); platform (the group sre: active
// through nesting); ghosts (the group legacy: no active member through
// nesting); data (groupOfUniqueNames: carol).
const LDAPSeed = `dn: dc=example,dc=com
objectClass: top
objectClass: dcObject
objectClass: organization
o: Example
dc: example

dn: ou=people,dc=example,dc=com
objectClass: organizationalUnit
ou: people

dn: ou=groups,dc=example,dc=com
objectClass: organizationalUnit
ou: groups

dn: ou=services,dc=example,dc=com
objectClass: organizationalUnit
ou: services

dn: cn=nhi-reader,ou=services,dc=example,dc=com
objectClass: person
objectClass: simpleSecurityObject
cn: nhi-reader
sn: reader
userPassword: %s

dn: uid=alice,ou=people,dc=example,dc=com
objectClass: inetOrgPerson
uid: alice
cn: Alice Example
sn: Example
mail: alice@example.com
employeeType: staff

dn: uid=carol,ou=people,dc=example,dc=com
objectClass: inetOrgPerson
uid: carol
cn: Carol Example
sn: Example
mail: carol@example.com
employeeType: staff

dn: uid=bob,ou=people,dc=example,dc=com
objectClass: inetOrgPerson
uid: bob
cn: Bob Example
sn: Example
mail: bob@example.com
employeeType: departed

dn: uid=dave,ou=people,dc=example,dc=com
objectClass: inetOrgPerson
uid: dave
cn: Dave Example
sn: Example
mail: dave@example.com
employeeType: departed
manager: uid=carol,ou=people,dc=example,dc=com

dn: uid=frank,ou=people,dc=example,dc=com
objectClass: inetOrgPerson
uid: frank
cn: Frank Example
sn: Example
mail: frank@example.com
employeeType: departed
manager: uid=carol,ou=people,dc=example,dc=com

dn: uid=erin,ou=people,dc=example,dc=com
objectClass: inetOrgPerson
uid: erin
cn: Erin Example
sn: Example
mail: erin@example.com
employeeType: departed
manager: uid=frank,ou=people,dc=example,dc=com

dn: cn=payments,ou=groups,dc=example,dc=com
objectClass: groupOfNames
cn: payments
member: uid=alice,ou=people,dc=example,dc=com
member: uid=bob,ou=people,dc=example,dc=com

dn: cn=legacy,ou=groups,dc=example,dc=com
objectClass: groupOfNames
cn: legacy
member: uid=bob,ou=people,dc=example,dc=com
member: uid=dave,ou=people,dc=example,dc=com

dn: cn=sre,ou=groups,dc=example,dc=com
objectClass: groupOfNames
cn: sre
member: uid=alice,ou=people,dc=example,dc=com

dn: cn=platform,ou=groups,dc=example,dc=com
objectClass: groupOfNames
cn: platform
member: cn=sre,ou=groups,dc=example,dc=com

dn: cn=ghosts,ou=groups,dc=example,dc=com
objectClass: groupOfNames
cn: ghosts
member: cn=legacy,ou=groups,dc=example,dc=com

dn: cn=data,ou=groups,dc=example,dc=com
objectClass: groupOfUniqueNames
cn: data
uniqueMember: uid=carol,ou=people,dc=example,dc=com
`

// LDAP is a running OpenLDAP test directory.
type LDAP struct {
	Dir string `json:"dir"`
	// RunDir holds slapd.conf, the database and the TLS key: Dir, or a
	// private directory under the system's temporary directory when the
	// server's user cannot reach Dir.
	RunDir  string `json:"run_dir"`
	Slapd   string `json:"slapd"`
	Host    string `json:"host"`
	Port    int    `json:"port"`     // ldap:// (StartTLS offered)
	TLSPort int    `json:"tls_port"` // ldaps://
	// CAFile is the PEM of the CA that signed the server's certificate.
	CAFile string `json:"ca_file"`
	OSUser string `json:"os_user"`
	Pids   []int  `json:"pids"`
	// The passwords are only in ldap.env.
	BindPassword  string `json:"-"`
	AdminPassword string `json:"-"`
}

// LDAPOptions configure StartLDAP.
type LDAPOptions struct {
	// Dir holds slapd.conf, the database, logs/slapd.log, the state file,
	// the CA certificate and ldap.env. It is created.
	Dir string
	// Slapd is the slapd binary; empty: DefaultSlapd.
	Slapd string
	// Progress receives one line per step; nil discards.
	Progress io.Writer
}

// URL is the directory's ldap:// URL (StartTLS is offered on it).
func (l *LDAP) URL() string { return fmt.Sprintf("ldap://%s:%d", l.Host, l.Port) }

// TLSURL is the directory's ldaps:// URL.
func (l *LDAP) TLSURL() string { return fmt.Sprintf("ldaps://%s:%d", l.Host, l.TLSPort) }

func (l *LDAP) dataDir() string  { return filepath.Join(l.RunDir, "data") }
func (l *LDAP) confFile() string { return filepath.Join(l.RunDir, "slapd.conf") }

// StartLDAP writes slapd.conf, loads LDAPSeed with slapadd, starts slapd
// detached (so a CLI can exit and leave it running; StopLDAPDir stops it
// from another process), waits until the bind account can bind, and
// writes Dir/ldap.env.
func StartLDAP(ctx context.Context, o LDAPOptions) (_ *LDAP, err error) {
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	slapd := o.Slapd
	if slapd == "" {
		slapd = DefaultSlapd
	}
	if _, err := os.Stat(slapd); err != nil {
		return nil, fmt.Errorf("slapd not found at %s: run scripts/ldap-install.sh (it installs Debian's slapd and ldap-utils packages without starting their server)", slapd)
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return nil, err
	}
	if prev, err := loadLDAP(dir); err == nil && prev.alive() {
		return nil, fmt.Errorf("an LDAP test directory is already running from %s (pids %v); stop it first (make ldap-down)", dir, prev.Pids)
	}
	l := &LDAP{Dir: dir, RunDir: dir, Slapd: slapd, Host: "127.0.0.1", BindPassword: randomHex(16), AdminPassword: randomHex(16)}
	for _, d := range []string{dir, filepath.Join(dir, "logs")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	defer func() {
		if err != nil {
			_ = l.Stop()
		}
	}()
	cred, err := ldapCredential()
	if err != nil {
		return nil, err
	}
	if l.RunDir, l.OSUser, err = prepareRunDir(dir, cred, "nhi-ldap-"); err != nil {
		return nil, err
	}
	if err := l.save(); err != nil {
		return nil, err
	}
	_ = os.RemoveAll(l.dataDir())
	if err := os.Mkdir(l.dataDir(), 0o700); err != nil {
		return nil, err
	}
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	l.Port, l.TLSPort = ports[0], ports[1]

	// TLS: a throwaway CA and a certificate for 127.0.0.1 and localhost.
	p, err := newPKI()
	if err != nil {
		return nil, err
	}
	certPEM, keyPEM, err := p.issue("slapd", nil, x509.ExtKeyUsageServerAuth, []string{"localhost"}, []net.IP{net.ParseIP("127.0.0.1")})
	if err != nil {
		return nil, err
	}
	l.CAFile = filepath.Join(dir, "ca.pem")
	files := map[string][]byte{
		filepath.Join(dir, "ca.pem"):         p.caPEM,
		filepath.Join(l.RunDir, "ca.pem"):    p.caPEM,
		filepath.Join(l.RunDir, "slapd.crt"): certPEM,
		filepath.Join(l.RunDir, "slapd.key"): keyPEM,
		l.confFile():                         []byte(l.conf()),
		filepath.Join(l.RunDir, "seed.ldif"): []byte(fmt.Sprintf(LDAPSeed, ssha(l.BindPassword))),
	}
	for path, b := range files {
		if err := os.WriteFile(path, b, 0o600); err != nil {
			return nil, err
		}
		if cred != nil && filepath.Dir(path) == l.RunDir {
			if err := os.Chown(path, int(cred.Uid), int(cred.Gid)); err != nil {
				return nil, err
			}
		}
	}
	if err := os.Chmod(l.CAFile, 0o644); err != nil {
		return nil, err
	}
	if cred != nil {
		if err := os.Chown(l.dataDir(), int(cred.Uid), int(cred.Gid)); err != nil {
			return nil, err
		}
	}
	if err := l.save(); err != nil {
		return nil, err
	}

	fmt.Fprintf(o.Progress, "slapadd into %s\n", l.dataDir())
	seedLog := filepath.Join(dir, "logs", "slapadd.log")
	if err := runAs(cred, ldapProcessEnv(), l.RunDir, seedLog, slapd, "-T", "add", "-f", l.confFile(), "-l", filepath.Join(l.RunDir, "seed.ldif")); err != nil {
		return nil, fmt.Errorf("slapadd failed (%w): %s", err, tail(seedLog))
	}
	_ = os.Remove(filepath.Join(l.RunDir, "seed.ldif"))

	fmt.Fprintf(o.Progress, "starting slapd on %s and %s\n", l.URL(), l.TLSURL())
	logFile := filepath.Join(dir, "logs", "slapd.log")
	// -d 0: stay in the foreground (the harness owns the process) and log
	// only what slapd always logs.
	pid, err := launchAs(cred, ldapProcessEnv(), l.RunDir, logFile, slapd, "-d", "0", "-f", l.confFile(), "-h", l.URL()+"/ "+l.TLSURL()+"/")
	if err != nil {
		return nil, err
	}
	l.Pids = []int{pid}
	if err := l.save(); err != nil {
		return nil, err
	}
	if err := l.waitReady(ctx, 30*time.Second, logFile); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, LDAPEnvFile), []byte(l.env()), 0o600); err != nil {
		return nil, err
	}
	fmt.Fprintf(o.Progress, "LDAP test directory ready at %s: source %s\n", l.URL(), filepath.Join(dir, LDAPEnvFile))
	return l, nil
}

func (l *LDAP) conf() string {
	r := l.RunDir
	return fmt.Sprintf(`# nhi test directory (testenv.StartLDAP)
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile %[1]s/data/slapd.pid
argsfile %[1]s/data/slapd.args
TLSCACertificateFile %[1]s/ca.pem
TLSCertificateFile %[1]s/slapd.crt
TLSCertificateKeyFile %[1]s/slapd.key
sizelimit unlimited

database mdb
maxsize 268435456
suffix "%[2]s"
rootdn "%[3]s"
rootpw %[4]s
directory %[1]s/data
index objectClass eq
index uid,mail,cn eq
index member,uniqueMember eq
# The bind account reads everything but passwords; anonymous users may
# only bind.
access to attrs=userPassword
  by anonymous auth
  by * none
access to *
  by dn.exact="%[5]s" read
  by * none
`, r, LDAPBaseDN, LDAPAdminDN, ssha(l.AdminPassword), LDAPBindDN)
}

func (l *LDAP) env() string {
	q := func(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
	var b strings.Builder
	for _, kv := range [][2]string{
		{"NHI_TEST_LDAP_URL", l.URL()},
		{"NHI_TEST_LDAPS_URL", l.TLSURL()},
		{"NHI_TEST_LDAP_CA_FILE", l.CAFile},
		{"NHI_TEST_LDAP_BASE_DN", LDAPBaseDN},
		{"NHI_TEST_LDAP_BIND_DN", LDAPBindDN},
		{"NHI_TEST_LDAP_BIND_PASSWORD", l.BindPassword},
		{"NHI_TEST_LDAP_ADMIN_DN", LDAPAdminDN},
		{"NHI_TEST_LDAP_ADMIN_PASSWORD", l.AdminPassword},
		{"NHI_TEST_LDAP", "1"},
	} {
		fmt.Fprintf(&b, "export %s=%s\n", kv[0], q(kv[1]))
	}
	return b.String()
}

// waitReady binds as the bind account until it works, or slapd exits, or
// limit passes; then checks that StartTLS and ldaps:// work too.
func (l *LDAP) waitReady(ctx context.Context, limit time.Duration, logFile string) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	var err error
	for {
		if err = l.tryBind(l.URL(), false); err == nil {
			break
		}
		if !l.alive() {
			return fmt.Errorf("slapd exited during startup: %s", tail(logFile))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("timed out after %s waiting for slapd on %s (last error: %v); see %s", limit, l.URL(), err, logFile)
		case <-time.After(100 * time.Millisecond):
		}
	}
	if err := l.tryBind(l.URL(), true); err != nil {
		return fmt.Errorf("slapd on %s refuses StartTLS: %v; see %s", l.URL(), err, logFile)
	}
	if err := l.tryBind(l.TLSURL(), false); err != nil {
		return fmt.Errorf("slapd on %s: %v; see %s", l.TLSURL(), err, logFile)
	}
	return nil
}

func (l *LDAP) tryBind(url string, startTLS bool) error {
	ca, err := os.ReadFile(l.CAFile)
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	tc := &tls.Config{RootCAs: pool, ServerName: l.Host, MinVersion: tls.VersionTLS12}
	c, err := ldap.DialURL(url, ldap.DialWithDialer(&net.Dialer{Timeout: 2 * time.Second}), ldap.DialWithTLSConfig(tc))
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetTimeout(2 * time.Second)
	if startTLS {
		if err := c.StartTLS(tc); err != nil {
			return err
		}
	}
	return c.Bind(LDAPBindDN, l.BindPassword)
}

// ssha is an OpenLDAP {SSHA} password hash.
func ssha(password string) string {
	salt := make([]byte, 8)
	_, _ = rand.Read(salt)
	h := sha1.New()
	h.Write([]byte(password))
	h.Write(salt)
	return "{SSHA}" + base64.StdEncoding.EncodeToString(append(h.Sum(nil), salt...))
}

// ldapCredential is nil when not root, or when root and there is no
// openldap user (slapd runs as root then); else the openldap user.
func ldapCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup(ldapOSUser)
	if err != nil {
		return nil, nil
	}
	return credentialOf(u)
}

// ldapProcessEnv is this environment without OpenLDAP's client variables
// (a caller's LDAPCONF or LDAPTLS_* must not change the server).
func ldapProcessEnv() []string { return envWithout("LDAP") }

func (l *LDAP) alive() bool { return pidsAlive(l.Pids) }

func (l *LDAP) save() error { return saveState(filepath.Join(l.Dir, ldapStateFile), l) }

func loadLDAP(dir string) (*LDAP, error) {
	l := &LDAP{}
	return l, loadState(filepath.Join(dir, ldapStateFile), l)
}

// Stop shuts slapd down (SIGTERM; SIGKILL when it lingers) and removes its
// configuration, database, key, state file and ldap.env.
func (l *LDAP) Stop() error {
	err := signalPids("slapd", l.Pids, syscall.SIGTERM, syscall.SIGKILL)
	l.Pids = nil
	if l.RunDir != "" {
		_ = os.RemoveAll(l.dataDir())
		for _, f := range []string{"slapd.conf", "slapd.crt", "slapd.key", "ca.pem", "seed.ldif"} {
			_ = os.Remove(filepath.Join(l.RunDir, f))
		}
		if l.RunDir != l.Dir {
			_ = os.RemoveAll(l.RunDir)
		}
	}
	_ = os.Remove(filepath.Join(l.Dir, "ca.pem"))
	_ = os.Remove(filepath.Join(l.Dir, ldapStateFile))
	_ = os.Remove(filepath.Join(l.Dir, LDAPEnvFile))
	return err
}

// StopLDAPDir stops the LDAP test directory started from dir, if any.
func StopLDAPDir(dir string) error { return stopStateDir(dir, loadLDAP) }
