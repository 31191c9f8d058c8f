package testenv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// The PostgreSQL test target: a throwaway cluster made with initdb from the
// Debian packages (/usr/lib/postgresql/<version>/bin, installed by
// scripts/postgres-install.sh where missing), run as an unprivileged OS user
// (the server refuses to run as root) on a random 127.0.0.1 port with
// scram-sha-256 password authentication.
const (
	PostgresEnvFile   = "pg.env"
	postgresStateFile = "postgres.json"
	// PostgresSuperuser is the bootstrap superuser initdb creates.
	PostgresSuperuser = "postgres"
	// postgresFallbackUser is the OS user created to run the server when
	// the package's own postgres user does not exist.
	postgresFallbackUser = "nhi-pg"
)

// PostgresDatabases are the databases created besides "postgres".
var PostgresDatabases = []string{"app", "analytics"}

// Postgres is a running PostgreSQL test server.
type Postgres struct {
	Dir  string `json:"dir"`
	Bin  string `json:"bin"`
	Host string `json:"host"`
	Port int    `json:"port"`
	// User and Password are the superuser's; the password is only in pg.env.
	User     string `json:"user"`
	Password string `json:"-"`
	// OSUser runs the server.
	OSUser string `json:"os_user"`
	// RunDir holds data/ and socket/: Dir, or a private directory under
	// the system's temporary directory when OSUser cannot reach Dir (a
	// parent of Dir is closed to other users).
	RunDir string `json:"run_dir"`
	Pids   []int  `json:"pids"`
}

// PostgresOptions configure StartPostgres.
type PostgresOptions struct {
	// Dir holds the data directory, the socket, logs/postgres.log, the state
	// file and pg.env. It is created.
	Dir string
	// Bin holds initdb and postgres; empty: the newest
	// /usr/lib/postgresql/*/bin.
	Bin string
	// Progress receives one line per step; nil discards.
	Progress io.Writer
}

// DataDir is the server's data directory.
func (p *Postgres) DataDir() string { return filepath.Join(p.RunDir, "data") }

// SocketDir is the directory of the server's unix socket.
func (p *Postgres) SocketDir() string { return filepath.Join(p.RunDir, "socket") }

// ConnString is a libpq keyword/value connection string for db as the
// superuser over TCP.
func (p *Postgres) ConnString(db string) string {
	return fmt.Sprintf("host=%s port=%d user=%s password=%s dbname=%s sslmode=disable", p.Host, p.Port, p.User, p.Password, db)
}

// PostgresBinDir returns the newest /usr/lib/postgresql/<version>/bin that
// holds a postgres binary.
func PostgresBinDir() (string, error) {
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/postgres")
	best, bestVersion := "", -1.0
	for _, m := range matches {
		v, err := strconv.ParseFloat(filepath.Base(filepath.Dir(filepath.Dir(m))), 64)
		if err != nil {
			continue
		}
		if v > bestVersion {
			best, bestVersion = filepath.Dir(m), v
		}
	}
	if best == "" {
		return "", errors.New("no PostgreSQL server in /usr/lib/postgresql/*/bin: run scripts/postgres-install.sh (it installs Debian's postgresql package) or pass the directory of initdb and postgres")
	}
	return best, nil
}

// StartPostgres runs initdb into Dir/data, starts the server detached (so a
// CLI can exit and leave it running; StopPostgresDir stops it from another
// process), waits until it accepts connections, creates the databases of
// PostgresDatabases and pg_stat_statements, and writes Dir/pg.env.
func StartPostgres(ctx context.Context, o PostgresOptions) (_ *Postgres, err error) {
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	bin := o.Bin
	if bin == "" {
		if bin, err = PostgresBinDir(); err != nil {
			return nil, err
		}
	}
	for _, b := range []string{"initdb", "postgres"} {
		if _, err := os.Stat(filepath.Join(bin, b)); err != nil {
			return nil, fmt.Errorf("PostgreSQL binary %s missing in %q: run scripts/postgres-install.sh, which prints the directory to use", b, bin)
		}
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return nil, err
	}
	if prev, err := loadPostgres(dir); err == nil && prev.alive() {
		return nil, fmt.Errorf("a PostgreSQL test server is already running from %s (pids %v); stop it first (make pg-down)", dir, prev.Pids)
	}
	p := &Postgres{Dir: dir, RunDir: dir, Bin: bin, Host: "127.0.0.1", User: PostgresSuperuser, Password: randomHex(16)}
	_ = os.RemoveAll(p.DataDir())
	_ = os.RemoveAll(p.SocketDir())
	for _, d := range []string{dir, filepath.Join(dir, "logs")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	defer func() {
		if err != nil {
			_ = p.Stop()
		}
	}()
	cred, err := postgresCredential()
	if err != nil {
		return nil, err
	}
	// The server's user enters Dir (only to reach data/ and socket/;
	// the state file, pg.env and logs/ stay private).
	if p.RunDir, p.OSUser, err = prepareRunDir(dir, cred, "nhi-pg-"); err != nil {
		return nil, err
	}
	if err := p.save(); err != nil {
		return nil, err
	}
	for _, d := range []string{p.DataDir(), p.SocketDir()} {
		if err := os.Mkdir(d, 0o700); err != nil {
			return nil, err
		}
		if cred != nil {
			if err := os.Chown(d, int(cred.Uid), int(cred.Gid)); err != nil {
				return nil, err
			}
		}
	}
	// initdb reads the password from a file the server's user can read; it
	// is removed right after.
	pwfile := filepath.Join(p.SocketDir(), "pwfile")
	if err := os.WriteFile(pwfile, []byte(p.Password+"\n"), 0o600); err != nil {
		return nil, err
	}
	if cred != nil {
		if err := os.Chown(pwfile, int(cred.Uid), int(cred.Gid)); err != nil {
			return nil, err
		}
	}
	fmt.Fprintf(o.Progress, "initdb into %s\n", p.DataDir())
	initLog := filepath.Join(dir, "logs", "initdb.log")
	err = runAs(cred, postgresProcessEnv(), p.RunDir, initLog, filepath.Join(bin, "initdb"),
		"-D", p.DataDir(), "-U", PostgresSuperuser, "--pwfile="+pwfile,
		"--auth-local=scram-sha-256", "--auth-host=scram-sha-256",
		"-E", "UTF8", "--locale=C", "--no-sync")
	_ = os.Remove(pwfile)
	if err != nil {
		return nil, fmt.Errorf("initdb failed (%w): %s", err, tail(initLog))
	}
	ports, err := freePorts(1)
	if err != nil {
		return nil, err
	}
	p.Port = ports[0]
	conf := fmt.Sprintf(`
# nhi test server (testenv.StartPostgres)
listen_addresses = '127.0.0.1'
port = %d
unix_socket_directories = '%s'
shared_preload_libraries = 'pg_stat_statements'
# Room for every distinct statement of a benchmark at N = 2000 (one-off
# CREATE ROLE, COMMENT and GRANT texts each take an entry), so none is evicted.
pg_stat_statements.max = 20000
max_connections = 500
fsync = off
synchronous_commit = off
full_page_writes = off
logging_collector = off
log_min_messages = warning
`, p.Port, p.SocketDir())
	f, err := os.OpenFile(filepath.Join(p.DataDir(), "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return nil, err
	}
	_, err = f.WriteString(conf)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(o.Progress, "starting postgres on %s:%d\n", p.Host, p.Port)
	logFile := filepath.Join(dir, "logs", "postgres.log")
	pid, err := launchAs(cred, postgresProcessEnv(), p.RunDir, logFile, filepath.Join(bin, "postgres"), "-D", p.DataDir())
	if err != nil {
		return nil, err
	}
	p.Pids = []int{pid}
	if err := p.save(); err != nil {
		return nil, err
	}
	conn, err := p.waitReady(ctx, 60*time.Second, logFile)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.Background())
	for _, db := range PostgresDatabases {
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{db}.Sanitize()); err != nil {
			return nil, fmt.Errorf("creating database %s: %w", db, err)
		}
	}
	if _, err := conn.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"); err != nil {
		return nil, fmt.Errorf("creating extension pg_stat_statements: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, PostgresEnvFile), []byte(p.env()), 0o600); err != nil {
		return nil, err
	}
	fmt.Fprintf(o.Progress, "PostgreSQL test server ready at %s:%d: source %s\n", p.Host, p.Port, filepath.Join(dir, PostgresEnvFile))
	return p, nil
}

func (p *Postgres) env() string {
	q := func(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
	return fmt.Sprintf("export PGHOST=%s\nexport PGPORT=%s\nexport PGUSER=%s\nexport PGPASSWORD=%s\nexport PGDATABASE=%s\nexport PGSSLMODE=%s\n"+
		"# For the project's tests.\nexport NHI_TEST_POSTGRES=%s\n",
		q(p.Host), q(strconv.Itoa(p.Port)), q(p.User), q(p.Password), q("postgres"), q("disable"), q("1"))
}

// waitReady connects until the server accepts the superuser's password, or
// the server exits, or limit passes.
func (p *Postgres) waitReady(ctx context.Context, limit time.Duration, logFile string) (*pgx.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for {
		cctx, ccancel := context.WithTimeout(ctx, 2*time.Second)
		conn, err := pgx.Connect(cctx, p.ConnString("postgres"))
		ccancel()
		if err == nil {
			return conn, nil
		}
		if !p.alive() {
			return nil, fmt.Errorf("postgres exited during startup: %s", tail(logFile))
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("timed out after %s waiting for PostgreSQL on %s:%d (last error: %v); see %s", limit, p.Host, p.Port, err, logFile)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// postgresCredential is nil when not root; as root, the Debian package's
// postgres user, else nhi-pg (created with useradd).
func postgresCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup(PostgresSuperuser)
	if err != nil {
		if u, err = user.Lookup(postgresFallbackUser); err != nil {
			out, uerr := exec.Command("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", postgresFallbackUser).CombinedOutput()
			if uerr != nil {
				return nil, fmt.Errorf("the PostgreSQL server refuses to run as root and there is no postgres user; creating the system user %s failed: %v: %s", postgresFallbackUser, uerr, strings.TrimSpace(string(out)))
			}
			if u, err = user.Lookup(postgresFallbackUser); err != nil {
				return nil, err
			}
		}
	}
	return credentialOf(u)
}

// postgresProcessEnv is this environment without libpq's and the server's
// variables (a caller's PGDATA or PGPORT must not leak in).
func postgresProcessEnv() []string {
	env := envWithout("PG")
	sort.Strings(env)
	return append(env, "LC_ALL=C")
}

// tail is the end of a log file, for error messages.
func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "no log at " + path
	}
	s := strings.TrimSpace(string(b))
	if len(s) > 2000 {
		s = "..." + s[len(s)-2000:]
	}
	return s + " (log: " + path + ")"
}

func (p *Postgres) alive() bool { return pidsAlive(p.Pids) }

func (p *Postgres) save() error { return saveState(filepath.Join(p.Dir, postgresStateFile), p) }

func loadPostgres(dir string) (*Postgres, error) {
	p := &Postgres{}
	return p, loadState(filepath.Join(dir, postgresStateFile), p)
}

// Stop shuts the server down (fast shutdown: SIGINT, which ends open
// sessions; SIGQUIT then SIGKILL when it lingers) and removes its data,
// socket, state file and pg.env.
func (p *Postgres) Stop() error {
	err := signalPids("postgres", p.Pids, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGKILL)
	p.Pids = nil
	if p.RunDir != "" {
		_ = os.RemoveAll(p.DataDir())
		_ = os.RemoveAll(p.SocketDir())
		if p.RunDir != p.Dir {
			_ = os.RemoveAll(p.RunDir)
		}
	}
	_ = os.Remove(filepath.Join(p.Dir, postgresStateFile))
	_ = os.Remove(filepath.Join(p.Dir, PostgresEnvFile))
	return err
}

// StopPostgresDir stops the PostgreSQL test server started from dir, if any.
func StopPostgresDir(dir string) error { return stopStateDir(dir, loadPostgres) }
