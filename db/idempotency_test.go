package db_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"picpipe/db"
	"picpipe/internal/testenv"
)

// claimAt is the claim of key by owner at the Unix second now, with a
// lease of 30 s and a life of 24 h.
func claimAt(u *db.User, key, owner string, now int64) *db.IdempotencyKey {
	return &db.IdempotencyKey{UserID: u.ID, Method: "POST", Path: "/v1/images", Key: key, RequestHash: "req",
		Owner: owner, LeaseUntil: now + 30, CreatedAt: now, ExpiresAt: now + 86400}
}

// TestIdempotencyKeyLifecycle follows one key: claimed once, refused to
// a second claimant while running, done with its answer, replaced once
// expired, and purged.
func TestIdempotencyKeyLifecycle(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		u := newUser(t, d)
		first := claimAt(u, "k1", "a", 100)
		got, err := d.ClaimIdempotencyKey(ctx, first, 100)
		if err != nil || got.Owner != "a" || got.State != db.IdempotencyRunning {
			t.Fatalf("first claim = %+v, %v; want it held by a", got, err)
		}
		got, err = d.ClaimIdempotencyKey(ctx, claimAt(u, "k1", "b", 101), 101)
		if err != nil || got.Owner != "a" {
			t.Fatalf("second claim while running = %+v, %v; want a's record", got, err)
		}
		first.BodyHash, first.BodySize = "body", 42
		if err := d.SetIdempotencyBody(ctx, first); err != nil {
			t.Fatal(err)
		}
		first.Status, first.Headers, first.Body = 201, `{"Location":["/v1/images/img_1"]}`, `{"id":"img_1"}`
		if err := d.FinishIdempotencyKey(ctx, first); err != nil {
			t.Fatal(err)
		}
		got, err = d.ClaimIdempotencyKey(ctx, claimAt(u, "k1", "c", 200), 200)
		if err != nil || got.Owner == "c" || got.State != db.IdempotencyDone || got.Status != 201 ||
			got.Body != `{"id":"img_1"}` || got.BodyHash != "body" || got.BodySize != 42 {
			t.Fatalf("claim of a done key = %+v, %v; want the kept answer", got, err)
		}
		if rec, err := d.IdempotencyKeyOf(ctx, u.ID, "POST", "/v1/images", "k1", 200); err != nil || rec.Status != 201 {
			t.Fatalf("IdempotencyKeyOf = %+v, %v", rec, err)
		}
		if _, err := d.IdempotencyKeyOf(ctx, u.ID, "POST", "/v1/images", "k1", 100+86400); !errors.Is(err, db.ErrIdempotencyKeyNotFound) {
			t.Fatalf("IdempotencyKeyOf an expired record = %v; want ErrIdempotencyKeyNotFound", err)
		}
		if err := d.FinishIdempotencyKey(ctx, first); !errors.Is(err, db.ErrIdempotencyLost) {
			t.Fatalf("finishing a done record again = %v; want ErrIdempotencyLost", err)
		}
		// 24 hours on, the record is gone for claims even before the purge.
		later := int64(100 + 86400)
		got, err = d.ClaimIdempotencyKey(ctx, claimAt(u, "k1", "d", later), later)
		if err != nil || got.Owner != "d" || got.BodyHash != "" || got.Status != 0 {
			t.Fatalf("claim of an expired key = %+v, %v; want a new record held by d", got, err)
		}
		if n, err := d.PurgeIdempotencyKeys(ctx, later); err != nil || n != 0 {
			t.Fatalf("purge of a live record = %d, %v; want 0", n, err)
		}
		if n, err := d.PurgeIdempotencyKeys(ctx, later+86400); err != nil || n != 1 {
			t.Fatalf("purge a day later = %d, %v; want 1", n, err)
		}
		got, err = d.ClaimIdempotencyKey(ctx, claimAt(u, "k1", "e", later+86401), later+86401)
		if err != nil || got.Owner != "e" {
			t.Fatalf("claim after the purge = %+v, %v", got, err)
		}
	})
}

// TestIdempotencyKeyLease checks that the record of a request whose
// process died is taken over once its lease runs out, with the body print
// it had recorded, only by the same request line, and that renewed
// leases and released records behave.
func TestIdempotencyKeyLease(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		u := newUser(t, d)
		dead := claimAt(u, "k", "dead", 100)
		if _, err := d.ClaimIdempotencyKey(ctx, dead, 100); err != nil {
			t.Fatal(err)
		}
		dead.BodyHash, dead.BodySize = "print", 7
		if err := d.SetIdempotencyBody(ctx, dead); err != nil {
			t.Fatal(err)
		}
		if err := d.RenewIdempotencyLeases(ctx, []string{"dead", "other"}, 160); err != nil {
			t.Fatal(err)
		}
		if got, _ := d.ClaimIdempotencyKey(ctx, claimAt(u, "k", "x", 150), 150); got.Owner != "dead" {
			t.Fatalf("claim within the renewed lease: held by %q; want dead", got.Owner)
		}
		other := claimAt(u, "k", "y", 170)
		other.RequestHash = "another"
		if got, _ := d.ClaimIdempotencyKey(ctx, other, 170); got.Owner != "dead" {
			t.Fatalf("another request line took the record over (held by %q)", got.Owner)
		}
		got, err := d.ClaimIdempotencyKey(ctx, claimAt(u, "k", "z", 170), 170)
		if err != nil || got.Owner != "z" || got.BodyHash != "print" || got.BodySize != 7 {
			t.Fatalf("claim after the lease = %+v, %v; want it taken over by z with the print", got, err)
		}
		if err := d.SetIdempotencyBody(ctx, dead); !errors.Is(err, db.ErrIdempotencyLost) {
			t.Fatalf("the dead owner still holds it: %v", err)
		}
		if err := d.YieldIdempotencyKey(ctx, got); err != nil {
			t.Fatal(err)
		}
		again, err := d.ClaimIdempotencyKey(ctx, claimAt(u, "k", "w", 171), 171)
		if err != nil || again.Owner != "w" || again.BodyHash != "print" {
			t.Fatalf("claim after a yield = %+v, %v; want it taken over at once, print kept", again, err)
		}
		if err := d.ReleaseIdempotencyKey(ctx, again); err != nil {
			t.Fatal(err)
		}
		fresh, err := d.ClaimIdempotencyKey(ctx, claimAt(u, "k", "v", 172), 172)
		if err != nil || fresh.Owner != "v" || fresh.BodyHash != "" {
			t.Fatalf("claim after a release = %+v, %v; want a new record", fresh, err)
		}
	})
}

// TestIdempotencyKeyScope checks that keys are per account, method and
// path, and that of many claims at once exactly one wins.
func TestIdempotencyKeyScope(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		u, v := newUser(t, d), newUser(t, d)
		for _, k := range []*db.IdempotencyKey{claimAt(u, "same", "u1", 1), claimAt(v, "same", "v1", 1),
			func() *db.IdempotencyKey { k := claimAt(u, "same", "u2", 1); k.Path = "/v1/files"; return k }()} {
			if got, err := d.ClaimIdempotencyKey(ctx, k, 1); err != nil || got.Owner != k.Owner {
				t.Fatalf("claim %s %s of %s = %+v, %v; want its own record", k.Path, k.Key, k.UserID, got, err)
			}
		}
		const n = 8
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			wins int
		)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				k := claimAt(u, "race", fmt.Sprint("r", i), 5)
				got, err := d.ClaimIdempotencyKey(ctx, k, 5)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				if got.Owner == k.Owner {
					wins++
				}
			}()
		}
		wg.Wait()
		if wins != 1 {
			t.Fatalf("%d of %d concurrent claims won; want exactly 1", wins, n)
		}
	})
}
