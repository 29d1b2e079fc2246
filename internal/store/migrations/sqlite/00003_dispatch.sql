-- +goose Up
-- The dispatch table (派单目录): category × area × ownership → departments.
CREATE TABLE dispatch_rules (
    id         INTEGER PRIMARY KEY,
    category   TEXT NOT NULL,
    area       TEXT NOT NULL,
    ownership  TEXT NOT NULL DEFAULT '',
    lead       TEXT NOT NULL,
    assist     TEXT NOT NULL DEFAULT '',
    note       TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    UNIQUE (category, area, ownership)
);

-- Open cases by place, for duplicate candidates and the map.
CREATE INDEX cases_open_place ON cases (category_id, lat, lon) WHERE state NOT IN ('closed', 'voided');
CREATE INDEX cases_place ON cases (lat, lon);
CREATE INDEX cases_duplicate_of ON cases (duplicate_of) WHERE duplicate_of IS NOT NULL;

-- Duplicate search radius per category in metres; 0 means the default.
ALTER TABLE categories ADD COLUMN duplicate_radius INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE categories DROP COLUMN duplicate_radius;
DROP INDEX cases_duplicate_of;
DROP INDEX cases_place;
DROP INDEX cases_open_place;
DROP TABLE dispatch_rules;
