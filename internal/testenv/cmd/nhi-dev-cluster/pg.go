package main

import (
	"context"
	"flag"
	"os"

	"github.com/nhi-ops/terraform-provider-nhi/internal/testenv"
)

// pgMain runs the PostgreSQL subcommands:
//
//	nhi-dev-cluster pg-up   -dir .nhi-dev/pg [-bin /usr/lib/postgresql/15/bin]
//	nhi-dev-cluster pg-down -dir .nhi-dev/pg
//
// pg-up writes DIR/pg.env (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE,
// PGSSLMODE and NHI_TEST_POSTGRES=1) to source.
func pgMain(cmd string, args []string) error {
	fs := flag.NewFlagSet(cmd, flag.ExitOnError)
	dir := fs.String("dir", ".nhi-dev/pg", "directory for the PostgreSQL server's data, socket, logs and pg.env")
	bin := fs.String("bin", "", "directory of initdb and postgres (scripts/postgres-install.sh prints it); empty: the newest /usr/lib/postgresql/*/bin")
	_ = fs.Parse(args)
	return upDown(cmd == "pg-down", *dir, testenv.StopPostgresDir, func(ctx context.Context) error {
		_, err := testenv.StartPostgres(ctx, testenv.PostgresOptions{Dir: *dir, Bin: *bin, Progress: os.Stderr})
		return err
	}, "PostgreSQL test server stopped")
}
