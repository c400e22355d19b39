-- When sync last listed a source completely (Unix ms). Incremental syncs
-- list only from the watermark minus a lookback; a complete listing now and
-- then finds objects written behind that (a backfill, a late writer, an odd
-- key inside the layout's range). NULL: never, so the next sync does one.
ALTER TABLE sync_state ADD COLUMN last_full_at INTEGER;
