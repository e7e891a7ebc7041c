package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"picpipe/db"
)

// sqlitePath is the file of a SQLite database URL (as db.Open reads it),
// absolute; "" for PostgreSQL and for an in-memory database.
func sqlitePath(dsn string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return ""
	}
	p := strings.TrimPrefix(dsn, "sqlite://")
	if p == "" || p == ":memory:" {
		return ""
	}
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}

// databaseName names the configured database for people: a SQLite file's
// absolute path, or the PostgreSQL URL without its password.
func (c config) databaseName() string {
	if p := sqlitePath(c.DatabaseURL); p != "" {
		return "sqlite://" + p
	}
	if u, err := url.Parse(c.DatabaseURL); err == nil {
		return u.Redacted()
	}
	return "postgres database"
}

// dbKey carries a database already open (tests) to the operator commands,
// in place of the configured one.
type dbKey struct{}

// addCreateFlag gives an operator command group --create.
func addCreateFlag(c *cobra.Command) {
	c.PersistentFlags().Bool("create", false,
		"create the SQLite database when it does not exist (else refused: a new, empty database is never what the server uses)")
}

// withOperatorDB runs fn on the database an operator command works on:
// the configured one, migrated. A SQLite file that does not exist is
// refused, naming where it was looked for, unless the command's --create
// is set: an operator command run from another directory would otherwise
// make a new, empty database there and, say, print a key the server never
// sees. With --create it is made, and a warning says so.
func withOperatorDB(c *cobra.Command, cfg config, fn func(ctx context.Context, d *db.DB) error) error {
	ctx := c.Context()
	if d, ok := ctx.Value(dbKey{}).(*db.DB); ok {
		return fn(ctx, d)
	}
	create, _ := c.Flags().GetBool("create")
	made, err := checkDatabaseExists(cfg, create)
	if err != nil {
		return fmt.Errorf("%s: %w", c.CommandPath(), err)
	}
	d, err := openDB(ctx, cfg, true)
	if err != nil {
		return err
	}
	defer d.Close()
	if made {
		fmt.Fprintf(c.ErrOrStderr(), "picpipe: warning: created a new, empty database %s\n", cfg.databaseName())
	}
	return fn(ctx, d)
}

// checkDatabaseExists returns an error when the configured database is a
// SQLite file that does not exist and create is not set; with create, it
// reports whether the file is about to be made.
func checkDatabaseExists(cfg config, create bool) (missing bool, err error) {
	p := sqlitePath(cfg.DatabaseURL)
	if p == "" {
		return false, nil
	}
	if _, err := os.Stat(p); err == nil {
		return false, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return false, fmt.Errorf("database %s: %w", p, err)
	}
	if create {
		return true, nil
	}
	return true, fmt.Errorf("no database at %s (PICPIPE_DATABASE_URL, or PICPIPE_DATA_DIR=%s): "+
		"run this where picpipe serve runs (make run keeps ./data), set PICPIPE_DATA_DIR or PICPIPE_DATABASE_URL "+
		"to the server's, or create it with picpipe migrate (or --create)", p, cfg.DataDir)
}
