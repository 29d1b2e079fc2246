-- +goose Up
-- The hotline's knowledge base (知识库): the answers an operator may give,
-- with the fields of GB/T 44191-2024. search is every field a desk search
-- matches, lower-cased (one LIKE per term: a few thousand points are
-- scanned in milliseconds, and Chinese needs no word breaking).
CREATE TABLE knowledge_points (
    id          INTEGER PRIMARY KEY,
    category    TEXT NOT NULL,   -- JSON list, outermost first
    title       TEXT NOT NULL,
    content     TEXT NOT NULL,
    issuer      TEXT NOT NULL,
    kind        TEXT NOT NULL,
    keywords    TEXT NOT NULL,   -- JSON list
    scope       TEXT NOT NULL,
    valid_from  TEXT NOT NULL,   -- YYYY-MM-DD, Beijing
    valid_until TEXT NOT NULL,   -- YYYY-MM-DD inclusive, '' for no end
    search      TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    updated_by  TEXT NOT NULL
);
CREATE INDEX knowledge_points_until ON knowledge_points (valid_until);

-- +goose Down
DROP TABLE knowledge_points;
