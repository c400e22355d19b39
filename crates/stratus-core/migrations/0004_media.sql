-- Image presets and the allow-list of a profile (stratus-media). A row with
-- allowed_only = 1 is a canonical spec allowed on demand besides the presets.
CREATE TABLE media_presets (
    name         TEXT PRIMARY KEY,
    spec         TEXT NOT NULL,
    allowed_only INTEGER NOT NULL DEFAULT 0 CHECK (allowed_only IN (0, 1))
) STRICT;
