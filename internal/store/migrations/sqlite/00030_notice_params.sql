-- +goose Up
-- A notification is a message kind with its parameters, worded in the
-- reader's language when it is read (title stays for lines written before).
ALTER TABLE notifications ADD COLUMN params TEXT;
ALTER TABLE notifications ADD COLUMN level TEXT NOT NULL DEFAULT 'info';

-- +goose Down
ALTER TABLE notifications DROP COLUMN level;
ALTER TABLE notifications DROP COLUMN params;
