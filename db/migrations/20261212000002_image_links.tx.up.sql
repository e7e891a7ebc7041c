ALTER TABLE images ADD COLUMN link TEXT NOT NULL DEFAULT '';

--bun:split

-- The links already given out keep working: they were the hash.
UPDATE images SET link = hash;

--bun:split

CREATE INDEX images_user_link_idx ON images (user_id, link);
