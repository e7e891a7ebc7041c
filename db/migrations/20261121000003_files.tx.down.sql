DROP TABLE upload_grants;

--bun:split

ALTER TABLE images DROP COLUMN source_url;

--bun:split

DROP TABLE files;
