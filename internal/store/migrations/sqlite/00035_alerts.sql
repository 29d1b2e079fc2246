-- +goose Up
-- Residents' area alerts (订阅 / 区域提醒): who asked for which area and
-- categories, the links' tokens (hashed), the cases already announced, and
-- the mails to send (confirmations and alerts), claimed by one instance at
-- a time.

-- A subscription: an e-mail address, one area (a street, a community, or
-- a circle: lon, lat, radius in metres), categories (comma-separated ids
-- or classes; empty: all) and the language to write in. confirmed_at is
-- NULL until the resident follows the confirmation link.
CREATE TABLE alert_subscriptions (
    id           INTEGER PRIMARY KEY,
    email        TEXT NOT NULL,
    street       TEXT NOT NULL DEFAULT '',
    community    TEXT NOT NULL DEFAULT '',
    lon          REAL,
    lat          REAL,
    radius       REAL,
    categories   TEXT NOT NULL DEFAULT '',
    lang         TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    confirmed_at INTEGER
);
CREATE INDEX alert_subscriptions_email ON alert_subscriptions (email, created_at);
CREATE INDEX alert_subscriptions_unconfirmed ON alert_subscriptions (created_at) WHERE confirmed_at IS NULL;
CREATE INDEX alert_subscriptions_confirmed ON alert_subscriptions (id) WHERE confirmed_at IS NOT NULL;

-- A link's token, stored as its SHA-256: confirm or unsubscribe.
CREATE TABLE alert_tokens (
    hash            TEXT PRIMARY KEY,
    subscription_id INTEGER NOT NULL REFERENCES alert_subscriptions (id) ON DELETE CASCADE,
    purpose         TEXT NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX alert_tokens_subscription ON alert_tokens (subscription_id);

-- Cases that became public and were matched against the subscriptions:
-- each is matched once, whatever it does later.
CREATE TABLE alert_cases (
    case_id   INTEGER PRIMARY KEY REFERENCES cases (id),
    public_at INTEGER NOT NULL
);

-- One mail to send: a subscription's confirmation (case_id NULL) or one
-- alert of one case (unique: each alert is sent once).
CREATE TABLE alert_mails (
    id              INTEGER PRIMARY KEY,
    subscription_id INTEGER NOT NULL REFERENCES alert_subscriptions (id) ON DELETE CASCADE,
    case_id         INTEGER REFERENCES cases (id),
    state           TEXT NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_at         INTEGER NOT NULL,
    claimed_until   INTEGER,
    sent_at         INTEGER,
    receipt         TEXT NOT NULL DEFAULT '',
    last_error      TEXT NOT NULL DEFAULT '',
    UNIQUE (subscription_id, case_id)
);
CREATE INDEX alert_mails_due ON alert_mails (next_at) WHERE state = 'pending';
CREATE INDEX alert_mails_case ON alert_mails (case_id);

-- Where the matching pass is in the events.
CREATE TABLE alert_marks (
    name TEXT PRIMARY KEY,
    mark INTEGER NOT NULL
);

-- +goose Down
DROP TABLE alert_marks;
DROP TABLE alert_mails;
DROP TABLE alert_cases;
DROP TABLE alert_tokens;
DROP TABLE alert_subscriptions;
