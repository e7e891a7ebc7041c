package worker

import (
	"time"

	"github.com/hibiken/asynq"

	"picpipe/jobs"
	"picpipe/outbox"
)

// DefaultWebhookConcurrency is how many webhook deliveries a worker
// runs at once, apart from its image pool: they wait on the network,
// not the CPU.
const DefaultWebhookConcurrency = 8

// webhookRetryCheck is how often the webhook server moves due retries
// back to the queue (deliveries put back as busy come back within 1.5 s).
const webhookRetryCheck = time.Second

// newWebhookPool returns the asynq server of QueueWebhooks alone, with
// its own concurrency, backoff and failure rule, and the Sender as its
// handler (which needs the worker's Fetcher).
func (w *Worker) newWebhookPool() (pool, error) {
	sender, err := outbox.NewSender(w.cfg.Webhooks, outbox.Deps{DB: w.deps.DB, Fetcher: w.deps.Fetcher, Redis: w.rdb, Now: w.deps.Now})
	if err != nil {
		return pool{}, err
	}
	cfg := w.cfg.server(w.cfg.WebhookConcurrency, map[string]int{jobs.QueueWebhooks: 1})
	cfg.RetryDelayFunc = outbox.RetryDelay(w.cfg.WebhookBackoff)
	cfg.IsFailure = outbox.IsFailure
	cfg.DelayedTaskCheckInterval = webhookRetryCheck
	if w.cfg.RetryCheckInterval != 0 {
		cfg.DelayedTaskCheckInterval = min(webhookRetryCheck, w.cfg.RetryCheckInterval)
	}
	mux := asynq.NewServeMux()
	mux.Handle(jobs.TypeWebhookDeliver, sender)
	return w.newPool("webhooks", cfg, mux), nil
}
