-- +goose Up
-- The centre's waiting lists (web queues): cases whose department asked
-- for a return, an extension or a suspension, and cases with a supervision
-- order unanswered, found without reading every task or watch.
CREATE INDEX tasks_requested ON tasks (case_id) WHERE request <> '';
CREATE INDEX watches_supervision ON watches (case_id) WHERE watch_key LIKE 'sup:%';

-- +goose Down
DROP INDEX watches_supervision;
DROP INDEX tasks_requested;
