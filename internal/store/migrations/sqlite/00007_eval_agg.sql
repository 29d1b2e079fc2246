-- +goose Up
-- Maintained evaluation aggregates (see internal/store/aggregates.go): each
-- case's share of the evaluation counts by group, member, count and day,
-- moved in the transaction that changes the case. Store.Migrate fills the
-- table from the cases (built holds the version of the definition it was
-- built with; 0 until then).
CREATE TABLE eval_agg (
    grp     TEXT NOT NULL,
    cut     INTEGER NOT NULL, -- see cuts in aggregates.go
    day     INTEGER NOT NULL,
    measure TEXT NOT NULL,
    key     TEXT NOT NULL,
    shard   INTEGER NOT NULL, -- PostgreSQL: concurrent transactions add to different rows
    n       BIGINT NOT NULL,
    PRIMARY KEY (grp, cut, day, measure, key, shard)
) WITHOUT ROWID;
CREATE TABLE eval_agg_state (built INTEGER NOT NULL);
INSERT INTO eval_agg_state (built) VALUES (0);

-- +goose Down
DROP TABLE eval_agg_state;
DROP TABLE eval_agg;
