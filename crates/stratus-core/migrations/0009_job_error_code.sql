-- The code of the error that failed a job (`error` keeps its message), so the
-- UI can branch on it as on any other error. Failed rows from before kept
-- only a message: they read as `internal`, which is what they were to the UI.
ALTER TABLE jobs ADD COLUMN error_code TEXT;
UPDATE jobs SET error_code = 'internal' WHERE error IS NOT NULL;
