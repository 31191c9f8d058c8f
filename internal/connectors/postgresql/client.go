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
}

// New builds a client and checks that the server answers, so a bad host or
// password fails here with the server's message (never with the password).
func New(ctx context.Context, c Connection, prefix string) (*Client, error) {
	cfg, err := pgxpool.ParseConfig(c.connString())
	if err != nil {
		return nil, fmt.Errorf("postgresql connection settings: %s", redact(err.Error(), c.Password))
	}
	cfg.MaxConns = 4
	cfg.ConnConfig.RuntimeParams["application_name"] = "terraform-provider-nhi"
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = 10 * time.Second
	}
	cfg.ConnConfig.ConnectTimeout = c.ConnectTimeout
	if c.MaxAttempts == 0 {
		c.MaxAttempts = 4
	}
	cl := &Client{conn: c, prefix: prefix, base: cfg, pools: map[string]*pgxpool.Pool{}}
	p, err := cl.pool(ctx, "")
	if err != nil {
		return nil, err
	}
	if err := p.Ping(ctx); err != nil {
		return nil, fmt.Errorf("connecting to PostgreSQL at %s: %s", cl.Address(), redact(err.Error(), c.Password))
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
		return nil, fmt.Errorf("connecting to PostgreSQL database %q at %s:%d: %s", db, cfg.ConnConfig.Host, cfg.ConnConfig.Port, redact(err.Error(), c.conn.Password))
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
