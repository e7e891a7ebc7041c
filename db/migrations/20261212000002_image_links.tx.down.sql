DROP INDEX images_user_link_idx;

--bun:split

ALTER TABLE images DROP COLUMN link;
