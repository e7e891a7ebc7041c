// Package outbox carries the events of the database's outbox to the
// webhook endpoints that take them.
//
// Every transition a webhook can take writes its event in its own
// transaction (package db). Right after the commit, the Dispatcher —
// installed with db.DB.OnEvents — queues one webhook:deliver task per
// endpoint and marks the event dispatched; Sweep, run by the scheduler's
// reconcile, does the same for any event a crash or a queue outage left
// undispatched. A delivery's task id is made of the event's and the
// endpoint's, so an event queued twice is delivered once.
//
// The Sender is the task's handler. It renders the event with the
// resource as the API shows it (package resource), signs it (package
// webhook), POSTs it through the SSRF-safe fetcher with a timeout and
// without following redirects, logs the attempt, and keeps the
// endpoint's health: an endpoint whose every delivery failed for
// DisableAfter is disabled. A failed delivery is retried with
// exponential backoff (RetryDelay) for RetryFor after its event; an
// account has at most PerAccount deliveries in flight, so one account's
// slow endpoint cannot take every delivery slot.
//
//	d.OnEvents(outbox.NewDispatcher(d, queue, nil).Hook)
//	sender := outbox.NewSender(outbox.Config{BaseURL: "https://img.example.com"}, outbox.Deps{DB: d, Fetcher: f, Redis: rdb})
//	mux.Handle(jobs.TypeWebhookDeliver, sender)
package outbox
