package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"picpipe/db"
	"picpipe/fetch"
	"picpipe/jobs"
	"picpipe/resource"
	"picpipe/webhook"
)

// Config configures the Sender. The zero value of each field means the
// default named beside it.
type Config struct {
	// BaseURL is the base of the links in the resources the events carry:
	// the API's public URL; "" means resource.FallbackBase("").
	BaseURL string
	// Timeout bounds one delivery, from the connection to the end of the
	// answer's first bytes; 0 means DefaultTimeout.
	Timeout time.Duration
	// RetryFor is how long after its event a failed delivery is still
	// retried; 0 means DefaultRetryFor.
	RetryFor time.Duration
	// DisableAfter is how long an endpoint's deliveries may all fail
	// before it is disabled; 0 means DefaultDisableAfter.
	DisableAfter time.Duration
	// PerAccount bounds the deliveries of one account in flight at once;
	// 0 means DefaultPerAccount.
	PerAccount int
}

// Defaults applied to the zero values of Config fields.
const (
	DefaultTimeout      = 10 * time.Second
	DefaultRetryFor     = 24 * time.Hour
	DefaultDisableAfter = 72 * time.Hour
	DefaultPerAccount   = 4
)

// ResponseBytes is how much of an endpoint's answer the log keeps.
const ResponseBytes = 1024

// UserAgent is the User-Agent of every delivery.
const UserAgent = "picpipe-webhooks/1"

func (c Config) withDefaults() Config {
	if c.BaseURL == "" {
		c.BaseURL = resource.FallbackBase("")
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.RetryFor == 0 {
		c.RetryFor = DefaultRetryFor
	}
	if c.DisableAfter == 0 {
		c.DisableAfter = DefaultDisableAfter
	}
	if c.PerAccount == 0 {
		c.PerAccount = DefaultPerAccount
	}
	return c
}

// Validate reports configuration errors.
func (c Config) Validate() error {
	if c.Timeout < 0 || c.RetryFor < 0 || c.DisableAfter < 0 || c.PerAccount < 0 {
		return errors.New("outbox: Timeout, RetryFor, DisableAfter and PerAccount must not be negative")
	}
	return nil
}

// Deps are the parts the Sender runs on.
type Deps struct {
	DB *db.DB
	// Fetcher sends the requests: the SSRF-safe one of URL ingest, with
	// its address and port policy.
	Fetcher *fetch.Fetcher
	// Redis holds the per-account count of deliveries in flight.
	Redis redis.UniversalClient
	// Now is the clock of the log and of the endpoints' health; nil
	// means time.Now. Signatures carry the wall clock, as receivers check
	// them against theirs.
	Now func() time.Time
}

// Sender delivers events: the handler of webhook:deliver tasks.
type Sender struct {
	cfg  Config
	deps Deps
}

var _ asynq.Handler = (*Sender)(nil)

// NewSender returns a Sender.
func NewSender(cfg Config, deps Deps) (*Sender, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	return &Sender{cfg: cfg.withDefaults(), deps: deps}, nil
}

// ErrBusy is a delivery put back because its account has PerAccount
// deliveries in flight. It is no failure: the task comes back within a
// second or two without spending a retry (IsFailure, RetryDelay).
var ErrBusy = errors.New("outbox: the account's deliveries are all in flight")

// ProcessTask delivers the event of a webhook:deliver task to its
// endpoint once, and logs the attempt. It returns nil when the delivery
// is over (delivered; given up after RetryFor; a manual resend; the
// endpoint disabled or deleted; the event purged), ErrBusy to come back
// shortly, and an error to be retried with backoff otherwise.
func (s *Sender) ProcessTask(ctx context.Context, t *asynq.Task) error {
	p, err := jobs.ParseWebhookPayload(t)
	if err != nil {
		return err
	}
	w, ev, err := s.load(ctx, p)
	if err != nil || w == nil {
		return err
	}
	release, err := s.acquire(ctx, w.UserID)
	if err != nil {
		return err
	}
	defer release()
	n, _ := asynq.GetRetryCount(ctx)
	a, err := s.attempt(ctx, w, ev, n+1, p.Manual)
	if err != nil {
		return err
	}
	after, err := s.deps.DB.RecordDelivery(ctx, a, int64(s.cfg.DisableAfter/time.Second))
	if errors.Is(err, db.ErrWebhookNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	return s.verdict(ev, a, after)
}

// load returns the webhook and the event of p, or a nil webhook when
// there is nothing to deliver: the webhook deleted or disabled (but to a
// manual resend), or the event purged.
func (s *Sender) load(ctx context.Context, p jobs.WebhookPayload) (*db.Webhook, *db.Event, error) {
	w, err := s.deps.DB.WebhookForWork(ctx, p.WebhookID)
	if errors.Is(err, db.ErrWebhookNotFound) || (err == nil && w.DisabledAt != nil && !p.Manual) {
		return nil, nil, nil
	} else if err != nil {
		return nil, nil, err
	}
	ev, err := s.deps.DB.EventByID(ctx, p.EventID)
	if errors.Is(err, db.ErrEventNotFound) {
		return nil, nil, nil
	} else if err != nil {
		return nil, nil, err
	}
	return w, ev, nil
}

// verdict is the task's outcome once attempt a is logged: done, or an
// error to retry with backoff.
func (s *Sender) verdict(ev *db.Event, a *db.Delivery, w *db.Webhook) error {
	attrs := []any{"webhook_id", w.ID, "event_id", ev.ID, "attempt", a.Attempt, "status", a.StatusCode, "ms", a.LatencyMs}
	switch {
	case a.Succeeded:
		slog.Info("webhook delivered", attrs...)
		return nil
	case a.Manual:
		slog.Info("webhook resend failed", append(attrs, "outcome", a.Outcome())...)
		return nil
	case w.DisabledAt != nil:
		slog.Warn("webhook disabled", append(attrs, "reason", w.DisabledReason)...)
		return nil
	case s.deps.Now().Sub(time.Unix(ev.CreatedAt, 0)) >= s.cfg.RetryFor:
		slog.Warn("webhook delivery given up", append(attrs, "outcome", a.Outcome())...)
		return nil
	}
	return fmt.Errorf("outbox: delivery of %s to %s: %s", ev.ID, w.ID, a.Outcome())
}

// attempt sends ev to w once and returns the attempt, to be logged.
func (s *Sender) attempt(ctx context.Context, w *db.Webhook, ev *db.Event, n int, manual bool) (*db.Delivery, error) {
	body, err := Body(s.cfg.BaseURL, ev)
	if err != nil {
		return nil, err
	}
	h := http.Header{
		"Content-Type":             {"application/json"},
		"User-Agent":               {UserAgent},
		webhook.SignatureHeader:    {webhook.Header(time.Now().Unix(), body, s.secrets(w)...)},
		webhook.EventIDHeader:      {ev.ID},
		webhook.EventTypeHeader:    {ev.Type},
		"Picpipe-Webhook-Id":       {w.ID},
		"Picpipe-Delivery-Attempt": {strconv.Itoa(n)},
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	start := time.Now()
	ans, err := s.deps.Fetcher.Post(ctx, w.URL, h, body, ResponseBytes)
	a := &db.Delivery{ID: db.NewID(db.PrefixDelivery), WebhookID: w.ID, EventID: ev.ID, EventType: ev.Type,
		Attempt: n, Manual: manual, LatencyMs: time.Since(start).Milliseconds(), CreatedAt: s.deps.Now().Unix()}
	if err != nil {
		a.Error = fetch.Reason(err)
		return a, nil
	}
	a.StatusCode, a.Response = ans.Status, string(ans.Body)
	a.Succeeded = ans.Status >= 200 && ans.Status < 300
	return a, nil
}

// secrets are the secrets w signs with now: its own, and the previous
// one until it expires.
func (s *Sender) secrets(w *db.Webhook) []string {
	out := []string{w.Secret}
	if w.PreviousSecret != "" && w.PreviousSecretExpiresAt != nil && *w.PreviousSecretExpiresAt > s.deps.Now().Unix() {
		out = append(out, w.PreviousSecret)
	}
	return out
}

// Body is the body of a delivery of ev: a webhook.Event whose data is
// the resource as the API shows it, with its links under base.
func Body(base string, ev *db.Event) ([]byte, error) {
	snap, err := ev.Snap()
	if err != nil {
		return nil, err
	}
	var data any
	switch {
	case snap.Image != nil:
		data = resource.NewImage(base, snap.Image, snap.Variants)
	case snap.File != nil:
		data = resource.NewFile(base, snap.File)
	default:
		return nil, fmt.Errorf("outbox: event %s has no resource", ev.ID)
	}
	b, err := json.Marshal(data)
	if err != nil {
		return nil, fmt.Errorf("outbox: render event %s: %w", ev.ID, err)
	}
	return json.Marshal(webhook.Event{ID: ev.ID, Object: "event", Type: ev.Type, CreatedAt: ev.CreatedAt,
		Sequence: ev.Seq, Variant: snap.Variant, Data: b})
}

// IsFailure tells asynq which errors of ProcessTask spend a retry: all
// but ErrBusy.
func IsFailure(err error) bool { return !errors.Is(err, ErrBusy) }

// Backoff is the wait before retry n (from 0) of a failed delivery:
// 30 s doubling each time, at most 4 h, with ±10% jitter. Retries thus
// come after about 30 s, 1, 2, 4, 8, 16, 32 and 64 min, 2 h 8 min, then
// every 4 h until RetryFor (24 h) has passed since the event: 15
// attempts in all over about 24 h.
func Backoff(n int) time.Duration {
	d := 4 * time.Hour
	if n < 10 {
		d = min(30*time.Second<<n, d)
	}
	return d + time.Duration((rand.Float64()*0.2-0.1)*float64(d))
}

// RetryDelay returns asynq's RetryDelayFunc for deliveries: ErrBusy comes
// back in 0.5–1.5 s, any other failure after backoff(n) (Backoff when
// nil).
func RetryDelay(backoff func(n int) time.Duration) asynq.RetryDelayFunc {
	if backoff == nil {
		backoff = Backoff
	}
	return func(n int, err error, _ *asynq.Task) time.Duration {
		if errors.Is(err, ErrBusy) {
			return 500*time.Millisecond + rand.N(time.Second)
		}
		return backoff(n)
	}
}
