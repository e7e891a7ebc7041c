DROP INDEX images_deleted_at_idx;

--bun:split

ALTER TABLE users DROP COLUMN transform_period;

--bun:split

ALTER TABLE users DROP COLUMN transform_count;

--bun:split

ALTER TABLE users DROP COLUMN storage_bytes;

--bun:split

ALTER TABLE users DROP COLUMN image_count;
