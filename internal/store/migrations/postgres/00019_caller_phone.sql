-- +goose Up
-- The hotline desk shows a caller's earlier orders while the call is on:
-- cases by the reporter's phone, newest first.
CREATE INDEX cases_reporter_phone ON cases (reporter_phone, id) WHERE reporter_phone <> '';

-- +goose Down
DROP INDEX cases_reporter_phone;
