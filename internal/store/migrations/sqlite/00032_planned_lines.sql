-- +goose Up
-- Lines are planned into sends one by one, not behind a cursor: a line
-- whose transaction commits after a later one's is not skipped. Lines
-- written before are taken as planned.
ALTER TABLE notifications ADD COLUMN planned BOOLEAN NOT NULL DEFAULT TRUE;
CREATE INDEX notifications_unplanned ON notifications (id) WHERE NOT planned;
DROP TABLE send_cursor;

-- +goose Down
CREATE TABLE send_cursor (name TEXT PRIMARY KEY, last_id BIGINT NOT NULL);
INSERT INTO send_cursor (name, last_id) SELECT 'inbox', coalesce(max(id), 0) FROM notifications;
DROP INDEX notifications_unplanned;
ALTER TABLE notifications DROP COLUMN planned;
