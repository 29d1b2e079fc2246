-- +goose Up
-- Published evaluations: the counts of a period frozen when published, so
-- the figures can be shown again exactly after cases change.
CREATE TABLE evaluations (
    id           INTEGER PRIMARY KEY,
    grp          TEXT NOT NULL,
    period_from  INTEGER NOT NULL,
    period_to    INTEGER NOT NULL,
    as_of        INTEGER NOT NULL,
    weights      TEXT NOT NULL,
    rows         TEXT NOT NULL,
    published_at INTEGER NOT NULL,
    published_by TEXT NOT NULL DEFAULT '',
    UNIQUE (grp, period_from, period_to)
);

-- What evaluations scan: cases by registration, tasks by dispatch, and
-- events by kind and time (approvals, callbacks, checks).
CREATE INDEX cases_registered ON cases (registered_at);
CREATE INDEX tasks_dispatched ON tasks (dispatched_at);
CREATE INDEX events_action_at ON events (action, at);

-- +goose Down
DROP INDEX events_action_at;
DROP INDEX tasks_dispatched;
DROP INDEX cases_registered;
DROP TABLE evaluations;
