package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
)

// openCoded is sql.Open for the registered driver name, with every
// connection wrapped so that the driver's errors are coded where they
// arise (see classify): a database out of reach answers ErrUnavailable
// wherever it is queried from, not a driver's text.
func openCoded(name, dsn string) (*sql.DB, error) {
	probe, err := sql.Open(name, dsn) // connects to nothing; finds the driver
	if err != nil {
		return nil, err
	}
	drv := probe.Driver()
	probe.Close()
	var c driver.Connector = dsnConnector{dsn: dsn, drv: drv}
	if dc, ok := drv.(driver.DriverContext); ok {
		if c, err = dc.OpenConnector(dsn); err != nil {
			return nil, err
		}
	}
	return sql.OpenDB(codedConnector{c}), nil
}

// dsnConnector is the connector of a driver that has none of its own.
type dsnConnector struct {
	dsn string
	drv driver.Driver
}

func (c dsnConnector) Connect(context.Context) (driver.Conn, error) { return c.drv.Open(c.dsn) }
func (c dsnConnector) Driver() driver.Driver                        { return c.drv }

// codedConnector opens codedConns.
type codedConnector struct{ driver.Connector }

func (c codedConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, unreachableOnConnect(err)
	}
	return &codedConn{conn}, nil
}

// codedConn passes everything to the driver's connection and codes its
// errors. It offers each optional interface database/sql looks for and
// answers as database/sql would when the driver lacks it. Rows are the
// driver's own: an outage in the middle of reading a result is not coded.
type codedConn struct{ c driver.Conn }

var (
	_ driver.Conn               = (*codedConn)(nil)
	_ driver.ConnBeginTx        = (*codedConn)(nil)
	_ driver.ConnPrepareContext = (*codedConn)(nil)
	_ driver.ExecerContext      = (*codedConn)(nil)
	_ driver.QueryerContext     = (*codedConn)(nil)
	_ driver.Pinger             = (*codedConn)(nil)
	_ driver.SessionResetter    = (*codedConn)(nil)
	_ driver.Validator          = (*codedConn)(nil)
	_ driver.NamedValueChecker  = (*codedConn)(nil)
)

func (c *codedConn) Close() error { return c.c.Close() }

func (c *codedConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *codedConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	var (
		st  driver.Stmt
		err error
	)
	if p, ok := c.c.(driver.ConnPrepareContext); ok {
		st, err = p.PrepareContext(ctx, query)
	} else {
		st, err = c.c.Prepare(query)
	}
	return st, classify(err)
}

func (c *codedConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *codedConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	var (
		tx  driver.Tx
		err error
	)
	if b, ok := c.c.(driver.ConnBeginTx); ok {
		tx, err = b.BeginTx(ctx, opts)
	} else if opts.Isolation != driver.IsolationLevel(sql.LevelDefault) || opts.ReadOnly {
		return nil, errors.New("db: the driver does not support transaction options")
	} else {
		tx, err = c.c.Begin() // what database/sql itself falls back to
	}
	if err != nil {
		return nil, classify(err)
	}
	return codedTx{tx}, nil
}

func (c *codedConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	e, ok := c.c.(driver.ExecerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	res, err := e.ExecContext(ctx, query, args)
	return res, classify(err)
}

func (c *codedConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	q, ok := c.c.(driver.QueryerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	rows, err := q.QueryContext(ctx, query, args)
	return rows, classify(err)
}

func (c *codedConn) Ping(ctx context.Context) error {
	if p, ok := c.c.(driver.Pinger); ok {
		return classify(p.Ping(ctx))
	}
	return nil
}

func (c *codedConn) ResetSession(ctx context.Context) error {
	if r, ok := c.c.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *codedConn) IsValid() bool {
	if v, ok := c.c.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

func (c *codedConn) CheckNamedValue(nv *driver.NamedValue) error {
	if n, ok := c.c.(driver.NamedValueChecker); ok {
		return n.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

// codedTx codes the errors of ending a transaction.
type codedTx struct{ tx driver.Tx }

func (t codedTx) Commit() error   { return classify(t.tx.Commit()) }
func (t codedTx) Rollback() error { return classify(t.tx.Rollback()) }
