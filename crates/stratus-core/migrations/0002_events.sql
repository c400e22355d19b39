-- Events cache (stratus-events): a local copy of the collector's batches in
-- S3, for fast and offline browsing by support staff.

-- One row per event. A rowid table: the integer key keeps the indexes and the
-- FTS index small, and keyset pages order by (ts, rowid). event_id (UUIDv7
-- made by the client) is UNIQUE so re-ingesting an object or a retried event
-- collapses with `INSERT OR IGNORE`.
CREATE TABLE events (
    rowid        INTEGER PRIMARY KEY,
    event_id     TEXT NOT NULL UNIQUE,
    ts           INTEGER NOT NULL,          -- unix ms, skew-corrected
    received_at  INTEGER NOT NULL,          -- unix ms, set by the collector
    event        TEXT NOT NULL,
    type         TEXT NOT NULL CHECK (type IN ('track', 'identify', 'page')),
    distinct_id  TEXT,
    anonymous_id TEXT,
    session_id   TEXT,
    url          TEXT,
    properties   TEXT NOT NULL DEFAULT '{}', -- flat JSON object
    raw          TEXT NOT NULL,             -- the whole envelope line, for the detail view
    object_key   TEXT NOT NULL              -- the batch it came from
) STRICT;

CREATE INDEX events_by_customer ON events (distinct_id, ts);
CREATE INDEX events_by_name ON events (event, ts);
CREATE INDEX events_by_ts ON events (ts);

-- Full-text search over name, properties and url. External content
-- (content='events'): the text is stored once, in `events`, yet snippet() and
-- highlight() still work and `rebuild` can regenerate the index. Contentless
-- would store the same but cannot return columns and needs
-- contentless_delete for retention. Triggers keep it in step inside the
-- writer's transaction; an ignored INSERT OR IGNORE fires no trigger.
CREATE VIRTUAL TABLE events_fts USING fts5(
    event, properties, url,
    content = 'events',
    content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER events_fts_insert AFTER INSERT ON events BEGIN
    INSERT INTO events_fts (rowid, event, properties, url)
    VALUES (new.rowid, new.event, new.properties, new.url);
END;

CREATE TRIGGER events_fts_delete AFTER DELETE ON events BEGIN
    INSERT INTO events_fts (events_fts, rowid, event, properties, url)
    VALUES ('delete', old.rowid, old.event, old.properties, old.url);
END;

-- One row per ingested batch object: a changed ETag means re-ingest.
CREATE TABLE sync_ledger (
    key         TEXT PRIMARY KEY,
    etag        TEXT NOT NULL,
    size        INTEGER NOT NULL,
    lines       INTEGER NOT NULL,
    inserted    INTEGER NOT NULL,           -- new events (the rest were duplicates)
    bad_lines   INTEGER NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('ingested', 'corrupt')),
    ingested_at INTEGER NOT NULL
) STRICT;

-- Per source prefix: the greatest key ingested in key order (the low
-- watermark the next listing starts from, minus a lookback) and the outcome
-- of the last run, for the sync status panel.
CREATE TABLE sync_state (
    source       TEXT PRIMARY KEY,
    watermark    TEXT,
    last_sync_at INTEGER,
    last_error   TEXT
) STRICT;

-- Lines that could not be ingested, kept for inspection and replay.
CREATE TABLE bad_lines (
    id          INTEGER PRIMARY KEY,
    object_key  TEXT NOT NULL,
    line_number INTEGER NOT NULL,
    reason      TEXT NOT NULL,
    raw         TEXT NOT NULL,
    seen_at     INTEGER NOT NULL,
    UNIQUE (object_key, line_number)
) STRICT;
