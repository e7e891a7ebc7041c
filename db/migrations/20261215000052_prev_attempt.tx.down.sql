ALTER TABLE variants DROP COLUMN prev_attempt;

--bun:split

ALTER TABLE images DROP COLUMN prev_attempt;
