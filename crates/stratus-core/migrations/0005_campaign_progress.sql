-- The run view asks every 250 ms how many messages went out in the last
-- minute; without this index that counts every sent row of the campaign,
-- so the watcher's cost grew with the audience.
CREATE INDEX recipients_by_sent_time ON recipients (campaign_id, status, updated_at);
