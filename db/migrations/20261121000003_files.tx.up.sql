CREATE TABLE files (
	id TEXT PRIMARY KEY,
	user_id TEXT NOT NULL REFERENCES users (id),
	status TEXT NOT NULL,
	error_code TEXT NOT NULL DEFAULT '',
	error_message TEXT NOT NULL DEFAULT '',
	name TEXT NOT NULL DEFAULT '',
	mime TEXT NOT NULL DEFAULT '',
	ext TEXT NOT NULL DEFAULT '',
	size BIGINT NOT NULL DEFAULT 0,
	sha256 TEXT NOT NULL DEFAULT '',
	storage_key TEXT NOT NULL DEFAULT '',
	source_url TEXT NOT NULL DEFAULT '',
	expires_at BIGINT,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL,
	deleted_at BIGINT
);

--bun:split

CREATE INDEX files_user_id_id_idx ON files (user_id, id);

--bun:split

CREATE INDEX files_expires_at_idx ON files (expires_at) WHERE expires_at IS NOT NULL AND deleted_at IS NULL;

--bun:split

CREATE INDEX files_deleted_at_idx ON files (deleted_at) WHERE deleted_at IS NOT NULL;

--bun:split

CREATE INDEX files_status_updated_idx ON files (status, updated_at);

--bun:split

ALTER TABLE images ADD COLUMN source_url TEXT NOT NULL DEFAULT '';

--bun:split

CREATE TABLE upload_grants (
	id TEXT PRIMARY KEY,
	user_id TEXT NOT NULL REFERENCES users (id),
	key_id TEXT NOT NULL,
	content_type TEXT NOT NULL,
	max_size BIGINT NOT NULL,
	staging_key TEXT NOT NULL UNIQUE,
	size BIGINT NOT NULL DEFAULT 0,
	sha256 TEXT NOT NULL DEFAULT '',
	filename TEXT NOT NULL DEFAULT '',
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL,
	uploaded_at BIGINT,
	used_at BIGINT
);

--bun:split

CREATE INDEX upload_grants_expires_at_idx ON upload_grants (expires_at);
