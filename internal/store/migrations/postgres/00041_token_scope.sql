-- +goose Up
-- An API token may be narrowed to a scope: '' acts as its account,
-- 'screen' reads only the command display's figures (a wall's kiosk).
ALTER TABLE api_tokens ADD COLUMN scope TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE api_tokens DROP COLUMN scope;
