-- +goose Up
-- The questions a category asks beside the description (Open311 service
-- definitions): a JSON list, '' for none.
ALTER TABLE categories ADD COLUMN attributes TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE categories DROP COLUMN attributes;
