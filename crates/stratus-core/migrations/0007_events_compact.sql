-- Events: a compact row. The events row held the whole envelope line in
-- `raw` beside the columns parsed from it, and the batch's key (~70 bytes)
-- in every row: ~630 + 70 of its ~920 bytes, and about half of the sync's
-- insert time (bench/RESULTS.md, "Events"). Now:
--   * `extra` holds only what no column holds (client_ts, sent_at, the
--     context minus url, the collector's fields, anything unknown); the
--     detail view and the NDJSON export put the envelope back together;
--   * `batch` is the ledger row's integer id, so the ledger gets an explicit
--     INTEGER PRIMARY KEY (an implicit rowid may change on VACUUM);
--   * the FTS index keeps no per-row column sizes (columnsize=0): nothing
--     ranks by bm25, and it saves one B-tree insert per event.
-- Existing rows are copied, so an offline cache survives the upgrade.

CREATE TABLE sync_ledger_v2 (
    id          INTEGER PRIMARY KEY,
    key         TEXT NOT NULL UNIQUE,
    etag        TEXT NOT NULL,
    size        INTEGER NOT NULL,
    lines       INTEGER NOT NULL,
    inserted    INTEGER NOT NULL,           -- new events (the rest were duplicates)
    bad_lines   INTEGER NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('ingested', 'corrupt')),
    ingested_at INTEGER NOT NULL
) STRICT;

INSERT INTO sync_ledger_v2 (key, etag, size, lines, inserted, bad_lines, status, ingested_at)
SELECT key, etag, size, lines, inserted, bad_lines, status, ingested_at
FROM sync_ledger ORDER BY key;

CREATE TABLE events_v2 (
    rowid        INTEGER PRIMARY KEY,
    event_id     TEXT NOT NULL UNIQUE,
    ts           INTEGER NOT NULL,          -- unix ms, skew-corrected
    received_at  INTEGER NOT NULL,          -- unix ms, set by the collector
    event        TEXT NOT NULL,
    type         TEXT NOT NULL CHECK (type IN ('track', 'identify', 'page')),
    distinct_id  TEXT,
    anonymous_id TEXT,
    session_id   TEXT,
    url          TEXT,                      -- the envelope's context.url
    properties   TEXT NOT NULL DEFAULT '{}', -- flat JSON object
    extra        TEXT NOT NULL DEFAULT '{}', -- the envelope's fields no column holds, JSON
    batch        INTEGER NOT NULL           -- sync_ledger.id of the object it came from
) STRICT;

INSERT INTO events_v2 (rowid, event_id, ts, received_at, event, type, distinct_id,
    anonymous_id, session_id, url, properties, extra, batch)
SELECT e.rowid, e.event_id, e.ts, e.received_at, e.event, e.type, e.distinct_id,
    e.anonymous_id, e.session_id, e.url, e.properties,
    json_remove(e.raw, '$.event_id', '$.type', '$.event', '$.distinct_id', '$.anonymous_id',
        '$.session_id', '$.received_at', '$.ts', '$.properties', '$.context.url'),
    coalesce(l.id, 0)
FROM events e LEFT JOIN sync_ledger_v2 l ON l.key = e.object_key;

DROP TRIGGER events_fts_delete;
DROP TABLE events_fts;
DROP TABLE events;
DROP TABLE sync_ledger;
ALTER TABLE events_v2 RENAME TO events;
ALTER TABLE sync_ledger_v2 RENAME TO sync_ledger;

CREATE INDEX events_by_customer ON events (distinct_id, ts);
CREATE INDEX events_by_name ON events (event, ts);
-- (ts, rowid, event) rather than (ts): pages still walk it in (ts, rowid)
-- order without a sort, and facets by name and by day over a time range read
-- the index alone, without a table lookup per event.
CREATE INDEX events_by_ts ON events (ts, rowid, event);

CREATE VIRTUAL TABLE events_fts USING fts5(
    event, properties, url,
    content = 'events',
    content_rowid = 'rowid',
    columnsize = 0,
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO events_fts (events_fts) VALUES ('rebuild');

-- Search pages: the ts span of each run of rowids one sync transaction
-- added. A page of full-text matches newest first reads the runs in order
-- of their newest event and stops once no run left can beat the page, so it
-- never gathers every match of a common word (stratus-events' search.rs).
CREATE TABLE event_ranges (
    first_rowid INTEGER PRIMARY KEY,
    last_rowid  INTEGER NOT NULL,
    min_ts      INTEGER NOT NULL,
    max_ts      INTEGER NOT NULL
) STRICT;
CREATE INDEX event_ranges_by_max_ts ON event_ranges (max_ts);
INSERT INTO event_ranges (first_rowid, last_rowid, min_ts, max_ts)
SELECT min(rowid), max(rowid), min(ts), max(ts) FROM events GROUP BY rowid / 25000;

-- Retention deletes through this trigger; sync fills the index itself, one
-- INSERT … SELECT per transaction (0006).
CREATE TRIGGER events_fts_delete AFTER DELETE ON events BEGIN
    INSERT INTO events_fts (events_fts, rowid, event, properties, url)
    VALUES ('delete', old.rowid, old.event, old.properties, old.url);
END;
