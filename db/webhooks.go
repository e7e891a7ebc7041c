package db

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Sentinel errors of the webhook store.
var (
	ErrWebhookNotFound  = errors.New("db: webhook not found")
	ErrDeliveryNotFound = errors.New("db: webhook delivery not found")
	// ErrTooManyWebhooks is CreateWebhook refusing an endpoint past the
	// account's limit.
	ErrTooManyWebhooks = errors.New("db: too many webhooks")
)

// WebhookSecretPrefix starts every webhook signing secret.
const WebhookSecretPrefix = "whsec_"

// NewWebhookSecret returns a new signing secret: WebhookSecretPrefix and 32
// random bytes in URL-safe base64.
func NewWebhookSecret() string {
	var b [32]byte
	rand.Read(b[:])
	return WebhookSecretPrefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// CreateWebhook inserts w, with a new secret, unless its account already
// has max endpoints: then it returns ErrTooManyWebhooks. Concurrent
// creations for one account count one after the other, so max holds.
func (d *DB) CreateWebhook(ctx context.Context, w *Webhook, max int) error {
	return d.RunInTx(ctx, func(tx *DB) error {
		// Taking the account's row first makes concurrent creations wait.
		if _, err := tx.idb.NewUpdate().Model((*User)(nil)).Set("plan = plan").Where("id = ?", w.UserID).Exec(ctx); err != nil {
			return fmt.Errorf("db: lock user: %w", err)
		}
		n, err := tx.idb.NewSelect().Model((*Webhook)(nil)).Where("user_id = ?", w.UserID).Count(ctx)
		if err != nil {
			return fmt.Errorf("db: count webhooks: %w", err)
		}
		if n >= int64(max) {
			return ErrTooManyWebhooks
		}
		w.Secret = NewWebhookSecret()
		if _, err := tx.idb.NewInsert().Model(w).Exec(ctx); err != nil {
			return fmt.Errorf("db: create webhook: %w", err)
		}
		return nil
	})
}

// WebhookByID returns the user's webhook id, or ErrWebhookNotFound;
// another user's is not found.
func (d *DB) WebhookByID(ctx context.Context, userID, id string) (*Webhook, error) {
	return d.oneWebhook(ctx, "id = ? AND user_id = ?", id, userID)
}

// WebhookForWork returns the webhook id whoever owns it, or
// ErrWebhookNotFound: the sender's view.
func (d *DB) WebhookForWork(ctx context.Context, id string) (*Webhook, error) {
	return d.oneWebhook(ctx, "id = ?", id)
}

func (d *DB) oneWebhook(ctx context.Context, where string, args ...any) (*Webhook, error) {
	w := new(Webhook)
	err := d.idb.NewSelect().Model(w).Where(where, args...).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrWebhookNotFound
	} else if err != nil {
		return nil, fmt.Errorf("db: select webhook: %w", err)
	}
	return w, nil
}

// ListWebhooks returns up to limit of the user's webhooks, newest first,
// after the webhook id cursor ("" for the first page).
func (d *DB) ListWebhooks(ctx context.Context, userID, cursor string, limit int) ([]Webhook, error) {
	var ws []Webhook
	q := d.idb.NewSelect().Model(&ws).Where("user_id = ?", userID).Order("id DESC").Limit(int64(limit))
	if cursor != "" {
		q = q.Where("id < ?", cursor)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("db: list webhooks: %w", err)
	}
	return ws, nil
}

// WebhooksFor returns the enabled webhooks of userID that take the event
// type typ: where its deliveries go.
func (d *DB) WebhooksFor(ctx context.Context, userID, typ string) ([]Webhook, error) {
	var ws []Webhook
	err := d.idb.NewSelect().Model(&ws).Where("user_id = ?", userID).Where("disabled_at IS NULL").
		Order("id ASC").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("db: webhooks for %s: %w", typ, err)
	}
	out := ws[:0]
	for _, w := range ws {
		if Takes(w.Events, typ) {
			out = append(out, w)
		}
	}
	return out, nil
}

// UpdateWebhook stores w's URL, Events, Description and UpdatedAt, and,
// when enable is set, enables it again (no longer disabled nor
// failing). It returns ErrWebhookNotFound when the user has no such
// webhook.
func (d *DB) UpdateWebhook(ctx context.Context, w *Webhook, enable bool) error {
	cols := []string{"url", "events", "description", "updated_at"}
	if enable {
		w.DisabledAt, w.DisabledReason, w.FailingSince = nil, "", nil
		cols = append(cols, "disabled_at", "disabled_reason", "failing_since")
	}
	return d.updateWebhook(ctx, w, cols...)
}

// DisableWebhook disables the user's webhook w at w.UpdatedAt with
// reason, unless it is disabled already.
func (d *DB) DisableWebhook(ctx context.Context, w *Webhook, reason string) error {
	if w.DisabledAt != nil {
		return nil
	}
	w.DisabledAt, w.DisabledReason = &w.UpdatedAt, reason
	return d.updateWebhook(ctx, w, "disabled_at", "disabled_reason", "updated_at")
}

// RollWebhookSecret gives the user's webhook w a new secret; the old one
// goes on signing beside it until the Unix second previousUntil (not at
// all when that is not after w.UpdatedAt).
func (d *DB) RollWebhookSecret(ctx context.Context, w *Webhook, previousUntil int64) error {
	w.PreviousSecret, w.PreviousSecretExpiresAt = "", nil
	if previousUntil > w.UpdatedAt {
		w.PreviousSecret, w.PreviousSecretExpiresAt = w.Secret, &previousUntil
	}
	w.Secret = NewWebhookSecret()
	return d.updateWebhook(ctx, w, "secret", "previous_secret", "previous_secret_expires_at", "updated_at")
}

func (d *DB) updateWebhook(ctx context.Context, w *Webhook, cols ...string) error {
	res, err := d.idb.NewUpdate().Model(w).Column(cols...).WherePK().Where("user_id = ?", w.UserID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("db: update webhook %s: %w", w.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrWebhookNotFound
	}
	return nil
}

// DeleteWebhook removes the user's webhook id and its delivery log, or
// returns ErrWebhookNotFound. Deliveries queued for it find it gone and
// stop.
func (d *DB) DeleteWebhook(ctx context.Context, userID, id string) error {
	return d.RunInTx(ctx, func(tx *DB) error {
		if _, err := tx.idb.NewDelete().Model((*Delivery)(nil)).Where("webhook_id IN (SELECT id FROM webhooks WHERE id = ? AND user_id = ?)", id, userID).Exec(ctx); err != nil {
			return fmt.Errorf("db: delete deliveries of %s: %w", id, err)
		}
		res, err := tx.idb.NewDelete().Model((*Webhook)(nil)).Where("id = ?", id).Where("user_id = ?", userID).Exec(ctx)
		if err != nil {
			return fmt.Errorf("db: delete webhook %s: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrWebhookNotFound
		}
		return nil
	})
}

// maxResponse bounds the bytes of an answer a delivery log row keeps.
const maxResponse = 1024

// RecordDelivery logs the attempt a to its webhook and updates the
// webhook's health in one transaction: a success clears FailingSince; a
// failure sets it if unset, and when it is older than disableAfter
// seconds, disables the webhook with a reason naming the last error. It
// returns the webhook as it stands after, or ErrWebhookNotFound when it
// was deleted meanwhile (then nothing is logged).
func (d *DB) RecordDelivery(ctx context.Context, a *Delivery, disableAfter int64) (*Webhook, error) {
	a.Response, a.Error = storable(a.Response, maxResponse), storable(a.Error, maxResponse)
	w := new(Webhook)
	err := d.RunInTx(ctx, func(tx *DB) error {
		err := tx.selectForUpdate(w).Where("id = ?", a.WebhookID).Scan(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrWebhookNotFound
		} else if err != nil {
			return fmt.Errorf("db: webhook %s: %w", a.WebhookID, err)
		}
		if _, err := tx.idb.NewInsert().Model(a).Exec(ctx); err != nil {
			return fmt.Errorf("db: log delivery: %w", err)
		}
		return tx.updateHealth(ctx, w, a, disableAfter)
	})
	if err != nil {
		return nil, err
	}
	return w, nil
}

// updateHealth records the outcome of a on w (locked).
func (d *DB) updateHealth(ctx context.Context, w *Webhook, a *Delivery, disableAfter int64) error {
	now := a.CreatedAt
	if a.Succeeded {
		w.FailingSince, w.LastSuccessAt = nil, &now
		return d.updateWebhook(ctx, w, "failing_since", "last_success_at")
	}
	if w.FailingSince == nil {
		w.FailingSince = &now
	}
	w.LastFailureAt = &now
	cols := []string{"failing_since", "last_failure_at"}
	if w.DisabledAt == nil && now-*w.FailingSince >= disableAfter {
		w.DisabledAt = &now
		w.DisabledReason = fmt.Sprintf("every delivery failed for %s (since %d); the last: %s",
			span(disableAfter), *w.FailingSince, a.Outcome())
		cols = append(cols, "disabled_at", "disabled_reason")
	}
	return d.updateWebhook(ctx, w, cols...)
}

// Outcome says in a few words how the attempt ended: its status code, or
// its error.
func (a *Delivery) Outcome() string {
	if a.Error != "" {
		return a.Error
	}
	return fmt.Sprintf("the endpoint answered %d", a.StatusCode)
}

// span writes a number of seconds as days or hours when it is whole.
func span(sec int64) string {
	switch {
	case sec >= 86400 && sec%86400 == 0:
		return fmt.Sprintf("%d days", sec/86400)
	case sec >= 3600 && sec%3600 == 0:
		return fmt.Sprintf("%d hours", sec/3600)
	}
	return fmt.Sprintf("%d seconds", sec)
}

// storable returns s cut to at most max bytes of valid UTF-8 without NUL
// bytes, which neither database takes in text.
func storable(s string, max int) string {
	if len(s) > max {
		s = s[:max]
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	for len(s) > max {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}

// DeliveryByID returns the logged attempt id to the webhook webhookID,
// or ErrDeliveryNotFound.
func (d *DB) DeliveryByID(ctx context.Context, webhookID, id string) (*Delivery, error) {
	a := new(Delivery)
	err := d.idb.NewSelect().Model(a).Where("id = ?", id).Where("webhook_id = ?", webhookID).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrDeliveryNotFound
	} else if err != nil {
		return nil, fmt.Errorf("db: select delivery: %w", err)
	}
	return a, nil
}

// ListDeliveries returns up to limit logged attempts to the webhook,
// newest first, after the delivery id cursor ("" for the first page).
func (d *DB) ListDeliveries(ctx context.Context, webhookID, cursor string, limit int) ([]Delivery, error) {
	var as []Delivery
	q := d.idb.NewSelect().Model(&as).Where("webhook_id = ?", webhookID).Order("id DESC").Limit(int64(limit))
	if cursor != "" {
		q = q.Where("id < ?", cursor)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("db: list deliveries: %w", err)
	}
	return as, nil
}
