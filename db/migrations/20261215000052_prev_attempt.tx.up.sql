-- The attempt a claim took over, written by the claim itself: a claim is
-- one UPDATE … RETURNING (SET prev_attempt = attempt, attempt = new), not
-- a transaction that reads the row first. The new run sweeps what the
-- attempt it took over wrote.
ALTER TABLE images ADD COLUMN prev_attempt TEXT NOT NULL DEFAULT '';

--bun:split

ALTER TABLE variants ADD COLUMN prev_attempt TEXT NOT NULL DEFAULT '';
