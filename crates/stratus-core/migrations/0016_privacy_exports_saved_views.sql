-- GDPR/CCPA access requests (an export of everything held on a person) are
-- recorded beside erasures: the kind CHECK gains 'export'. SQLite cannot
-- alter a CHECK, so the table is copied once (ids kept). For an export,
-- `removed` holds what was exported (counts, the file) — nothing is removed.
CREATE TABLE privacy_requests_v2 (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('erase', 'export')),
    subject      TEXT NOT NULL,              -- the id the request named
    ids          TEXT NOT NULL DEFAULT '[]', -- every id of the person, JSON array
    requested_by TEXT NOT NULL,
    requested_at INTEGER NOT NULL,           -- unix ms
    finished_at  INTEGER,
    state        TEXT NOT NULL CHECK (state IN ('running', 'done', 'failed')),
    removed      TEXT NOT NULL DEFAULT '{}', -- counts (and an export's file), JSON
    error        TEXT
) STRICT;
INSERT INTO privacy_requests_v2
SELECT id, kind, subject, ids, requested_by, requested_at, finished_at, state, removed, error
FROM privacy_requests;
DROP TABLE privacy_requests;
ALTER TABLE privacy_requests_v2 RENAME TO privacy_requests;

-- Saved views of the Events section: a named event filter support staff
-- save and reopen (stratus-events' browse/views.rs). Names are unique
-- whatever their case; saving a name again replaces its filter.
CREATE TABLE saved_views (
    name       TEXT PRIMARY KEY COLLATE NOCASE,
    filter     TEXT NOT NULL,                -- the EventFilter, JSON
    created_at INTEGER NOT NULL,             -- unix ms
    updated_at INTEGER NOT NULL
) STRICT;
