-- +goose Up
-- A requester who agreed hears how their report goes (registered,
-- answered, closed) by SMS or e-mail; an inbox line says whom it is for.
ALTER TABLE cases ADD COLUMN reporter_email TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN reporter_updates BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE notifications ADD COLUMN audience TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE notifications DROP COLUMN audience;
ALTER TABLE cases DROP COLUMN reporter_updates;
ALTER TABLE cases DROP COLUMN reporter_email;
