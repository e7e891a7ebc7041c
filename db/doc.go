// Package db is picpipe's system of record: bun models, embedded SQL
// migrations for SQLite and PostgreSQL, and the store methods the roles
// call. Redis carries work; this package holds the truth.
//
//	d, err := db.Open(ctx, "sqlite://./data/picpipe.db")
//	if err := d.Migrate(ctx); err != nil { … }
//	err = d.RunInTx(ctx, func(tx *db.DB) error {
//		return tx.InsertImage(ctx, img, db.Quota{MaxImages: 50})
//	})
package db
