-- Jobs: long work (warm-up, campaign runs, syncs, demo seeding). The row is
-- the durable state the UI reattaches to after a restart.
CREATE TABLE jobs (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    title       TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted')),
    done        INTEGER NOT NULL DEFAULT 0,
    total       INTEGER,
    message     TEXT NOT NULL DEFAULT '',
    error       TEXT,
    started_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    finished_at INTEGER
) STRICT;

CREATE INDEX jobs_by_start ON jobs (started_at DESC);

-- Demo seed steps already applied, so seeding is idempotent and capabilities
-- can add steps later.
CREATE TABLE demo_seed (
    step       TEXT PRIMARY KEY,
    applied_at INTEGER NOT NULL
) STRICT;
