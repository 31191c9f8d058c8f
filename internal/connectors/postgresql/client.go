// Package postgresql is the PostgreSQL connector: it reads and writes login
// roles (the database's service accounts), their grants and their
// passwords through pgx. It has no Terraform imports, so the provider and
// the drift reporter share it.
package postgresql

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// Connection says how to reach the server. Empty fields take libpq's
// defaults: PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE and
// the passfile (PGPASSFILE, else ~/.pgpass), then libpq's built-in ones.
type Connection struct {
	Host     string
	Port     int
	Username string
	// Password is secret: never logged, never in an error.
	Password string
	// Database is the maintenance database the client connects to first
	// (default PGDATABASE, else the user name).
	Database string
	SSLMode  string
	// PassFile is a libpq password file (default PGPASSFILE, ~/.pgpass).
	PassFile string
	// Databases limits which databases grants are read from and written
	// to; empty means every database that allows connections.
	Databases []string
	// ConnectTimeout bounds each connection attempt (default 10s).
	ConnectTimeout time.Duration
	// MaxAttempts bounds attempts of an idempotent statement on a
	// connection error (first try included; default 4).
	MaxAttempts int
}

// Client is the PostgreSQL connector. It holds one small pool per database
// it has reached, made on first use.
type Client struct {
	conn   Connection
	prefix string
	base   *pgxpool.Config

	mu    sync.Mutex
	pools map[string]*pgxpool.Pool

	// sleep waits between retries; tests shorten it.
	sleep func(context.Context, time.Duration) error
	// now stamps password_changed_at (SetClock).
	now func() time.Time
	// authid caches whether the connecting role may read pg_authid
	// (superusers): only then is a role's password known to be set or not.
	authidMu    sync.Mutex
	authidKnown bool
	authid      bool

	// snap is the command's role snapshot (snapshot.go).
	snap roleSnapshot
}

// SetClock makes the client stamp password changes with now's time
// instead of the wall clock (the provider passes its evaluation clock).
func (c *Client) SetClock(now func() time.Time) {
	if now != nil {
		c.now = now
	}
}

// New builds a client and checks that the server answers, so a bad host or
// password fails here with the server's message (never with the password).
func New(ctx context.Context, c Connection, prefix string) (*Client, error) {
	cfg, err := pgxpool.ParseConfig(c.connString())
	if err != nil {
		return nil, fmt.Errorf("postgresql connection settings: %s", redact(err.Error(), c.Password))
	}
	cfg.MaxConns = 4
	// A Terraform command's reads and writes come in bursts; between them
	// an idle connection holds one of the server's max_connections for
	// nothing. Close idle ones soon, so clients that are never closed (a
	// provider served in-process, as the acceptance tests do, or one that
	// outlives its command) give their connections back.
	cfg.MaxConnIdleTime = 10 * time.Second
	cfg.HealthCheckPeriod = 5 * time.Second
	cfg.ConnConfig.RuntimeParams["application_name"] = "terraform-provider-nhi"
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = 10 * time.Second
	}
	cfg.ConnConfig.ConnectTimeout = c.ConnectTimeout
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if prefix == "" {
		prefix = nhi.DefaultMarkerPrefix
	}
	cl := &Client{conn: c, prefix: prefix, base: cfg, pools: map[string]*pgxpool.Pool{}, sleep: sleepCtx, now: time.Now}
	err = cl.onDB(ctx, "", "connecting to PostgreSQL at "+cl.Address(), func(ctx context.Context, p *pgxpool.Pool) error {
		return p.Ping(ctx)
	})
	if err != nil {
		cl.Close()
		return nil, redactErr(err, c.Password)
	}
	return cl, nil
}

// connString is the keyword/value form of the explicit settings; libpq's
// environment variables fill the rest.
func (c Connection) connString() string {
	var kv []string
	add := func(k, v string) {
		if v != "" {
			kv = append(kv, k+"="+quoteValue(v))
		}
	}
	add("host", c.Host)
	if c.Port != 0 {
		add("port", strconv.Itoa(c.Port))
	}
	add("user", c.Username)
	add("password", c.Password)
	add("dbname", c.Database)
	add("sslmode", c.SSLMode)
	add("passfile", c.PassFile)
	return strings.Join(kv, " ")
}

func quoteValue(v string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}

// redactErr hides a password in err's message, keeping its chain for
// errors.Is and errors.As.
func redactErr(err error, password string) error {
	if err == nil || password == "" || !strings.Contains(err.Error(), password) && !strings.Contains(err.Error(), url.QueryEscape(password)) {
		return err
	}
	return &redactedError{msg: redact(err.Error(), password), err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// redact removes a password from a message (pgx does not echo it, but a
// connection string error could).
func redact(msg, password string) string {
	if password == "" {
		return msg
	}
	msg = strings.ReplaceAll(msg, password, "********")
	return strings.ReplaceAll(msg, url.QueryEscape(password), "********")
}

// Address is host:port/database of the maintenance connection, for
// messages.
func (c *Client) Address() string {
	cc := c.base.ConnConfig
	return fmt.Sprintf("%s:%d/%s", cc.Host, cc.Port, cc.Database)
}

// User is the role the client connects as.
func (c *Client) User() string { return c.base.ConnConfig.User }

// System implements nhi.Inventory.
func (c *Client) System() string { return SystemName }

// pool returns the pool of database db ("" is the maintenance database).
func (c *Client) pool(ctx context.Context, db string) (*pgxpool.Pool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if db == "" {
		db = c.base.ConnConfig.Database
	}
	if p, ok := c.pools[db]; ok {
		return p, nil
	}
	cfg := c.base.Copy()
	cfg.ConnConfig.Database = db
	p, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, redactErr(fmt.Errorf("connecting to PostgreSQL database %q at %s:%d: %w", db, cfg.ConnConfig.Host, cfg.ConnConfig.Port, err), c.conn.Password)
	}
	c.pools[db] = p
	return p, nil
}

// Close closes every pool.
func (c *Client) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, p := range c.pools {
		p.Close()
		delete(c.pools, k)
	}
}
