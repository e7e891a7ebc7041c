-- Idempotency-Key records: one per account, method, path and key, claimed
-- before a POST runs (state running, held by its owner's lease) and
-- holding the answer to replay once it is done; purged at expires_at.
CREATE TABLE idempotency_keys (
	user_id TEXT NOT NULL REFERENCES users (id),
	method TEXT NOT NULL,
	path TEXT NOT NULL,
	idempotency_key TEXT NOT NULL,
	request_hash TEXT NOT NULL,
	body_hash TEXT NOT NULL DEFAULT '',
	body_size BIGINT NOT NULL DEFAULT 0,
	state TEXT NOT NULL,
	owner TEXT NOT NULL DEFAULT '',
	lease_until BIGINT NOT NULL DEFAULT 0,
	status INTEGER NOT NULL DEFAULT 0,
	headers TEXT NOT NULL DEFAULT '',
	body TEXT NOT NULL DEFAULT '',
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL,
	PRIMARY KEY (user_id, method, path, idempotency_key)
);

--bun:split

CREATE INDEX idempotency_keys_expires_at_idx ON idempotency_keys (expires_at);

--bun:split

CREATE INDEX idempotency_keys_owner_idx ON idempotency_keys (owner) WHERE state = 'running';
