-- Which bytes a ready image's link serves, and a ready variant: an encode
-- ('optimized') or the upload itself with its metadata removed losslessly
-- ('original': it was no larger than its encode, or an animated GIF
-- passed through). A variant that came out no smaller than the image's
-- own output ends 'skipped' and is not served.
ALTER TABLE images ADD COLUMN served TEXT NOT NULL DEFAULT 'optimized';

--bun:split

UPDATE images SET served = 'original' WHERE format = 'gif';

--bun:split

ALTER TABLE variants ADD COLUMN served TEXT NOT NULL DEFAULT 'optimized';
