package db

import (
	"context"
	"embed"
	"fmt"
	"os"
	"syscall"

	"github.com/uptrace/bun/migrate"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrationLockID is the PostgreSQL advisory lock key migrations hold.
const migrationLockID = 0x70696370 // "picp"

// Migrate applies every pending migration. Processes starting together
// migrate one after another (a PostgreSQL advisory lock; on SQLite, a lock
// file beside the database), so each migration runs once. A migration is
// marked applied only after it succeeded; each runs in a transaction.
func (d *DB) Migrate(ctx context.Context) error {
	unlock, err := d.lockMigrations(ctx)
	if err != nil {
		return fmt.Errorf("db: migration lock: %w", err)
	}
	defer unlock()
	if d.path != "" {
		// WAL lets readers run beside the writer; the mode is stored in
		// the file, so setting it once, under the lock, serves every
		// process that opens it later.
		if err := d.Exec(ctx, "PRAGMA journal_mode=WAL"); err != nil {
			return err
		}
	}
	ms := migrate.NewMigrations()
	if err := ms.Discover(migrationFiles); err != nil {
		return fmt.Errorf("db: discover migrations: %w", err)
	}
	m := migrate.NewMigrator(d.bun, ms,
		migrate.WithMarkAppliedOnSuccess(true),
		migrate.WithTemplateData(map[string]bool{"Postgres": d.Postgres()}))
	if err := m.Init(ctx); err != nil {
		return fmt.Errorf("db: init migrations: %w", err)
	}
	if _, err := m.Migrate(ctx); err != nil {
		return fmt.Errorf("db: migrate: %w", err)
	}
	return nil
}

// lockMigrations takes the cross-process migration lock and returns its
// release. The locks die with their holder, so a crash never wedges them.
func (d *DB) lockMigrations(ctx context.Context) (func(), error) {
	if d.path == "" {
		conn, err := d.bun.Conn(ctx)
		if err != nil {
			return nil, err
		}
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(?)", migrationLockID); err != nil {
			conn.Close()
			return nil, err
		}
		return func() {
			conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(?)", migrationLockID)
			conn.Close()
		}, nil
	}
	if d.path == ":memory:" {
		return func() {}, nil
	}
	f, err := os.OpenFile(d.path+".migrate-lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() { f.Close() }, nil // closing releases the flock
}
