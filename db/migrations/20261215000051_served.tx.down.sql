UPDATE variants SET status = 'failed', error_code = 'internal' WHERE status = 'skipped';

--bun:split

ALTER TABLE variants DROP COLUMN served;

--bun:split

ALTER TABLE images DROP COLUMN served;
