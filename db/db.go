package db

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL driver "pgx"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	_ "modernc.org/sqlite" // pure-Go SQLite driver "sqlite"
)

// DB is a handle on the database. Its store methods run on the pool, or
// inside a transaction when obtained from RunInTx.
type DB struct {
	bun  *bun.DB // the pool, for transactions and migrations
	idb  bun.IDB // what queries run on: the pool or a transaction
	path string  // the SQLite file; "" on PostgreSQL
	hook *eventHook
	// writers, on SQLite, lets one of this process's transactions run at
	// a time (a semaphore of one): SQLite takes its write lock as one
	// begins, and a second one would wait for it in the busy handler,
	// which polls with sleeps of up to 100 ms, so that under contention
	// some waited ten times as long as others; the semaphore hands the
	// lock on at once, in turn. nil on PostgreSQL.
	writers chan struct{}
	// emitted collects, in a transaction, the ids of the events it wrote
	// (emit), for the hook once it commits; nil outside one.
	emitted *[]string
}

// DefaultMaxConns is the most connections a process opens to
// PostgreSQL, unless its URL's pool_max_conns says otherwise; as many are
// kept open when idle.
const DefaultMaxConns = 16

// Open connects to dsn: "postgres://…" or "postgresql://…" for PostgreSQL,
// "sqlite://PATH" or a bare file path for SQLite (the file's directory is
// created). SQLite runs with a busy timeout and foreign keys on, in WAL
// mode once migrated. A PostgreSQL URL may end in pool_max_conns=N (as
// pgx's pools take it): the most connections of this process's pool,
// DefaultMaxConns when absent.
func Open(ctx context.Context, dsn string) (*DB, error) {
	var (
		bdb        *bun.DB
		sqlitePath string
	)
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		dsn, max, err := poolSize(dsn)
		if err != nil {
			return nil, err
		}
		sqldb, err := openCoded("pgx", dsn)
		if err != nil {
			return nil, fmt.Errorf("db: open postgres: %w", err)
		}
		sqldb.SetMaxOpenConns(max)
		sqldb.SetMaxIdleConns(max)
		bdb = bun.NewDB(sqldb, pgdialect.New())
	default:
		path := strings.TrimPrefix(dsn, "sqlite://")
		if path == "" {
			return nil, errors.New("db: empty database path")
		}
		if path != ":memory:" {
			if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
				return nil, fmt.Errorf("db: create directory: %w", err)
			}
		}
		q := "?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_txlock=immediate"
		sqldb, err := openCoded("sqlite", "file:"+path+q)
		if err != nil {
			return nil, fmt.Errorf("db: open sqlite: %w", err)
		}
		bdb = bun.NewDB(sqldb, sqlitedialect.New())
		sqlitePath = path
	}
	if err := bdb.PingContext(ctx); err != nil {
		bdb.Close()
		return nil, fmt.Errorf("db: ping: %w", err)
	}
	d := &DB{bun: bdb, idb: bdb, path: sqlitePath, hook: &eventHook{}}
	if sqlitePath != "" {
		d.writers = make(chan struct{}, 1)
	}
	return d, nil
}

// Close closes the pool.
func (d *DB) Close() error { return d.bun.Close() }

// Ping checks that the database answers.
func (d *DB) Ping(ctx context.Context) error { return d.bun.PingContext(ctx) }

// AddQueryHook adds a bun query hook to the pool, for every query of d
// and of the DBs derived from it, transactions included (BEGIN, COMMIT
// and ROLLBACK among them): for tracing, and for tests that count round
// trips.
func (d *DB) AddQueryHook(h bun.QueryHook) { d.bun.AddQueryHook(h) }

// Postgres reports whether d runs on PostgreSQL.
func (d *DB) Postgres() bool { return d.bun.Dialect().Name().String() == "pg" }

// RunInTx runs fn in a transaction on a DB bound to it, committing when fn
// returns nil and rolling back otherwise. Nested calls join the outer
// transaction. When the transaction wrote events and committed, the
// OnEvents hook is called with their ids before RunInTx returns.
func (d *DB) RunInTx(ctx context.Context, fn func(tx *DB) error) error {
	if _, ok := d.idb.(bun.Tx); ok {
		return fn(d)
	}
	var emitted []string
	err := d.oneWriter(ctx, func() error {
		return d.bun.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			emitted = emitted[:0]
			return fn(&DB{bun: d.bun, idb: tx, path: d.path, hook: d.hook, writers: d.writers, emitted: &emitted})
		})
	})
	if err == nil && len(emitted) > 0 {
		d.hook.call(ctx, emitted)
	}
	return err
}

// oneWriter runs fn holding d.writers, if d has them, or returns ctx's
// error should ctx end first.
func (d *DB) oneWriter(ctx context.Context, fn func() error) error {
	if d.writers == nil {
		return fn()
	}
	select {
	case d.writers <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("db: waiting to write: %w", ctx.Err())
	}
	defer func() { <-d.writers }()
	return fn()
}

// Exec runs a statement outside the store methods: for operators' and
// tests' administrative SQL.
func (d *DB) Exec(ctx context.Context, query string, args ...any) error {
	if _, err := d.idb.ExecContext(ctx, query, args...); err != nil {
		return fmt.Errorf("db: exec: %w", err)
	}
	return nil
}

// selectForUpdate starts a select of model that locks the rows it reads
// until the transaction ends: FOR UPDATE on PostgreSQL; SQLite needs no
// clause, as its transactions take the write lock when they begin
// (_txlock=immediate).
func (d *DB) selectForUpdate(model any) *bun.SelectQuery {
	q := d.idb.NewSelect().Model(model)
	if d.Postgres() {
		q = q.For("UPDATE")
	}
	return q
}

// poolSize takes pool_max_conns out of a PostgreSQL URL (the server would
// refuse it as a setting of its own): the URL without it, and its value,
// DefaultMaxConns when absent.
func poolSize(dsn string) (string, int, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", 0, errors.New("db: the PostgreSQL URL does not parse") // its text may hold a password
	}
	q := u.Query()
	v := q.Get("pool_max_conns")
	if !q.Has("pool_max_conns") {
		return dsn, DefaultMaxConns, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return "", 0, fmt.Errorf("db: pool_max_conns=%q: want a whole number of connections, 1 or more", v)
	}
	q.Del("pool_max_conns")
	u.RawQuery = q.Encode()
	return u.String(), n, nil
}
