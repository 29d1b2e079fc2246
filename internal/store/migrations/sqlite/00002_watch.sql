-- +goose Up
-- Deadlines the watcher looks after, the inbox, the webhook outbox and
-- local calendar days.

-- One row per running deadline: a case-level step ("case"), a department's
-- task ("task:ID") or a supervision order's reply ("sup:SEQ"). stage says
-- what the watcher has done (0 nothing, 1 warned, 2 overdue and reminded,
-- 3 escalated / finished); next_at is when it must look again, NULL when
-- there is nothing left to do.
CREATE TABLE watches (
    case_id  INTEGER NOT NULL REFERENCES cases (id),
    watch_key TEXT NOT NULL,
    step     TEXT NOT NULL,
    unit_id  INTEGER,
    start_at INTEGER NOT NULL,
    deadline INTEGER NOT NULL,
    stage    INTEGER NOT NULL DEFAULT 0,
    next_at  INTEGER,
    PRIMARY KEY (case_id, watch_key)
);
CREATE INDEX watches_next ON watches (next_at) WHERE next_at IS NOT NULL;
CREATE INDEX watches_unit ON watches (unit_id, deadline);

-- A lease row per background job: whoever holds it does the job.
CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);

-- The inbox: what is new for a unit or a person.
CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY,
    unit_id    INTEGER,
    account_id INTEGER,
    case_id    INTEGER NOT NULL REFERENCES cases (id),
    kind       TEXT NOT NULL,
    title      TEXT NOT NULL,
    due        INTEGER,
    at         INTEGER NOT NULL,
    read_at    INTEGER
);
CREATE INDEX notifications_unit ON notifications (unit_id, id);
CREATE INDEX notifications_account ON notifications (account_id, id);

-- Written in the same transaction as the change it announces.
CREATE TABLE outbox (
    id         INTEGER PRIMARY KEY,
    topic      TEXT NOT NULL,
    case_id    INTEGER,
    payload    TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE webhooks (
    id         INTEGER PRIMARY KEY,
    url        TEXT NOT NULL,
    secret     TEXT NOT NULL,
    topics     TEXT NOT NULL,
    active     BOOLEAN NOT NULL DEFAULT TRUE,
    fanned_to  INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);

CREATE TABLE deliveries (
    id            INTEGER PRIMARY KEY,
    webhook_id    INTEGER NOT NULL REFERENCES webhooks (id),
    outbox_id     INTEGER NOT NULL REFERENCES outbox (id),
    state         TEXT NOT NULL DEFAULT 'pending',
    attempts      INTEGER NOT NULL DEFAULT 0,
    next_at       INTEGER NOT NULL,
    claimed_until INTEGER,
    last_status   INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT NOT NULL DEFAULT '',
    last_at       INTEGER,
    delivered_at  INTEGER,
    UNIQUE (webhook_id, outbox_id)
);
CREATE INDEX deliveries_due ON deliveries (state, next_at);

CREATE TABLE delivery_attempts (
    delivery_id INTEGER NOT NULL REFERENCES deliveries (id),
    attempt     INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    status      INTEGER NOT NULL,
    error       TEXT NOT NULL DEFAULT '',
    response    TEXT NOT NULL DEFAULT '',
    took_ms     INTEGER NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
);

-- Local changes to the working calendar: an extra day off (or a working
-- day) decided by the district, on top of the State Council's holidays.
CREATE TABLE calendar_days (
    day        TEXT PRIMARY KEY,
    working    BOOLEAN NOT NULL,
    note       TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);

-- +goose Down
DROP TABLE calendar_days;
DROP TABLE delivery_attempts;
DROP TABLE deliveries;
DROP TABLE webhooks;
DROP TABLE outbox;
DROP TABLE notifications;
DROP TABLE leases;
DROP TABLE watches;
