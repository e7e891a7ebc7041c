-- The allow-list (sniff.PolicyNamed) that admits a file's bytes: a URL
-- fetched later by a worker is checked as its way in would check it.
ALTER TABLE files ADD COLUMN policy TEXT NOT NULL DEFAULT '';
