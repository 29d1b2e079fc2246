-- +goose Up
-- The bell's unread count (GET /api/v1/inbox/counts): a reader's unread
-- lines, found without reading every line kept for 180 days.
CREATE INDEX notifications_unit_unread ON notifications (unit_id, case_id) WHERE read_at IS NULL;
CREATE INDEX notifications_account_unread ON notifications (account_id, case_id) WHERE read_at IS NULL;

-- +goose Down
DROP INDEX notifications_account_unread;
DROP INDEX notifications_unit_unread;
