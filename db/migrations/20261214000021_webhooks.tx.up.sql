-- Webhooks: an account's endpoints, the outbox of events written in the
-- transaction of the transition that caused each, and the log of every
-- delivery attempt.
CREATE TABLE webhooks (
	id TEXT PRIMARY KEY,
	user_id TEXT NOT NULL REFERENCES users (id),
	url TEXT NOT NULL,
	events TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	secret TEXT NOT NULL,
	previous_secret TEXT NOT NULL DEFAULT '',
	previous_secret_expires_at BIGINT,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL,
	failing_since BIGINT,
	last_success_at BIGINT,
	last_failure_at BIGINT,
	disabled_at BIGINT,
	disabled_reason TEXT NOT NULL DEFAULT ''
);

--bun:split

CREATE INDEX webhooks_user_id_idx ON webhooks (user_id);

--bun:split

CREATE TABLE events (
	seq {{if .Postgres}}BIGSERIAL PRIMARY KEY{{else}}INTEGER PRIMARY KEY AUTOINCREMENT{{end}},
	id TEXT NOT NULL UNIQUE,
	user_id TEXT NOT NULL REFERENCES users (id),
	type TEXT NOT NULL,
	resource_id TEXT NOT NULL,
	snapshot TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	dispatched_at BIGINT
);

--bun:split

CREATE INDEX events_undispatched_idx ON events (seq) WHERE dispatched_at IS NULL;

--bun:split

CREATE INDEX events_created_at_idx ON events (created_at);

--bun:split

CREATE TABLE webhook_deliveries (
	id TEXT PRIMARY KEY,
	webhook_id TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
	event_id TEXT NOT NULL,
	event_type TEXT NOT NULL,
	attempt INTEGER NOT NULL,
	manual BOOLEAN NOT NULL DEFAULT FALSE,
	succeeded BOOLEAN NOT NULL,
	status_code INTEGER NOT NULL DEFAULT 0,
	latency_ms BIGINT NOT NULL DEFAULT 0,
	response TEXT NOT NULL DEFAULT '',
	error TEXT NOT NULL DEFAULT '',
	created_at BIGINT NOT NULL
);

--bun:split

CREATE INDEX webhook_deliveries_webhook_idx ON webhook_deliveries (webhook_id, id);

--bun:split

CREATE INDEX webhook_deliveries_created_at_idx ON webhook_deliveries (created_at);
