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
-- Cases by point for the map: a tile of 0.0025° (about 250 m) computed from
-- the point, and an index that starts with it and carries what a marker
-- needs, so a box query reads a few contiguous index ranges (one per row
-- of tiles) and never the table. (SQLite's rtree module was measured
-- first: finding the ids was fast, fetching 4,000 rows by id was not.)
ALTER TABLE cases ADD COLUMN tile INTEGER GENERATED ALWAYS AS
    (CAST((lat + 90) / 0.0025 AS INTEGER) * 200000 + CAST((lon + 180) / 0.0025 AS INTEGER)) VIRTUAL;
CREATE INDEX cases_tile ON cases (tile, lat, lon, state, category_id, number, unit_grid, reported_at);
CREATE INDEX cases_duplicate_of ON cases (duplicate_of) WHERE duplicate_of IS NOT NULL;

-- Duplicate search radius per category in metres; 0 means the default.
ALTER TABLE categories ADD COLUMN duplicate_radius INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE categories DROP COLUMN duplicate_radius;
DROP INDEX cases_duplicate_of;
DROP INDEX cases_tile;
ALTER TABLE cases DROP COLUMN tile;
DROP INDEX cases_open_place;
DROP TABLE dispatch_rules;
