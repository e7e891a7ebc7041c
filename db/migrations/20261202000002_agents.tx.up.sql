CREATE TABLE agents (
	id TEXT PRIMARY KEY,
	name TEXT NOT NULL UNIQUE CHECK (name = lower(name)),
	user_id TEXT NOT NULL REFERENCES users (id),
	allowed_ips TEXT NOT NULL DEFAULT '',
	created_at BIGINT NOT NULL,
	last_used_at BIGINT
);

--bun:split

CREATE INDEX agents_user_id_idx ON agents (user_id);
