-- Mobile push done properly (stratus-campaigns `push/`): several devices per
-- customer, each registered as an SNS platform endpoint; push content fields
-- on campaigns; the in-app channel.

-- The in-app channel widens the campaigns' channel CHECK. Loosening a CHECK
-- changes nothing stored, so the table's SQL is edited in place (SQLite's
-- documented procedure for such changes) instead of rebuilding the table,
-- which would have to name every column other migrations add.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
   SET sql = replace(sql, 'channel IN (''sms'', ''push'')', 'channel IN (''sms'', ''push'', ''in_app'')')
 WHERE type = 'table' AND name = 'campaigns';
PRAGMA writable_schema = RESET;

-- A push campaign's notification fields (title, deep link, custom data,
-- badge, sound) as JSON; the body is the campaign's `template`. NULL for
-- SMS campaigns and campaigns saved before.
ALTER TABLE campaigns ADD COLUMN push TEXT CHECK (push IS NULL OR json_valid(push));

-- One app install of one customer. `token` is the APNs/FCM device token
-- (NULL for an endpoint ARN imported without one); `endpoint_arn` the SNS
-- platform endpoint it is registered as (NULL until registered). A device
-- SNS reported disabled is kept with enabled = 0 and the reason, so the next
-- campaign skips it; registering its token again enables it.
CREATE TABLE push_devices (
    id           TEXT PRIMARY KEY,
    customer_id  TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    platform     TEXT NOT NULL CHECK (platform IN ('apns', 'apns_sandbox', 'fcm', 'other')),
    token        TEXT,
    endpoint_arn TEXT,
    enabled      INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    last_error   TEXT,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
) STRICT;

-- A token belongs to one app install, an endpoint to one token.
CREATE UNIQUE INDEX push_devices_by_token ON push_devices (platform, token) WHERE token IS NOT NULL;
CREATE UNIQUE INDEX push_devices_by_endpoint ON push_devices (endpoint_arn) WHERE endpoint_arn IS NOT NULL;
CREATE INDEX push_devices_by_customer ON push_devices (customer_id, enabled);

-- `customers.push_endpoint_arn` stays as the import column and as the
-- customer's reachable-device summary every existing reader uses (launch's
-- "has an address"): writing it registers the ARN as a device; afterwards
-- it always names the newest enabled device (NULL when none is), whatever
-- was written. One trigger does both; the others hand their change to it.
-- Recursive triggers are off, so the trigger's own UPDATE, and the device
-- trigger its INSERT fires, do not re-enter it.
CREATE TRIGGER customers_push_endpoint_update AFTER UPDATE OF push_endpoint_arn ON customers
BEGIN
    INSERT OR IGNORE INTO push_devices (id, customer_id, platform, token, endpoint_arn, created_at, updated_at)
    SELECT lower(hex(randomblob(16))), NEW.id,
           CASE
               WHEN NEW.push_endpoint_arn LIKE '%:endpoint/APNS_SANDBOX/%' THEN 'apns_sandbox'
               WHEN NEW.push_endpoint_arn LIKE '%:endpoint/APNS/%' THEN 'apns'
               WHEN NEW.push_endpoint_arn LIKE '%:endpoint/GCM/%' THEN 'fcm'
               ELSE 'other'
           END,
           NULL, NEW.push_endpoint_arn, NEW.updated_at, NEW.updated_at
     WHERE NEW.push_endpoint_arn IS NOT NULL;
    UPDATE customers SET push_endpoint_arn = (
        SELECT d.endpoint_arn FROM push_devices d
         WHERE d.customer_id = customers.id AND d.enabled = 1 AND d.endpoint_arn IS NOT NULL
         ORDER BY d.updated_at DESC, d.id LIMIT 1)
     WHERE id = NEW.id;
END;

-- A new customer's endpoint: written again, so the trigger above registers it.
CREATE TRIGGER customers_push_endpoint_insert AFTER INSERT ON customers
WHEN NEW.push_endpoint_arn IS NOT NULL
BEGIN
    UPDATE customers SET push_endpoint_arn = NEW.push_endpoint_arn WHERE id = NEW.id;
END;

-- Any change to a customer's devices: the summary is cleared, and the
-- customers trigger computes it again (NULL registers nothing, so a
-- deleted device is not brought back).
CREATE TRIGGER push_devices_summary_insert AFTER INSERT ON push_devices
BEGIN
    UPDATE customers SET push_endpoint_arn = NULL WHERE id = NEW.customer_id;
END;

CREATE TRIGGER push_devices_summary_update AFTER UPDATE ON push_devices
BEGIN
    UPDATE customers SET push_endpoint_arn = NULL WHERE id IN (NEW.customer_id, OLD.customer_id);
END;

CREATE TRIGGER push_devices_summary_delete AFTER DELETE ON push_devices
BEGIN
    UPDATE customers SET push_endpoint_arn = NULL WHERE id = OLD.customer_id;
END;

-- The single endpoint column every customer had becomes their first device.
UPDATE customers SET push_endpoint_arn = push_endpoint_arn WHERE push_endpoint_arn IS NOT NULL;

-- The profile's SNS platform applications, one per platform: ARNs only.
-- The APNs key or FCM credential an application is created from goes to
-- SNS and is never stored here (SNS keeps it).
CREATE TABLE push_apps (
    platform   TEXT PRIMARY KEY CHECK (platform IN ('apns', 'apns_sandbox', 'fcm')),
    arn        TEXT NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
