-- Campaign rules (stratus-campaigns): quiet hours that wait, a frequency
-- cap across campaigns, badges marked announced when a message announcing
-- them is sent, and a level table the profile can edit.

-- What a recipient in quiet hours gets: delayed to the window's end (the
-- default) or skipped with reason `quiet_hours`.
ALTER TABLE campaigns ADD COLUMN quiet_mode TEXT NOT NULL DEFAULT 'wait'
    CHECK (quiet_mode IN ('wait', 'skip'));
-- At most `cap_messages` messages per customer within `cap_days` days,
-- counting what every campaign sent; both or neither.
ALTER TABLE campaigns ADD COLUMN cap_messages INTEGER CHECK (cap_messages > 0);
ALTER TABLE campaigns ADD COLUMN cap_days INTEGER CHECK (cap_days BETWEEN 1 AND 365);

-- A pending recipient waiting for their quiet hours to end: not sent
-- before this Unix ms. The runner's page query takes only due rows.
ALTER TABLE recipients ADD COLUMN not_before INTEGER;
CREATE INDEX recipients_waiting ON recipients (campaign_id, not_before)
    WHERE status = 'pending' AND not_before IS NOT NULL;

-- The frequency cap counts one customer's recent sends across campaigns:
-- the person card's index (0011) widened, so it still serves that lookup.
DROP INDEX recipients_by_customer;
CREATE INDEX recipients_by_customer ON recipients (customer_id, status, updated_at);

-- The profile's level table: a customer's level is the highest level whose
-- threshold their points reach. Seeded with the table Stratus used to
-- hard-code.
CREATE TABLE levels (
    name       TEXT NOT NULL PRIMARY KEY COLLATE NOCASE,
    min_points INTEGER NOT NULL UNIQUE CHECK (min_points >= 0)
) STRICT;

INSERT INTO levels (name, min_points) VALUES
    ('bronze', 0), ('silver', 500), ('gold', 2000), ('platinum', 5000), ('diamond', 10000);
