-- GDPR/CCPA requests (stratus-events' privacy/): a record of each request
-- that outlives the data it removed — who asked, when, for which ids, and
-- what was removed (counts, JSON). The person's data is gone; this row is
-- the proof it was removed.
CREATE TABLE privacy_requests (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('erase')),
    subject      TEXT NOT NULL,              -- the id the request named
    ids          TEXT NOT NULL DEFAULT '[]', -- every id of the person, JSON array
    requested_by TEXT NOT NULL,
    requested_at INTEGER NOT NULL,           -- unix ms
    finished_at  INTEGER,
    state        TEXT NOT NULL CHECK (state IN ('running', 'done', 'failed')),
    removed      TEXT NOT NULL DEFAULT '{}', -- counts, JSON
    error        TEXT
) STRICT;
