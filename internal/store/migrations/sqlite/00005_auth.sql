-- +goose Up
-- Sessions (cookie logins) and API tokens are stored as SHA-256 hashes:
-- a stolen database does not hand out working credentials.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    csrf       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_account ON sessions (account_id);

CREATE TABLE api_tokens (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    name       TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);

-- Every login, logout and refusal.
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    username   TEXT NOT NULL DEFAULT '',
    account_id INTEGER,
    event      TEXT NOT NULL,
    client     TEXT NOT NULL DEFAULT '',
    detail     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_user ON audit_log (username, event, at);

-- Idempotency keys of created cases: a retried request returns the first
-- case instead of a second one.
CREATE TABLE idempotency_keys (
    key        TEXT NOT NULL,
    account_id INTEGER NOT NULL,
    case_id    INTEGER NOT NULL REFERENCES cases (id),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, key)
);

-- +goose Down
DROP TABLE idempotency_keys;
DROP TABLE audit_log;
DROP TABLE api_tokens;
DROP TABLE sessions;
