package api

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"picpipe/db"
)

// leaseKeeper renews, every leaseRenewEvery, the leases of the
// idempotency records this process's running requests hold: one UPDATE
// for all of them, whatever their number. A process that dies stops
// renewing, and its records can be taken over idempotencyLease later.
type leaseKeeper struct {
	db  *db.DB
	now func() time.Time

	mu   sync.Mutex
	held map[string]struct{}
	stop chan struct{}
	done chan struct{}
}

// startLeaseKeeper starts renewing leases until close.
func startLeaseKeeper(d *db.DB, now func() time.Time) *leaseKeeper {
	k := &leaseKeeper{db: d, now: now, held: map[string]struct{}{},
		stop: make(chan struct{}), done: make(chan struct{})}
	go k.run()
	return k
}

func (k *leaseKeeper) run() {
	defer close(k.done)
	tick := time.NewTicker(leaseRenewEvery)
	defer tick.Stop()
	for {
		select {
		case <-k.stop:
			return
		case <-tick.C:
			k.renew()
		}
	}
}

// renew extends the leases held now.
func (k *leaseKeeper) renew() {
	k.mu.Lock()
	owners := make([]string, 0, len(k.held))
	for o := range k.held {
		owners = append(owners, o)
	}
	k.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), leaseRenewEvery)
	defer cancel()
	if err := k.db.RenewIdempotencyLeases(ctx, owners, k.now().Add(idempotencyLease).Unix()); err != nil {
		slog.Warn("idempotency: renew leases", "held", len(owners), "err", err)
	}
}

// hold renews owner's lease from now on; drop stops.
func (k *leaseKeeper) hold(owner string) {
	k.mu.Lock()
	k.held[owner] = struct{}{}
	k.mu.Unlock()
}

func (k *leaseKeeper) drop(owner string) {
	k.mu.Lock()
	delete(k.held, owner)
	k.mu.Unlock()
}

// close stops renewing.
func (k *leaseKeeper) close() {
	close(k.stop)
	<-k.done
}
