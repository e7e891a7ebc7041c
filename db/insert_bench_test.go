package db_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"picpipe/db"
	"picpipe/internal/testenv"
)

// BenchmarkInsertImageParallel records images from 8 goroutines at once
// on SQLite, the way 8 clients' uploads meet in the API: each a write
// transaction of its own (quota and row), committed durably.
func BenchmarkInsertImageParallel(b *testing.B) {
	d := testenv.SQLite(b)
	ctx := context.Background()
	u := &db.User{ID: db.NewID(db.PrefixUser), Name: "b", Plan: "free", Status: db.UserActive, CreatedAt: 1}
	if err := d.CreateUser(ctx, u); err != nil {
		b.Fatal(err)
	}
	var n atomic.Int64
	b.SetParallelism(4) // × GOMAXPROCS goroutines: 8 on two cores
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			h := fmt.Sprint(n.Add(1))
			img := &db.Image{ID: db.NewID(db.PrefixImage), UserID: u.ID, Status: db.StatusQueued,
				Hash: h, SourceSHA256: h, Quality: 82, CreatedAt: 10, UpdatedAt: 10}
			if err := d.InsertImage(ctx, img, db.Quota{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
