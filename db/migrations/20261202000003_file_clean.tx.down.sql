DROP INDEX files_user_path_live_idx;

--bun:split

ALTER TABLE files DROP COLUMN path;

--bun:split

ALTER TABLE files DROP COLUMN created_by;

--bun:split

ALTER TABLE files DROP COLUMN attempt;
