-- +goose Up
-- Times are Unix milliseconds (UTC) in both dialects, so one SQL text
-- compares and sorts them the same way; NULL means "not yet".

CREATE TABLE divisions (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    level       TEXT NOT NULL,
    parent_code TEXT
);

CREATE TABLE grids (
    code       TEXT NOT NULL,
    name       TEXT NOT NULL,
    community  TEXT NOT NULL,
    street     TEXT NOT NULL,
    cells      INTEGER NOT NULL,
    valid_from INTEGER NOT NULL,
    valid_to   INTEGER,
    PRIMARY KEY (code, valid_from)
);

CREATE TABLE unit_grids (
    code       TEXT NOT NULL,
    grid       TEXT NOT NULL,
    community  TEXT NOT NULL,
    street     TEXT NOT NULL,
    valid_from INTEGER NOT NULL,
    valid_to   INTEGER,
    min_lon    REAL NOT NULL,
    min_lat    REAL NOT NULL,
    max_lon    REAL NOT NULL,
    max_lat    REAL NOT NULL,
    geometry   TEXT NOT NULL,
    PRIMARY KEY (code, valid_from)
);

CREATE TABLE categories (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    code        TEXT NOT NULL,
    major_class TEXT NOT NULL,
    name        TEXT NOT NULL,
    dept_hint   TEXT NOT NULL DEFAULT '',
    public      BOOLEAN NOT NULL DEFAULT TRUE,
    local       BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE TABLE units (
    id     INTEGER PRIMARY KEY,
    code   TEXT NOT NULL UNIQUE,
    name   TEXT NOT NULL,
    kind   TEXT NOT NULL,
    street TEXT NOT NULL DEFAULT '',
    parent INTEGER REFERENCES units (id)
);

CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL,
    unit_id       INTEGER NOT NULL REFERENCES units (id),
    phone         TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL,
    active        BOOLEAN NOT NULL DEFAULT TRUE,
    created_at    INTEGER NOT NULL
);

CREATE TABLE account_grids (
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    grid       TEXT NOT NULL,
    PRIMARY KEY (account_id, grid)
);

CREATE TABLE time_limits (
    scope   TEXT NOT NULL,
    urgency TEXT NOT NULL DEFAULT '',
    step    TEXT NOT NULL,
    amount  INTEGER NOT NULL,
    unit    TEXT NOT NULL,
    note    TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (scope, urgency, step)
);

CREATE TABLE case_numbers (
    day  TEXT PRIMARY KEY,
    last INTEGER NOT NULL
);

CREATE TABLE cases (
    id                  INTEGER PRIMARY KEY,
    number              TEXT NOT NULL UNIQUE,
    version             INTEGER NOT NULL,
    channel             TEXT NOT NULL,
    category_id         TEXT NOT NULL REFERENCES categories (id),
    urgency             TEXT NOT NULL,
    state               TEXT NOT NULL,
    description         TEXT NOT NULL,
    address             TEXT NOT NULL DEFAULT '',
    lon                 REAL NOT NULL,
    lat                 REAL NOT NULL,
    unit_grid           TEXT NOT NULL,
    grid                TEXT NOT NULL,
    community           TEXT NOT NULL,
    street              TEXT NOT NULL,
    reporter_account_id INTEGER,
    reporter_name       TEXT NOT NULL DEFAULT '',
    reporter_phone      TEXT NOT NULL DEFAULT '',
    verified            BOOLEAN NOT NULL DEFAULT FALSE,
    duplicate_of        INTEGER,
    suspended_from      TEXT NOT NULL DEFAULT '',
    suspended_at        INTEGER,
    close_type          TEXT NOT NULL DEFAULT '',
    reworks             INTEGER NOT NULL DEFAULT 0,
    reopens             INTEGER NOT NULL DEFAULT 0,
    satisfied           BOOLEAN,
    reported_at         INTEGER NOT NULL,
    registered_at       INTEGER,
    dispatched_at       INTEGER,
    closed_at           INTEGER,
    updated_at          INTEGER NOT NULL,
    deadline            INTEGER
);
CREATE INDEX cases_state ON cases (state, deadline);
CREATE INDEX cases_street ON cases (street, reported_at);
CREATE INDEX cases_reported ON cases (reported_at);
CREATE INDEX cases_category ON cases (category_id, reported_at);

CREATE TABLE tasks (
    id            INTEGER PRIMARY KEY,
    case_id       INTEGER NOT NULL REFERENCES cases (id),
    unit_id       INTEGER NOT NULL REFERENCES units (id),
    lead          BOOLEAN NOT NULL,
    state         TEXT NOT NULL,
    dispatched_at INTEGER NOT NULL,
    signed_at     INTEGER,
    done_at       INTEGER,
    deadline      INTEGER,
    handler_id    INTEGER,
    extensions    INTEGER NOT NULL DEFAULT 0,
    request       TEXT NOT NULL DEFAULT '',
    request_note  TEXT NOT NULL DEFAULT '',
    requested_at  INTEGER,
    requested_due INTEGER
);
CREATE INDEX tasks_case ON tasks (case_id);
CREATE INDEX tasks_unit ON tasks (unit_id, state);

CREATE TABLE events (
    id            INTEGER PRIMARY KEY,
    case_id       INTEGER NOT NULL REFERENCES cases (id),
    seq           INTEGER NOT NULL,
    action        TEXT NOT NULL,
    from_state    TEXT NOT NULL DEFAULT '',
    to_state      TEXT NOT NULL,
    task_id       INTEGER,
    actor_id      INTEGER,
    actor_role    TEXT NOT NULL,
    actor_unit_id INTEGER,
    at            INTEGER NOT NULL,
    reason        TEXT NOT NULL DEFAULT '',
    data          TEXT NOT NULL DEFAULT '{}',
    UNIQUE (case_id, seq)
);

-- +goose Down
DROP TABLE events;
DROP TABLE tasks;
DROP TABLE cases;
DROP TABLE case_numbers;
DROP TABLE time_limits;
DROP TABLE account_grids;
DROP TABLE accounts;
DROP TABLE units;
DROP TABLE categories;
DROP TABLE unit_grids;
DROP TABLE grids;
DROP TABLE divisions;
