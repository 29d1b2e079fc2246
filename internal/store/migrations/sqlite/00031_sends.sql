-- +goose Up
-- Reaching people outside the inbox: each account's contacts and chosen
-- channels, each unit's group robots, and every message sent through a
-- channel (a send), planned from the inbox lines and kept as its record.
ALTER TABLE accounts ADD COLUMN email TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN lang TEXT NOT NULL DEFAULT 'zh-CN';
ALTER TABLE accounts ADD COLUMN channels TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN liaison BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE notifications ADD COLUMN ladder BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE robots (
    id         INTEGER PRIMARY KEY,
    unit_id    INTEGER NOT NULL REFERENCES units (id),
    kind       TEXT NOT NULL,
    name       TEXT NOT NULL,
    token      TEXT NOT NULL,
    secret     TEXT NOT NULL DEFAULT '',
    lang       TEXT NOT NULL DEFAULT 'zh-CN',
    active     BOOLEAN NOT NULL DEFAULT TRUE,
    updated_at INTEGER NOT NULL
);
CREATE INDEX robots_unit ON robots (unit_id);

CREATE TABLE sends (
    id              INTEGER PRIMARY KEY,
    send_key        TEXT NOT NULL UNIQUE,
    notification_id INTEGER,
    case_id         INTEGER,
    unit_id         INTEGER,
    account_id      INTEGER,
    robot_id        INTEGER,
    channel         TEXT NOT NULL,
    address         TEXT NOT NULL,
    lang            TEXT NOT NULL,
    kind            TEXT NOT NULL,
    params          TEXT,
    level           TEXT NOT NULL,
    step            INTEGER NOT NULL DEFAULT 0,
    since           INTEGER NOT NULL,
    not_before      INTEGER NOT NULL,
    state           TEXT NOT NULL DEFAULT 'queued',
    attempts        INTEGER NOT NULL DEFAULT 0,
    claimed_until   INTEGER,
    last_error      TEXT NOT NULL DEFAULT '',
    provider_id     TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER
);
CREATE INDEX sends_due ON sends (not_before) WHERE state = 'queued';
CREATE INDEX sends_case ON sends (case_id);

CREATE TABLE send_cursor (
    name    TEXT PRIMARY KEY,
    last_id INTEGER NOT NULL
);
INSERT INTO send_cursor (name, last_id) SELECT 'inbox', coalesce(max(id), 0) FROM notifications;

-- +goose Down
DROP TABLE send_cursor;
DROP TABLE sends;
DROP TABLE robots;
ALTER TABLE notifications DROP COLUMN ladder;
ALTER TABLE accounts DROP COLUMN liaison;
ALTER TABLE accounts DROP COLUMN channels;
ALTER TABLE accounts DROP COLUMN lang;
ALTER TABLE accounts DROP COLUMN email;
