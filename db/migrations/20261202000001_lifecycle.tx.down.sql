ALTER TABLE images ADD COLUMN avif_status TEXT NOT NULL DEFAULT '';

--bun:split

ALTER TABLE images ADD COLUMN avif_key TEXT NOT NULL DEFAULT '';

--bun:split

ALTER TABLE images ADD COLUMN avif_size BIGINT NOT NULL DEFAULT 0;

--bun:split

UPDATE images SET
	avif_status = COALESCE((SELECT status FROM variants v WHERE v.image_id = images.id AND v.kind = 'avif'), ''),
	avif_key = COALESCE((SELECT storage_key FROM variants v WHERE v.image_id = images.id AND v.kind = 'avif'), ''),
	avif_size = COALESCE((SELECT size FROM variants v WHERE v.image_id = images.id AND v.kind = 'avif'), 0);

--bun:split

DROP TABLE variants;

--bun:split

ALTER TABLE images DROP COLUMN attempt;
