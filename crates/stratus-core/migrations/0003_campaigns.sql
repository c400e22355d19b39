-- Campaigns (stratus-campaigns): customers, campaigns, per-recipient rows
-- (the durable truth the runner and the progress bar read) and the demo outbox.

-- Customers with their gamified data. Imported from CSV/NDJSON; upserted by id.
CREATE TABLE customers (
    id                TEXT PRIMARY KEY,
    name              TEXT NOT NULL,
    email             TEXT,
    locale            TEXT NOT NULL DEFAULT 'en',
    time_zone         TEXT NOT NULL DEFAULT 'UTC',     -- IANA name, validated on import
    phone             TEXT,                            -- E.164, validated on import
    push_endpoint_arn TEXT,
    sms_opt_in        INTEGER NOT NULL DEFAULT 0 CHECK (sms_opt_in IN (0, 1)),
    push_opt_in       INTEGER NOT NULL DEFAULT 0 CHECK (push_opt_in IN (0, 1)),
    points            INTEGER NOT NULL DEFAULT 0,
    streak            INTEGER NOT NULL DEFAULT 0,
    level             TEXT NOT NULL DEFAULT 'bronze',
    badges            TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(badges)),          -- JSON array of strings
    badges_notified   TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(badges_notified)), -- badges already announced
    last_active       INTEGER,                         -- Unix ms
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
) STRICT;

-- Rank by points is computed per recipient: count of customers with more points.
CREATE INDEX customers_by_points ON customers (points);
CREATE INDEX customers_by_level ON customers (level);
CREATE INDEX customers_by_last_active ON customers (last_active);

CREATE TABLE campaigns (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    channel       TEXT NOT NULL CHECK (channel IN ('sms', 'push')),
    segment       TEXT NOT NULL,
    template      TEXT NOT NULL,
    rate_per_sec  REAL NOT NULL CHECK (rate_per_sec > 0),
    concurrency   INTEGER NOT NULL CHECK (concurrency > 0),
    scheduled_at  INTEGER,                             -- Unix ms; NULL = as soon as launched
    quiet_start   INTEGER CHECK (quiet_start BETWEEN 0 AND 1439), -- minute of the recipient's local day
    quiet_end     INTEGER CHECK (quiet_end BETWEEN 0 AND 1439),
    sms_type      TEXT NOT NULL DEFAULT 'transactional' CHECK (sms_type IN ('transactional', 'promotional')),
    sender_id     TEXT,
    state         TEXT NOT NULL CHECK (state IN ('draft', 'scheduled', 'running', 'paused', 'completed', 'cancelled', 'failed')),
    error         TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    launched_at   INTEGER,
    finished_at   INTEGER,
    CHECK ((quiet_start IS NULL) = (quiet_end IS NULL))
) STRICT;

CREATE INDEX campaigns_by_update ON campaigns (updated_at DESC);

-- The audience snapshot taken at launch: one row per recipient, marked as it goes.
CREATE TABLE recipients (
    campaign_id   TEXT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    customer_id   TEXT NOT NULL,
    address       TEXT,                                -- phone or endpoint ARN at launch
    status        TEXT NOT NULL CHECK (status IN ('pending', 'in_flight', 'sent', 'failed', 'skipped', 'unknown')),
    reason        TEXT,                                -- why skipped / unknown
    error_code    TEXT,                                -- provider's code when failed
    error_message TEXT,
    message_id    TEXT,
    attempts      INTEGER NOT NULL DEFAULT 0,
    rendered      TEXT,
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, customer_id)
) STRICT;

CREATE INDEX recipients_by_status ON recipients (campaign_id, status, customer_id);

-- Demo mode's notifier: what would have been sent, for the phone preview.
CREATE TABLE outbox (
    message_id  TEXT PRIMARY KEY,
    campaign_id TEXT,
    customer_id TEXT,
    channel     TEXT NOT NULL CHECK (channel IN ('sms', 'push')),
    address     TEXT NOT NULL,
    body        TEXT NOT NULL,
    sms_type    TEXT,
    sender_id   TEXT,
    sent_at     INTEGER NOT NULL
) STRICT;

CREATE INDEX outbox_by_address ON outbox (address, sent_at);
CREATE INDEX outbox_by_campaign ON outbox (campaign_id, sent_at);
