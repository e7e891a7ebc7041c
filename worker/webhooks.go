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

// newWebhookServer returns the asynq server of QueueWebhooks alone, with
// its own concurrency, backoff and failure rule, and the Sender as its
// handler; nil when the worker has no fetcher to send with.
func (w *Worker) newWebhookServer() (*asynq.Server, *asynq.ServeMux, error) {
	if w.deps.Fetcher == nil {
		return nil, nil, nil
	}
	sender, err := outbox.NewSender(w.cfg.Webhooks, outbox.Deps{DB: w.deps.DB, Fetcher: w.deps.Fetcher, Redis: w.rdb, Now: w.deps.Now})
	if err != nil {
		return nil, nil, err
	}
	check := webhookRetryCheck
	if w.cfg.RetryCheckInterval != 0 {
		check = min(check, w.cfg.RetryCheckInterval)
	}
	srv := asynq.NewServer(w.deps.Redis, asynq.Config{
		Concurrency:              w.cfg.WebhookConcurrency,
		Queues:                   map[string]int{jobs.QueueWebhooks: 1},
		TaskCheckInterval:        w.cfg.PollInterval,
		ShutdownTimeout:          w.cfg.ShutdownTimeout,
		Logger:                   jobs.Logger{},
		RetryDelayFunc:           outbox.RetryDelay(w.cfg.WebhookBackoff),
		IsFailure:                outbox.IsFailure,
		DelayedTaskCheckInterval: check,
	})
	mux := asynq.NewServeMux()
	mux.Handle(jobs.TypeWebhookDeliver, sender)
	return srv, mux, nil
}
