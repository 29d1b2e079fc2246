-- +goose Up
-- The secondary indexes a bulk load dropped to build them again at its end
-- (see Loader.DeferIndexes): written with the drop, deleted with each
-- rebuild, so a load that was killed half-way leaves here what the next
-- open of the store builds again.
CREATE TABLE deferred_indexes (
    name TEXT PRIMARY KEY,
    def  TEXT NOT NULL
);

-- +goose Down
DROP TABLE deferred_indexes;
