package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Event types: the transitions of images and files that webhooks can
// take. Each is written to the outbox (events) in the transaction of the
// transition itself.
const (
	EventImageReady        = "image.ready"
	EventImageFailed       = "image.failed"
	EventImageVariantReady = "image.variant.ready"
	EventImageDeleted      = "image.deleted"
	EventFileReady         = "file.ready"
	EventFileFailed        = "file.failed"
	EventFileExpired       = "file.expired"
	EventFileDeleted       = "file.deleted"
	// EventAll subscribes a webhook to every type.
	EventAll = "*"
)

// EventTypes are the event types, in the order the API lists them.
var EventTypes = []string{
	EventImageReady, EventImageFailed, EventImageVariantReady, EventImageDeleted,
	EventFileReady, EventFileFailed, EventFileExpired, EventFileDeleted,
}

// ErrEventNotFound is returned when there is no such event.
var ErrEventNotFound = errors.New("db: event not found")

// EventSnapshot is the resource an event is about, as the transaction
// that wrote the event left it: an image with its variants (and, for
// image.variant.ready, the kind that became ready), or a file.
type EventSnapshot struct {
	Image    *Image    `json:"image,omitempty"`
	Variants []Variant `json:"variants,omitempty"`
	Variant  string    `json:"variant,omitempty"`
	File     *File     `json:"file,omitempty"`
}

// Snap decodes the event's snapshot.
func (e *Event) Snap() (*EventSnapshot, error) {
	s := new(EventSnapshot)
	if err := json.Unmarshal([]byte(e.Snapshot), s); err != nil {
		return nil, fmt.Errorf("db: snapshot of event %s: %w", e.ID, err)
	}
	return s, nil
}

// eventHook is what runs after a transaction that wrote events commits.
type eventHook struct {
	mu sync.RWMutex
	fn func(ctx context.Context, ids []string)
}

func (h *eventHook) call(ctx context.Context, ids []string) {
	h.mu.RLock()
	fn := h.fn
	h.mu.RUnlock()
	if fn != nil {
		fn(context.WithoutCancel(ctx), slices.Clone(ids))
	}
}

// OnEvents sets fn to be called, in the committing goroutine, with the
// ids of the events a transaction wrote once it has committed: the
// dispatcher that queues their deliveries at once. An event whose hook
// never ran (a crash right after the commit, an error in fn) stays
// undispatched for UndispatchedEvents to find. nil removes the hook.
func (d *DB) OnEvents(fn func(ctx context.Context, ids []string)) {
	d.hook.mu.Lock()
	d.hook.fn = fn
	d.hook.mu.Unlock()
}

// emit writes an event of type typ about resourceID, a resource of
// userID, to the outbox in d's transaction, when one of the user's
// enabled webhooks takes typ; snap gives the resource as the transaction
// leaves it. now is the transition's time (Unix seconds).
func (d *DB) emit(ctx context.Context, userID, typ, resourceID string, now int64, snap func() (*EventSnapshot, error)) error {
	if ok, err := d.subscribed(ctx, userID, typ); err != nil || !ok {
		return err
	}
	s, err := snap()
	if err != nil {
		return err
	}
	b, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("db: snapshot for %s: %w", typ, err)
	}
	ev := &Event{ID: NewID(PrefixEvent), UserID: userID, Type: typ, ResourceID: resourceID, Snapshot: string(b), CreatedAt: now}
	if _, err := d.idb.NewInsert().Model(ev).Exec(ctx); err != nil {
		return fmt.Errorf("db: insert event %s: %w", typ, err)
	}
	if d.emitted != nil {
		*d.emitted = append(*d.emitted, ev.ID)
	}
	return nil
}

// subscribed reports whether an enabled webhook of userID takes typ.
func (d *DB) subscribed(ctx context.Context, userID, typ string) (bool, error) {
	var lists []string
	err := d.idb.NewSelect().Model((*Webhook)(nil)).Column("events").
		Where("user_id = ?", userID).Where("disabled_at IS NULL").Scan(ctx, &lists)
	if err != nil {
		return false, fmt.Errorf("db: webhooks of %s: %w", userID, err)
	}
	return slices.ContainsFunc(lists, func(l string) bool { return Takes(l, typ) }), nil
}

// Takes reports whether the stored event list events (Webhook.Events)
// takes the type typ.
func Takes(events, typ string) bool {
	return slices.ContainsFunc(strings.Split(events, ","), func(e string) bool { return e == EventAll || e == typ })
}

// emitImage emits typ about the image id of userID as d's transaction
// leaves it, with its variants; variant names the kind an
// image.variant.ready is about.
func (d *DB) emitImage(ctx context.Context, userID, typ, id, variant string, now int64) error {
	return d.emit(ctx, userID, typ, id, now, func() (*EventSnapshot, error) {
		img, err := d.ImageForWork(ctx, id)
		if err != nil {
			return nil, err
		}
		vs, err := d.VariantsOf(ctx, id)
		return &EventSnapshot{Image: img, Variants: vs, Variant: variant}, err
	})
}

// emitFile emits typ about the file id of userID as d's transaction
// leaves it.
func (d *DB) emitFile(ctx context.Context, userID, typ, id string, now int64) error {
	return d.emit(ctx, userID, typ, id, now, func() (*EventSnapshot, error) {
		f, err := d.FileForWork(ctx, id)
		return &EventSnapshot{File: f}, err
	})
}

// emitFileAs emits typ about f as it is given (a row about to be
// removed).
func (d *DB) emitFileAs(ctx context.Context, typ string, f *File, now int64) error {
	return d.emit(ctx, f.UserID, typ, f.ID, now, func() (*EventSnapshot, error) {
		return &EventSnapshot{File: f}, nil
	})
}

// EventByID returns the event id, or ErrEventNotFound.
func (d *DB) EventByID(ctx context.Context, id string) (*Event, error) {
	ev := new(Event)
	err := d.idb.NewSelect().Model(ev).Where("id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrEventNotFound
	} else if err != nil {
		return nil, fmt.Errorf("db: select event: %w", err)
	}
	return ev, nil
}

// EventsOf returns the events about the resource id, oldest first.
func (d *DB) EventsOf(ctx context.Context, resourceID string) ([]Event, error) {
	var evs []Event
	if err := d.idb.NewSelect().Model(&evs).Where("resource_id = ?", resourceID).Order("seq ASC").Scan(ctx); err != nil {
		return nil, fmt.Errorf("db: events of %s: %w", resourceID, err)
	}
	return evs, nil
}

// UndispatchedEvents returns up to limit events whose deliveries were
// not queued yet, written before the Unix second before, oldest first.
func (d *DB) UndispatchedEvents(ctx context.Context, before int64, limit int) ([]Event, error) {
	var evs []Event
	err := d.idb.NewSelect().Model(&evs).Where("dispatched_at IS NULL").Where("created_at < ?", before).
		Order("seq ASC").Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("db: undispatched events: %w", err)
	}
	return evs, nil
}

// MarkDispatched records that the deliveries of the event id are queued.
func (d *DB) MarkDispatched(ctx context.Context, id string, now int64) error {
	_, err := d.idb.NewUpdate().Model((*Event)(nil)).Set("dispatched_at = ?", now).
		Where("id = ?", id).Where("dispatched_at IS NULL").Exec(ctx)
	if err != nil {
		return fmt.Errorf("db: mark event %s dispatched: %w", id, err)
	}
	return nil
}

// PurgeEvents removes the dispatched events and the delivery attempts
// made before the Unix second before, and returns how many rows it
// removed. An event still undispatched is kept whatever its age.
func (d *DB) PurgeEvents(ctx context.Context, before int64) (int, error) {
	res, err := d.idb.NewDelete().Model((*Delivery)(nil)).Where("created_at < ?", before).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("db: purge deliveries: %w", err)
	}
	n, _ := res.RowsAffected()
	res, err = d.idb.NewDelete().Model((*Event)(nil)).
		Where("created_at < ?", before).Where("dispatched_at IS NOT NULL").Exec(ctx)
	if err != nil {
		return int(n), fmt.Errorf("db: purge events: %w", err)
	}
	m, _ := res.RowsAffected()
	return int(n + m), nil
}
