-- Write keys of the event collector, one per source (a web site, a backend).
-- Only the SHA-256 of a token is kept: the token is shown once at creation.
-- A revoked key stays (revoked_at set) so it is refused with 403, not 401,
-- and so revoking the last key never opens the collector again.
CREATE TABLE write_keys (
    id              TEXT PRIMARY KEY,
    token_sha256    TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL CHECK (kind IN ('browser', 'server')),
    label           TEXT NOT NULL,
    -- JSON array of exact origins (browser keys); `["*"]` is any origin.
    allowed_origins TEXT NOT NULL DEFAULT '[]',
    rate_per_sec    REAL NOT NULL CHECK (rate_per_sec > 0),
    burst           INTEGER NOT NULL CHECK (burst >= 1),
    created_at      INTEGER NOT NULL,
    revoked_at      INTEGER
) STRICT;
