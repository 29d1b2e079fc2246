-- +goose Up
-- The open cases by point, for the map's default layer: a box reads only
-- its open cases instead of every case of every year in it.
CREATE INDEX cases_point_open ON cases USING gist (point(lon, lat))
    WHERE state NOT IN ('closed', 'voided');

-- The map's counts (see mapGroup in internal/store/aggregates.go): cases
-- per 0.0025° tile, unit grid and open or not, with the sums of their
-- coordinates in millionths of a degree, moved in the transaction that
-- changes a case and filled with eval_agg.
CREATE TABLE map_agg (
    tile      BIGINT NOT NULL,
    unit_grid TEXT NOT NULL,
    open      INTEGER NOT NULL, -- 1 open, 0 closed or voided
    shard     INTEGER NOT NULL, -- as in eval_agg
    n         BIGINT NOT NULL,
    lon       BIGINT NOT NULL,
    lat       BIGINT NOT NULL,
    PRIMARY KEY (tile, unit_grid, open, shard)
);

-- +goose Down
DROP TABLE map_agg;
DROP INDEX cases_point_open;
