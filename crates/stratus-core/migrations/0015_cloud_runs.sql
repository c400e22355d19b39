-- Cloud runs (stratus-campaigns' cloud/): a campaign sent by workers on AWS
-- instead of this process. One row per round (a launch in the cloud; a
-- retry sent in the cloud is the next round). The recipients rows stay the
-- local record: they catch up from the run's marks in DynamoDB.
CREATE TABLE cloud_runs (
    campaign_id   TEXT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    round         INTEGER NOT NULL CHECK (round >= 1),
    run_id        TEXT NOT NULL UNIQUE,                -- the marks' partition key
    table_name    TEXT NOT NULL,
    queue_url     TEXT NOT NULL,
    bucket        TEXT NOT NULL,
    chunks        INTEGER NOT NULL DEFAULT 0,
    recipients    INTEGER NOT NULL DEFAULT 0,
    -- uploading: manifest and messages not all out yet (launch again to finish);
    -- started: workers own it; finished: every recipient has its answer here.
    state         TEXT NOT NULL CHECK (state IN ('uploading', 'started', 'finished')),
    caught_up_to  INTEGER NOT NULL DEFAULT 0,          -- Unix ms: marks changed before this are applied
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, round)
) STRICT;
