CREATE TABLE users (
	id TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	plan TEXT NOT NULL DEFAULT 'free',
	status TEXT NOT NULL DEFAULT 'active',
	created_at BIGINT NOT NULL
);

--bun:split

CREATE TABLE api_keys (
	id TEXT PRIMARY KEY,
	user_id TEXT NOT NULL REFERENCES users (id),
	name TEXT NOT NULL DEFAULT '',
	prefix TEXT NOT NULL,
	hash TEXT NOT NULL UNIQUE,
	allowed_ips TEXT NOT NULL DEFAULT '',
	created_at BIGINT NOT NULL,
	last_used_at BIGINT,
	revoked_at BIGINT
);

--bun:split

CREATE INDEX api_keys_user_id_idx ON api_keys (user_id);

--bun:split

CREATE TABLE images (
	id TEXT PRIMARY KEY,
	user_id TEXT NOT NULL REFERENCES users (id),
	status TEXT NOT NULL,
	error_code TEXT NOT NULL DEFAULT '',
	error_message TEXT NOT NULL DEFAULT '',
	hash TEXT NOT NULL,
	source_sha256 TEXT NOT NULL,
	source_key TEXT NOT NULL DEFAULT '',
	source_name TEXT NOT NULL DEFAULT '',
	source_size BIGINT NOT NULL DEFAULT 0,
	quality INTEGER NOT NULL,
	lossless BOOLEAN NOT NULL DEFAULT FALSE,
	resize_width INTEGER NOT NULL DEFAULT 0,
	resize_height INTEGER NOT NULL DEFAULT 0,
	format TEXT NOT NULL DEFAULT '',
	output_key TEXT NOT NULL DEFAULT '',
	output_size BIGINT NOT NULL DEFAULT 0,
	width INTEGER NOT NULL DEFAULT 0,
	height INTEGER NOT NULL DEFAULT 0,
	avif_status TEXT NOT NULL DEFAULT '',
	avif_key TEXT NOT NULL DEFAULT '',
	avif_size BIGINT NOT NULL DEFAULT 0,
	attempts INTEGER NOT NULL DEFAULT 0,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL,
	deleted_at BIGINT
);

--bun:split

CREATE INDEX images_user_id_id_idx ON images (user_id, id);

--bun:split

CREATE UNIQUE INDEX images_user_hash_live_idx ON images (user_id, hash)
	WHERE deleted_at IS NULL AND status <> 'failed';

--bun:split

CREATE INDEX images_status_updated_idx ON images (status, updated_at);
