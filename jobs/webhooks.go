package jobs

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
)

// TypeWebhookDeliver delivers one event to one webhook endpoint.
const TypeWebhookDeliver = "webhook:deliver"

// QueueWebhooks is the queue of webhook deliveries. Workers serve it
// apart from the other queues (Queues), with a concurrency of its own,
// so that slow endpoints never hold up uploads.
const QueueWebhooks = "webhooks"

// WebhookMaxRetry bounds the retries of a delivery. The sender stops
// earlier, once the event is older than its retry window (24 hours by
// default); this only caps a misconfigured backoff.
const WebhookMaxRetry = 50

// webhookTimeout bounds one run of a delivery task: the request's own
// timeout (10 s by default) plus the log.
const webhookTimeout = time.Minute

// WebhookPayload names the event and the endpoint of a delivery. Manual
// marks a resend asked for through the API: one attempt, not retried.
type WebhookPayload struct {
	EventID   string `json:"event_id"`
	WebhookID string `json:"webhook_id"`
	Manual    bool   `json:"manual,omitempty"`
}

// NewWebhookTask returns the delivery task of p on QueueWebhooks. An
// automatic delivery has the task id WebhookTaskID, so that queueing it
// twice (the dispatch right after the commit, and the sweep) delivers
// once; it is retried up to WebhookMaxRetry times. A manual one has a
// task id of its own and no retry.
func NewWebhookTask(p WebhookPayload) (*asynq.Task, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("jobs: marshal %s payload: %w", TypeWebhookDeliver, err)
	}
	opts := []asynq.Option{asynq.Queue(QueueWebhooks), asynq.Timeout(webhookTimeout), asynq.Retention(Retention)}
	if p.Manual {
		opts = append(opts, asynq.MaxRetry(0))
	} else {
		opts = append(opts, asynq.MaxRetry(WebhookMaxRetry), asynq.TaskID(WebhookTaskID(p.EventID, p.WebhookID)))
	}
	return asynq.NewTask(TypeWebhookDeliver, b, opts...), nil
}

// WebhookTaskID is the task id of the delivery of eventID to webhookID.
func WebhookTaskID(eventID, webhookID string) string {
	return TypeWebhookDeliver + ":" + eventID + ":" + webhookID
}

// ParseWebhookPayload decodes a delivery's payload; a malformed one wraps
// asynq.SkipRetry.
func ParseWebhookPayload(t *asynq.Task) (WebhookPayload, error) {
	var p WebhookPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.EventID == "" || p.WebhookID == "" {
		return p, fmt.Errorf("jobs: bad %s payload %q: %w", t.Type(), t.Payload(), asynq.SkipRetry)
	}
	return p, nil
}
