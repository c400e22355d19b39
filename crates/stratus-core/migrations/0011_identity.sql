-- Events: one customer, whole story (stratus-events' sync/identity/).
--   * `type` also takes `alias` and `group`: the CHECK cannot be altered in
--     place, so the table is copied (rowids kept, so the external-content
--     FTS index and event_ranges stay valid without a rebuild);
--   * `person`: the person an event belongs to (its distinct_id, else its
--     anonymous_id, until a link merges it with others); the timeline,
--     sessions and the customer summary read `events_by_person`, which
--     replaces the (distinct_id, ts) index;
--   * the identity graph: links (one per identify/alias/group event) and
--     every linked id's person. Links are taken here from the cached
--     identify events; the persons are computed by stratus-events at the
--     next sync (identity_state.built = 0), not in SQL.

CREATE TABLE events_v3 (
    rowid        INTEGER PRIMARY KEY,
    event_id     TEXT NOT NULL UNIQUE,
    ts           INTEGER NOT NULL,          -- unix ms, skew-corrected
    received_at  INTEGER NOT NULL,          -- unix ms, set by the collector
    event        TEXT NOT NULL,
    type         TEXT NOT NULL CHECK (type IN ('track', 'identify', 'page', 'alias', 'group')),
    distinct_id  TEXT,
    anonymous_id TEXT,
    session_id   TEXT,
    url          TEXT,                      -- the envelope's context.url
    properties   TEXT NOT NULL DEFAULT '{}', -- flat JSON object
    extra        TEXT NOT NULL DEFAULT '{}', -- the envelope's fields no column holds, JSON
    batch        INTEGER NOT NULL,          -- sync_ledger.id of the object it came from
    person       TEXT                       -- identities.person, or the event's own id
) STRICT;

INSERT INTO events_v3 (rowid, event_id, ts, received_at, event, type, distinct_id,
    anonymous_id, session_id, url, properties, extra, batch, person)
SELECT rowid, event_id, ts, received_at, event, type, distinct_id,
    anonymous_id, session_id, url, properties, extra, batch,
    coalesce(distinct_id, anonymous_id)
FROM events;

DROP TRIGGER events_fts_delete;
DROP TABLE events;
ALTER TABLE events_v3 RENAME TO events;

CREATE INDEX events_by_person ON events (person, ts);
CREATE INDEX events_by_name ON events (event, ts);
CREATE INDEX events_by_ts ON events (ts, rowid, event);

CREATE TRIGGER events_fts_delete AFTER DELETE ON events BEGIN
    INSERT INTO events_fts (events_fts, rowid, event, properties, url)
    VALUES ('delete', old.rowid, old.event, old.properties, old.url);
END;

-- One row per linking event. kind identify: id = user id, other = the
-- anonymous id; alias: id = the new id, other = the previous one; group:
-- id = the member, other = the account (groups do not merge people).
CREATE TABLE identity_links (
    event_id TEXT PRIMARY KEY,
    kind     TEXT NOT NULL CHECK (kind IN ('identify', 'alias', 'group')),
    id       TEXT NOT NULL,
    other    TEXT NOT NULL,
    at       INTEGER NOT NULL                -- the event's ts, unix ms
) STRICT, WITHOUT ROWID;
CREATE INDEX identity_links_by_id ON identity_links (id);
CREATE INDEX identity_links_by_other ON identity_links (other);

-- Every id in a merging link → its person. user = 1: the id was the user
-- side of an identify or the new side of an alias (it may name the person).
CREATE TABLE identities (
    id     TEXT PRIMARY KEY,
    person TEXT NOT NULL,
    user   INTEGER NOT NULL CHECK (user IN (0, 1))
) STRICT, WITHOUT ROWID;
CREATE INDEX identities_by_person ON identities (person);

CREATE TABLE identity_state (
    built INTEGER NOT NULL CHECK (built IN (0, 1))
) STRICT;

INSERT INTO identity_links (event_id, kind, id, other, at)
SELECT event_id, 'identify', distinct_id, other, ts FROM (
    SELECT event_id, distinct_id, ts,
        coalesce(anonymous_id, json_extract(properties, '$."$anon_distinct_id"')) AS other
    FROM events WHERE type = 'identify' AND distinct_id IS NOT NULL
) WHERE other IS NOT NULL AND other <> '' AND other <> distinct_id;

INSERT INTO identity_state (built)
SELECT CASE WHEN EXISTS (SELECT 1 FROM identity_links) THEN 0 ELSE 1 END;

-- Campaigns a customer received, for the person card.
CREATE INDEX recipients_by_customer ON recipients (customer_id);
