ALTER TABLE images ADD COLUMN attempt TEXT NOT NULL DEFAULT '';

--bun:split

CREATE TABLE variants (
	image_id TEXT NOT NULL REFERENCES images (id) ON DELETE CASCADE,
	kind TEXT NOT NULL,
	status TEXT NOT NULL,
	storage_key TEXT NOT NULL DEFAULT '',
	size BIGINT NOT NULL DEFAULT 0,
	attempt TEXT NOT NULL DEFAULT '',
	attempts INTEGER NOT NULL DEFAULT 0,
	error_code TEXT NOT NULL DEFAULT '',
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL,
	PRIMARY KEY (image_id, kind)
);

--bun:split

CREATE INDEX variants_status_updated_idx ON variants (status, updated_at);

--bun:split

INSERT INTO variants (image_id, kind, status, storage_key, size, created_at, updated_at)
	SELECT id, 'avif', CASE WHEN avif_status = '' THEN 'queued' ELSE avif_status END,
		avif_key, avif_size, updated_at, updated_at
	FROM images WHERE status = 'ready' AND format = 'webp';

--bun:split

ALTER TABLE images DROP COLUMN avif_status;

--bun:split

ALTER TABLE images DROP COLUMN avif_key;

--bun:split

ALTER TABLE images DROP COLUMN avif_size;
