ALTER TABLE upload_grants DROP COLUMN reserved;
