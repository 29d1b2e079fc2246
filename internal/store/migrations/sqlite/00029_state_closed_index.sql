-- +goose Up
-- 问题归零's closed cases since a day: (state, closed_at), which SQLite's
-- planner picks over (state, id) where a partial index on closed_at lost.
DROP INDEX cases_closed;
CREATE INDEX cases_state_closed ON cases (state, closed_at);

-- +goose Down
DROP INDEX cases_state_closed;
CREATE INDEX cases_closed ON cases (closed_at) WHERE state = 'closed';
