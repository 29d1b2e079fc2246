-- +goose Up
-- Login attempt budgets (package lockout): one row per account and client
-- network, per account and per network. An attempt is counted here before
-- its password is checked.
CREATE TABLE login_counters (
    name     TEXT PRIMARY KEY,
    attempts INTEGER NOT NULL DEFAULT 0,
    since    INTEGER NOT NULL DEFAULT 0,
    strikes  INTEGER NOT NULL DEFAULT 0,
    seen     INTEGER NOT NULL DEFAULT 0,
    ok       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX login_counters_seen ON login_counters (seen);

-- +goose Down
DROP TABLE login_counters;
