-- +goose Up
-- The open cases by tile, for the map's default layer: a box reads only
-- its open cases instead of every case of every year in its tiles.
CREATE INDEX cases_tile_open ON cases (tile, lat, lon, state, category_id, number, unit_grid, reported_at)
    WHERE state NOT IN ('closed', 'voided');

-- The map's counts (see mapGroup in internal/store/aggregates.go): cases
-- per 0.0025° tile (the tile column of cases), unit grid and open or not,
-- with the sums of their coordinates in millionths of a degree, moved in
-- the transaction that changes a case and filled with eval_agg.
CREATE TABLE map_agg (
    tile      INTEGER NOT NULL,
    unit_grid TEXT NOT NULL,
    open      INTEGER NOT NULL, -- 1 open, 0 closed or voided
    shard     INTEGER NOT NULL, -- as in eval_agg
    n         INTEGER NOT NULL,
    lon       INTEGER NOT NULL,
    lat       INTEGER NOT NULL,
    PRIMARY KEY (tile, unit_grid, open, shard)
) WITHOUT ROWID;

-- +goose Down
DROP TABLE map_agg;
DROP INDEX cases_tile_open;
