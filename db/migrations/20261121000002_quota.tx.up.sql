ALTER TABLE users ADD COLUMN image_count BIGINT NOT NULL DEFAULT 0;

--bun:split

ALTER TABLE users ADD COLUMN storage_bytes BIGINT NOT NULL DEFAULT 0;

--bun:split

ALTER TABLE users ADD COLUMN transform_count BIGINT NOT NULL DEFAULT 0;

--bun:split

ALTER TABLE users ADD COLUMN transform_period TEXT NOT NULL DEFAULT '';

--bun:split

CREATE INDEX images_deleted_at_idx ON images (deleted_at) WHERE deleted_at IS NOT NULL;
