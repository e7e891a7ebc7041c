ALTER TABLE files ADD COLUMN attempt TEXT NOT NULL DEFAULT '';

--bun:split

ALTER TABLE files ADD COLUMN created_by TEXT NOT NULL DEFAULT '';

--bun:split

ALTER TABLE files ADD COLUMN path TEXT NOT NULL DEFAULT '';

--bun:split

CREATE UNIQUE INDEX files_user_path_live_idx ON files (user_id, path)
	WHERE path <> '' AND deleted_at IS NULL;
