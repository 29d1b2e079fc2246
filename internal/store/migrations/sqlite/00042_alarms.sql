-- +goose Up
-- Camera and sensor alarms (视频智能识别 / 告警): the device registry, every
-- alarm kept once by (source, device, event id), and per device and
-- category what is open (the case an alarm filed, or the alarm waiting
-- in the 疑似 queue), so that concurrent alarms of one camera claim it once.

-- A registered camera or sensor: its place (point and the grid found
-- for it), threshold, dwell (seconds), active hours (minutes after
-- midnight, Beijing time) and raises (JSON: category, events, auto,
-- evidence).
CREATE TABLE alarm_devices (
    id         INTEGER PRIMARY KEY,
    source     TEXT NOT NULL,
    code       TEXT NOT NULL,
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL,
    lon        REAL NOT NULL,
    lat        REAL NOT NULL,
    unit_grid  TEXT NOT NULL DEFAULT '',
    grid       TEXT NOT NULL DEFAULT '',
    community  TEXT NOT NULL DEFAULT '',
    street     TEXT NOT NULL DEFAULT '',
    threshold  REAL NOT NULL DEFAULT 0,
    dwell      INTEGER NOT NULL DEFAULT 0,
    hours_from INTEGER NOT NULL DEFAULT 0,
    hours_to   INTEGER NOT NULL DEFAULT 0,
    raises     TEXT NOT NULL DEFAULT '[]',
    active     BOOLEAN NOT NULL DEFAULT TRUE,
    updated_at BIGINT NOT NULL,
    UNIQUE (source, code)
);

-- One alarm as received: status is registered, suspected, repeat,
-- dropped, accepted, false or merged; reason the rules-table row (or the
-- reviewer's reason for a false alarm); case_id the case it filed, was
-- accepted into or counts on; review_of the suspected alarm a repeat
-- counts on. snapshots is JSON: photo ids and references.
CREATE TABLE alarms (
    id          INTEGER PRIMARY KEY,
    device_id   BIGINT REFERENCES alarm_devices (id),
    source      TEXT NOT NULL,
    device      TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    event_type  TEXT NOT NULL,
    model       TEXT NOT NULL DEFAULT '',
    confidence  REAL NOT NULL,
    phase       TEXT NOT NULL,
    happened_at BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    lon         REAL,
    lat         REAL,
    category_id TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    case_id     BIGINT REFERENCES cases (id),
    review_of   BIGINT,
    snapshots   TEXT NOT NULL DEFAULT '[]',
    box         TEXT NOT NULL DEFAULT '',
    plate       TEXT NOT NULL DEFAULT '',
    reviewed_by BIGINT,
    reviewed_at BIGINT,
    UNIQUE (source, device, event_id)
);
CREATE INDEX alarms_status ON alarms (status, received_at);
CREATE INDEX alarms_device ON alarms (device_id, status);
CREATE INDEX alarms_case ON alarms (case_id) WHERE case_id IS NOT NULL;

-- What is open for a device and category: case_id (0: none) or alarm_id,
-- the suspected alarm (0: none). Claimed by compare-and-set.
CREATE TABLE alarm_open (
    device_id   BIGINT NOT NULL,
    category_id TEXT NOT NULL,
    case_id     BIGINT NOT NULL DEFAULT 0,
    alarm_id    BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (device_id, category_id)
);

-- A token of the alarms scope may carry a secret its pushes are signed
-- with (HMAC-SHA256); it is needed to check them, so it is kept as given.
ALTER TABLE api_tokens ADD COLUMN hmac_secret TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE api_tokens DROP COLUMN hmac_secret;
DROP TABLE alarm_open;
DROP TABLE alarms;
DROP TABLE alarm_devices;
