-- +goose Up
-- One counter per part of the configuration that every instance holds in
-- memory (the time-limit policy with its calendar, the dispatch table, the
-- grid layer). A change bumps its part; every instance polls the counters
-- and reloads the part that moved, so a change made on one instance reaches
-- the others within seconds, without a restart.
CREATE TABLE config_generations (
    part       TEXT PRIMARY KEY,
    generation BIGINT NOT NULL,
    changed_at BIGINT NOT NULL
);

-- +goose Down
DROP TABLE config_generations;
